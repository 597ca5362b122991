"""Which unit handled a case, read from the official reply (办理单位).

A closed case's reply names its handler in a few recurring ways: a transfer ("已转X调查处理"),
an inquiry ("经X调查", "X高度重视"), a signature line at the end ("X区住建局 2019年5月6日"),
"我局" or "我委" with the unit named in the signature or in "感谢您对X工作的支持", "我区" for
a district government. ``handler_kind`` returns the kind of department_kinds.csv of that unit and
the words it was read from, or None when the reply does not say clearly.

The conventions are those of the routing annotators: a police station or a land office counts
as the district bureau (公安, 自然资源规划); an office inside a street or a town is the street
office (综合属地); a reply signed by a district party or government office is 综合属地 even when
a bureau did the work; "已转X调查处理" counts X as the handler. Schools and hospitals get the kind
of their sector (教育, 卫生健康).

A centre uses it to turn its closed cases into a routing history (``KindModel``) without anyone
labelling them.
"""

from __future__ import annotations

import re

# Kind keywords, tried in this order on a unit's name; the first kind with a keyword in the name
# wins. Order matters: police before the street (a street's 派出所 is the police), the street
# before the bureaus (a street's 城管办 is the street office), specific before general.
_KIND_KEYWORDS: list[tuple[str, str]] = [
    ("住房公积金", r"公积金"),
    ("自然资源规划", r"国土(?:资源)?(?:所|分局)|土地所|规划所|自然资源所"),  # land office: district
    ("综合属地", r"[区县](?:委|政府)?(?:网信办|政府办|委办|督查室|两办)"),
    ("公安", r"公安|派出所|警|车管|交管|交通管理|出入境|户政|治安|刑侦|巡特警|看守所"),
    (
        "供水供电供气",
        r"自来水|供水|水务(?:集团|公司)|电力|供电|电网|电业|燃气|天然气|煤气|热力|供热"
        r"|供暖|水司",
    ),
    ("教育", r"教育|学校|小学|中学|幼儿园|大学|学院|招生|考试院|教体"),
    ("医疗保障", r"医保|医疗保障|医疗保险"),
    ("卫生健康", r"卫生(?!间)|卫健|卫计|计生|计划生育|疾控|疾病预防|医院|妇幼|血站|急救"),
    (
        "综合属地",
        r"街道|街办|办事处|(?<![城])镇|(?<![城])乡(?!村振兴|村)|社区|居委会"
        r"|村委|村民委员会|管委会|管理委员会|园区|开发区",
    ),
    ("自然资源规划", r"自然资源|国土|规划|不动产|土地|测绘|林业"),
    (
        "住房城乡建设",
        r"住建|住房和城乡建设|住房城乡建设|城乡建设|建设局|建委|建设委员会"
        r"|房产|房地产|房管|房屋|住房保障|物业|建管|建筑|重点工程|征收|拆迁|人防",
    ),
    ("城市管理", r"城管|城市管理|执法|市容|环卫|环境卫生|渣土|园林|绿化|市政|路灯|亮化"),
    ("生态环境", r"环保|环境保护|生态环境|环境监|环评"),
    (
        "交通运输",
        r"交通运输|交通局|交运|公交|运管|运输管理|公路|客运|出租|地铁|轨道交通"
        r"|港航|海事|铁路|高速|道路运输",
    ),
    ("人力资源社会保障", r"人社|人力资源|社会保障|社保|劳动|就业|人才|仲裁"),
    ("民政", r"民政|残联|残疾人|婚姻登记|殡葬|老龄|慈善|救助"),
    ("市场监管", r"市场监督|市场监管|工商|质监|质量技术监督|食药|食品药品|消费者|知识产权|市监"),
    ("商务", r"商务|商业|招商"),
    ("文化旅游", r"文化|旅游|文旅|文广|体育|文物|广电|新闻出版"),
    ("农业农村", r"农业|农村|农委|畜牧|农机|水产|扶贫|乡村振兴"),
    ("水利水务", r"水利|水务|河道|河长|防汛|水资源"),
    ("应急管理", r"应急|安监|安全生产|消防"),
    ("税务", r"税务|国税|地税"),
    ("财政", r"财政"),
    ("发展改革", r"发改|发展和改革|发展改革|物价|价格"),
    ("信访", r"信访"),
    ("综合属地", r"(?:区|县|市)(?:委|人民政府|政府)|政府办|区委|县委|党委|两办"),
    (
        "其他",
        r"法院|检察|司法|公证|烟草|邮政|银行|电信|移动|联通|气象|统计|档案|机关事务|宣传|统战"
        r"|网信|政务服务|审批|行政服务|工信|科技|经信|机要|编办|组织部|纪委|监察",
    ),
]
_KIND_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in _KIND_KEYWORDS]
# Words that call a unit without naming it: not a handler.
_VAGUE = re.compile(
    r"^(?:相关|有关|对口|主管|职能|责任|上级|属地|各|我)?(?:部门|单位|机关|科室|处室)$"
)

