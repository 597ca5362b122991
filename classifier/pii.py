"""Find and mask personal data in appeal texts.

Masked: mobile and landline numbers, 18-digit resident ID numbers (valid checksum), bank card
numbers (16-19 digits, Luhn), vehicle licence plates, e-mail addresses, and personal names where
the wording marks them (a surname with 先生/女士..., or after 我叫/姓名/联系人). Numbers that only
look alike (dates, amounts, case numbers) are left alone: digit runs must stand on their own,
IDs and cards must pass their checksums, and numbers labelled as a case/order number are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABELS = {
    "mobile": "[手机号]",
    "landline": "[电话]",
    "id_card": "[身份证号]",
    "bank_card": "[银行卡号]",
    "plate": "[车牌号]",
    "email": "[邮箱]",
    "name": "[姓名]",
}

# A digit run must not touch other digits or latin letters (e.g. inside a longer number or code).
_L = r"(?<![0-9A-Za-z])"
_R = r"(?![0-9A-Za-z])"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ID_CARD = re.compile(_L + r"[1-9]\d{16}[0-9Xx]" + _R)
_BANK_CARD = re.compile(_L + r"[1-9]\d{3}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?" + _R)
_MOBILE = re.compile(_L + r"(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _R)
_LANDLINE = re.compile(
    _L + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[ -])[2-9]\d{6,7}(?:-\d{1,5})?" + _R
)
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z][·• ]?[A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警]" + _R
)
# Common surnames (single character). Names are only matched where the wording marks them.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
_NAME_WITH_TITLE = re.compile(f"[{_SURNAMES}](先生|女士|小姐|师傅|阿姨|大爷|大妈)")
_NAME_AFTER_CUE = re.compile(
    r"(?:我叫|名叫|姓名[:：]?|联系人[:：]?|本人[:：]?)\s*"
    f"([{_SURNAMES}]"
    r"[\u4e00-\u9fff]{1,2}?)"
    r"(?=[,，。;；、\s(（]|$|[0-9]|电话|手机|身份证|住|家住|系|是)"
)
# Labels before a number that make it a case, order or invoice number, not personal data.
_REFERENCE_LABEL = re.compile(
    r"(工单|单号|编号|案号|订单|流水号|发票|受理号|批次)[号码]?[:：\s为是]*$"
)
# Units after a number that make it an amount or a quantity.
_AMOUNT_UNIT = re.compile(r"^\s*(元|块|万|亿|角|分钱|平方|平米|米|吨|度|人|户|份|次)")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class PiiSpan:
    kind: str
    start: int
    end: int
    text: str


def id_checksum_ok(number: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _is_reference_or_amount(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 12) : start]
    return bool(_REFERENCE_LABEL.search(before) or _AMOUNT_UNIT.match(text[end : end + 3]))


def find_pii(text: str) -> list[PiiSpan]:
    """Personal-data spans in ``text``, in order, never overlapping."""
    found: list[PiiSpan] = []

    def add(kind: str, match: re.Match[str], group: int = 0) -> None:
        start, end = match.span(group)
        if any(s.start < end and start < s.end for s in found):
            return
        found.append(PiiSpan(kind, start, end, match.group(group)))

    for m in _EMAIL.finditer(text):
        add("email", m)
    for m in _ID_CARD.finditer(text):
        if id_checksum_ok(m.group()) and not _is_reference_or_amount(text, *m.span()):
            add("id_card", m)
    for m in _BANK_CARD.finditer(text):
        if luhn_ok(m.group()) and not _is_reference_or_amount(text, *m.span()):
            add("bank_card", m)
    for m in _MOBILE.finditer(text):
        if not _is_reference_or_amount(text, *m.span()):
            add("mobile", m)
    for m in _LANDLINE.finditer(text):
        if not _is_reference_or_amount(text, *m.span()):
            add("landline", m)
    for m in _PLATE.finditer(text):
        add("plate", m)
    for m in _NAME_WITH_TITLE.finditer(text):
        add("name", m)
    for m in _NAME_AFTER_CUE.finditer(text):
        add("name", m, group=1)  # the name, not the cue before it
    return sorted(found, key=lambda s: s.start)


def mask_pii(text: str) -> str:
    """``text`` with every personal-data span replaced by a label such as ``[手机号]``."""
    parts = []
    last = 0
    for span in find_pii(text):
        parts.append(text[last : span.start])
        parts.append(LABELS[span.kind])
        last = span.end
    parts.append(text[last:])
    return "".join(parts)
