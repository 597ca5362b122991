"""Tokens for the lexical indexes: jieba words, character bigrams and pinyin syllable bigrams.

Callers' questions come through speech recognition, which writes homophones (公基金 for 公积金,
设保 for 社保): the characters differ but the sound does not, so a pinyin channel still matches.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from classifier import normalize_text, segment

_HAN_OR_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]+")


def _chunks(text: str) -> list[str]:
    return _HAN_OR_WORD.findall(normalize_text(text).lower())


def word_tokens(text: str) -> list[str]:
    """jieba words (stop words dropped) and the character bigrams inside each run of text."""
    tokens = segment(text)
    for chunk in _chunks(text):
        tokens.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return tokens


@lru_cache(maxsize=65536)
def syllable(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0]


def pinyin_tokens(text: str) -> list[str]:
    """Toneless pinyin syllable bigrams, run by run ("公基金" and "公积金" give the same)."""
    tokens = []
    for chunk in _chunks(text):
        syllables = [syllable(ch) for ch in chunk]
        tokens.extend(f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False))
    return tokens