# How unit names end. Common words that share an ending ("办理", "处理", "局面", "所以") are kept
# out by the look-aheads.
_SUFFIX = (
    r"(?:委员会|人民政府|政府|管委会|办事处|街道|派出所|大队|中队|支队|执法队|分局|局(?![面部势限])"
    r"|委(?![托屈婉员])|办公室|办(?![理法事好公的得完结])|中心(?![区城地路点])|公司|集团|医院|卫生院"
    r"|学校|小学|中学|幼儿园|社区|居委会|村委会|部门|[车房]管所|(?:司法|国土|土地|规划|财政|供电"
    r"|环卫|执法|林业|水利|劳动保障|社保)所|(?:工作|服务|管理|监测|执法)站)"
)
_STOP = set(
    "，。！？；：、“”‘’《》（）()[]【】「」 \u3000\n\t,.!?;:\"'"
    "经由对已将向请与的是在据为把被了及于并从转给至您我你他其该本此"
)
_UNIT = re.compile(_SUFFIX)
_DATE = r"(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2})"
_SIGNATURE = re.compile(r"([^，。！？；：\s]{2,30}?)\s*" + _DATE + r"?\s*$")
_TRANSFER = re.compile(
    r"(?:已|现|并|予以|按程序)?(?:转交|转办|转|交由|转至|交办|移交)(?:给|至|到)?"
    r"([^，。！？；：、\s]{2,30}?)(?:进行|予以|依法|负责|认真|尽快|及时)?"
    r"(?:调查|核实|处理|办理|调处|核查|落实|回复|答复|跟进|解决|查处)"
)
_INQUIRY = re.compile(
    r"(?:经|据|由)([^，。！？；：、\s]{2,30}?)(?:调查|核实|核查|了解|查实|现场|实地"
    r"|走访|查明|勘查|检查|回复|答复|牵头)"
)
# A unit as the subject of what was done ("A7县城管局已通知", "县农机局予以高度重视").
_ACTOR = re.compile(
    r"([^，。！？；：、\s]{2,30}?)(?:高度重视|立即|迅速|第一时间|已经|已|将|正在|现将|多次"
    r"|及时|组织|责成|派员|派出(?!所)|联合|会同|随即|依法|对此|针对|予以|收到|接到|民警|辅警"
    r"|工作人员|执法人员)"
)
_OUR = re.compile(r"我(局|委|中心|办|队|所|站|院|校|司|公司|厅|处|大队|分局)")
_OUR_PLACE = re.compile(r"我(区|县|镇|乡|街道|街办|市)")
_THANKS = re.compile(r"(?:感谢|谢谢)(?:您|你)?(?:对|关注)([^，。！？\s]{2,16}?)(?:工作|的)")


