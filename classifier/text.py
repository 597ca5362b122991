"""Text normalisation applied before segmentation, classification and search.

Appeals arrive from web forms, Excel exports and speech recognition; they carry full-width
ASCII, Excel's escaped carriage returns (``_x000D_``), HTML entities and odd whitespace.
"""

from __future__ import annotations

import html
import re

# Excel writes control characters as _xHHHH_ escapes; _x000D_ (CR) is the common one.
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_HTML_BREAK = re.compile(r"<\s*(br|/p|p)\s*/?\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]{0,200})?/?>")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000\u2000-\u200a\u202f\u205f]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (U+FF01..U+FF5E) and the ideographic space to their half-width forms.

    Chinese punctuation without a half-width twin (。、《》) is kept as it is.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _excel_unescape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return " " if char.isspace() or not char.isprintable() else char


def normalize_text(text: str, *, keep_newlines: bool = False) -> str:
    """Clean one appeal text: escapes, entities, tags, width, invisible characters, whitespace."""
    text = _EXCEL_ESCAPE.sub(_excel_unescape, text)
    text = _HTML_BREAK.sub("\n", text)
    text = html.unescape(text)
    text = _HTML_TAG.sub(" ", text)
    text = to_halfwidth(text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    text = _SPACES.sub(" ", text)
    if keep_newlines:
        text = _NEWLINES.sub("\n", text)
    else:
        text = re.sub(r"\s+", " ", text)
    return text.strip()
