"""Undo speech-recognition homophones in a question, using the knowledge base's own words.

Speech recognition writes a word that sounds right but is spelt wrong (一情 for 疫情, 身报 for
申报, 公基金 for 公积金). A span of the question that is no known word, neither in the knowledge
base nor in jieba's dictionary, but sounds exactly like a word of the knowledge base is replaced
by that word before the question is encoded.
"""

from __future__ import annotations

from collections import Counter

from classifier.segment import _lock, _tokenizer
from kb.tokens import syllable

MIN_LEN, MAX_LEN = 2, 4


def _sound(text: str) -> str:
    return " ".join(syllable(ch) for ch in text)


class HomophoneFixer:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._by_sound: dict[str, str] | None = None

    def add(self, words: list[str], sign: int = 1) -> None:
        """Count (or with ``sign=-1`` uncount) the words of one knowledge-base question."""
        for word in words:
            if MIN_LEN <= len(word) <= MAX_LEN and _is_han(word):
                self.counts[word] += sign
                if self.counts[word] <= 0:
                    del self.counts[word]
        self._by_sound = None

    def _sounds(self) -> dict[str, str]:
        if self._by_sound is None:
            by_sound: dict[str, str] = {}
            for word, _ in self.counts.most_common():  # the commonest spelling of a sound wins
                by_sound.setdefault(_sound(word), word)
            self._by_sound = by_sound
        return self._by_sound

    def fix(self, text: str) -> str:
        """The text with misheard spans replaced; spans never cut through a word jieba knows."""
        sounds = self._sounds()
        if not sounds:
            return text
        tok = _tokenizer()
        with _lock:
            tokens = tok.lcut(text, HMM=True)
        out, i = [], 0
        while i < len(tokens):
            token = tokens[i]
            if self._unknown(token, tok.FREQ) and (word := sounds.get(_sound(token))):
                out.append(word)
                i += 1
                continue
            # jieba splits a misheard word into pieces: single characters (复|公 for 复工), or
            # for longer words a character and a word (公|基金 for 公积金). Try runs of them.
            for size in range(MAX_LEN, 1, -1):
                run = tokens[i : i + size]
                span = "".join(run)
                if len(run) < 2 or not _is_han(span) or span in self.counts:
                    continue
                singles = all(len(t) == 1 for t in run)
                if (singles and len(span) == size) or (3 <= len(span) <= MAX_LEN):
                    word = sounds.get(_sound(span))
                    if word is not None and (singles or len(word) >= 3):
                        out.append(word)
                        i += len(run)
                        break
            else:
                out.append(token)
                i += 1
        return "".join(out)

    def _unknown(self, token: str, known: dict[str, int]) -> bool:
        return (
            MIN_LEN <= len(token) <= MAX_LEN
            and _is_han(token)
            and token not in self.counts
            and not known.get(token)
        )


def _is_han(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)