def unit_kind(name: str) -> str | None:
    """The department kind of a unit name (``"A3区住建局"`` -> ``"住房城乡建设"``), or None."""
    name = re.sub(r"城乡|城镇|乡村振兴", "城", name)  # "城乡建设" is no township
    name = name.replace("人民政府", "政府")  # nor is "人民政府" the civil affairs bureau (民政)
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(name):
            return kind
    return None


def _trim(name: str) -> str:
    """The unit's own name: the text after the last stop character before its ending."""
    for i in range(len(name) - 1, -1, -1):
        if name[i] in _STOP:
            return name[i + 1 :]
    return name


def _units(text: str) -> list[tuple[int, str]]:
    """Unit names in the text (position, name), each ending with a unit word."""
    found = []
    for m in _UNIT.finditer(text):
        name = _trim(text[max(0, m.start() - 16) : m.end()])
        if len(name) > len(m.group()) or m.group() in ("街道", "社区", "公司"):
            found.append((m.start(), name))
    return found


def _named(fragment: str) -> tuple[str, str] | None:
    """The kind and name of the unit a fragment names, None for vague words ("相关部门")."""
    fragment = fragment.strip()
    if not fragment or _VAGUE.match(fragment) or re.fullmatch(r"(?:相关|有关)\S{0,4}", fragment):
        return None
    units = _units(fragment)
    name = units[-1][1] if units else fragment
    if _VAGUE.match(name) or name.startswith(("相关", "有关")):
        return None
    kind = unit_kind(name)
    if kind and re.search(r"(?:公司|集团)$", name) and kind != "供水供电供气":
        return None  # a developer or a property company answers for itself, not as a handler
    return (kind, name) if kind else None


def _signature(text: str) -> tuple[str, str] | None:
    tail = re.sub(r"[\s　]+", " ", text.strip())[-60:]
    m = _SIGNATURE.search(tail)
    if not m:
        return None
    piece = _trim(m.group(1))
    units = _units(piece)
    if not units or not piece.endswith(units[-1][1]):
        return None
    return _named(units[-1][1])


def handler_kind(reply: str) -> tuple[str, str] | None:
    """(kind, handler words) of the unit that handled the case, read from its reply; or None."""
    text = re.sub(r"[ \t\u3000\xa0]+", "", reply or "")
    if len(text) < 4:
        return None
    signed = _signature(text)
    for m in _TRANSFER.finditer(text):  # "已转X调查处理": X handled it
        if re.fullmatch(r"\w{1,6}[区县](?:政府)?", m.group(1)):  # "已转K2区调查处理"
            return "综合属地", m.group(1)
        if found := _named(m.group(1)):
            return found
    if signed:
        return signed
    if m := _OUR.search(text):  # "我局": the bureau that signs or is thanked
        word = m.group(1)
        t = _THANKS.search(text)
        if t and not t.group(1).startswith("我"):
            if (found := _named(t.group(1) + word)) or (found := _named(t.group(1))):
                return found
        same = {(k, n) for _, n in _units(text) if n.endswith(word) and (k := unit_kind(n))}
        if len({k for k, _ in same}) == 1:
            return min(same, key=lambda kn: len(kn[1]))
    for pattern in (_INQUIRY, _ACTOR):
        for m in pattern.finditer(text):
            units = _units(m.group(1))
            if units and m.group(1).endswith(units[-1][1]) and (found := _named(units[-1][1])):
                return found
    if m := _OUR_PLACE.search(text):
        if m.group(1) != "市":  # "我市" is the city government or any city bureau
            return "综合属地", "我" + m.group(1)
    if (t := _THANKS.search(text)) and not t.group(1).startswith("我"):
        if re.fullmatch(r"\w{1,6}[区县]", t.group(1)):  # "感谢您对K2区工作的关心"
            return "综合属地", t.group(1)
        if found := _named(t.group(1)):
            return found
    return None
