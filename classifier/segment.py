"""jieba segmentation with the project's domain dictionary and stop words."""

from __future__ import annotations

import logging
import re
import threading
from functools import cache
from importlib import resources

import jieba

from classifier.text import normalize_text

_TOKEN_CHAR = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")
_lock = threading.Lock()


def _resource_lines(name: str) -> list[str]:
    text = resources.files("classifier").joinpath("resources", name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_resource_lines("stopwords.txt"))


@cache
def _tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer (the global one stays untouched) with our domain words."""
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for line in _resource_lines("domain_dict.txt"):
        parts = line.split()
        word = parts[0]
        freq = int(parts[1]) if len(parts) > 1 else None
        tag = parts[2] if len(parts) > 2 else None
        tok.add_word(word, freq, tag)
        # jieba splits a word unless it is at least as likely as its pieces together.
        tok.suggest_freq(word, tune=True)
    return tok


def segment(text: str, *, drop_stop_words: bool = True) -> list[str]:
    """Normalised, lower-cased jieba words; punctuation and (by default) stop words dropped."""
    with _lock:  # jieba's lazy state is not thread-safe while it initialises
        tok = _tokenizer()
    words = tok.lcut(normalize_text(text).lower(), HMM=True)
    stops = stop_words() if drop_stop_words else frozenset()
    return [w for w in (w.strip() for w in words) if w and _TOKEN_CHAR.search(w) and w not in stops]


@cache
def _pos_tokenizer():
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_tokenizer())


def tagged(text: str) -> list[tuple[str, str]]:
    """jieba words with their part-of-speech flags (``ns`` place, ``t`` time, ``v`` verb...)."""
    with _lock:
        tok = _pos_tokenizer()
    return [(p.word, p.flag) for p in tok.lcut(normalize_text(text), HMM=True)]
