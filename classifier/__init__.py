"""Text pipeline, the appeal code standard, the sentence encoder and classification."""

from classifier.encoder import Encoder
from classifier.pii import PiiSpan, find_pii, mask_pii
from classifier.segment import segment, stop_words
from classifier.text import normalize_text, to_halfwidth

__all__ = [
    "Encoder",
    "PiiSpan",
    "find_pii",
    "mask_pii",
    "normalize_text",
    "segment",
    "stop_words",
    "to_halfwidth",
]
