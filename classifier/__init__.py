"""Text pipeline, the appeal code standard, the sentence encoder and classification."""

from classifier.codes import CodeNode, CodeStandard, CodeStandardError
from classifier.encoder import Encoder
from classifier.model import Classifier, Prediction
from classifier.pii import PiiSpan, find_pii, mask_pii
from classifier.segment import segment, stop_words
from classifier.text import normalize_text, to_halfwidth

__all__ = [
    "Classifier",
    "CodeNode",
    "CodeStandard",
    "CodeStandardError",
    "Encoder",
    "PiiSpan",
    "Prediction",
    "find_pii",
    "mask_pii",
    "normalize_text",
    "segment",
    "stop_words",
    "to_halfwidth",
]
