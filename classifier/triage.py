"""Appeal type (咨询/求助/投诉/举报/建议/表扬/其他) and urgency (emergency/urgent/normal).

Rules first: clear wording decides (a gas smell is an emergency whatever else the text says).
Where no rule fires, the type comes from the encoder: the appeal is compared with a short
description of each type and the closest wins, with its softmax probability as confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from classifier.text import normalize_text
from classifier.zeroshot import TEMPERATURE, softmax

# Emergencies: threat to life or safety now. Each with the service the agent transfers to.
_EMERGENCY = [
    (
        r"(煤气|燃气|天然气|液化气)(泄漏|泄露|漏气|味道很大|味很重)|闻到(很大的)?(煤气|燃气|天然气)味",
        "119",
    ),
    (r"着火|起火|失火|火灾|冒(浓)?烟|烧起来", "119"),
    (r"爆炸|炸了", "119"),
    (
        r"(被|人)困(在)?(电梯|屋|房|楼|车)|困在(电梯|屋里|房间|楼里|车里)|电梯(里)?(有人|关人|困人)",
        "119",
    ),
    (r"落水|溺水|掉(进|到)(河|水|井)", "119"),
    (r"(房屋|房子|楼|墙|桥|路面|山体)(倒塌|坍塌|塌了|塌方)|塌方|滑坡|泥石流", "119"),
    (r"触电|电线(掉|断)(落|了)?.{0,6}(地上|路上|路面)", "119"),
    (r"昏迷|晕倒|没有?(呼吸|心跳)|心脏病(发作|犯了)|大出血|中毒|急救", "120"),
    (r"自杀|轻生|跳楼|割腕|不想活", "110"),
    (r"(持|拿着?)(刀|枪|凶器)|砍人|杀人|打死|绑架|抢劫|正在打人|家暴", "110"),
]
_URGENT = re.compile(
    r"停水|停电|停气|没(有)?(水|电|气|暖气)|断水|断电|暖气不热|供暖|水管(爆|破|裂)|爆管|"
    r"污水(外溢|倒灌|漫)|下水道(堵|冒)|内涝|井盖(丢|缺|没了)|路面塌陷|大面积|"
    r"独居老人|无人照顾|流浪|走失|讨薪|拖欠.{0,4}工资|欠薪|过年回家"
)
# Negations close before a danger word ("没有着火") do not make an emergency.
_NEGATED = re.compile(r"(没有|没|并未|不是|未)$")

_TYPE_RULES = [
    ("表扬", r"表扬|感谢.{0,10}(帮助|解决|服务|热情|耐心|及时)|点赞|锦旗|好评|为.{0,8}点赞"),
    (
        "举报",
        r"举报|检举|揭发|偷排|非法(经营|营运|行医|集资|占用)|违法(建设|排污|经营)|黑(车|诊所|作坊)|传销|赌博|吸毒|涉黄",
    ),
    ("建议", r"建议|提议|希望(能|可以)?(增设|增加|开通|设置|修建|延长|优化)|能否(增设|增加|开通)"),
    (
        "投诉",
        r"投诉|不作为|乱收费|态度(恶劣|差|蛮横)|推诿|扯皮|刁难|欺诈|拖欠|扰民|噪音|违规|侵害|欺骗|强制",
    ),
    ("求助", r"求助|求救|帮帮|帮忙|救助|怎么办才好|无家可归|困难"),
    (
        "咨询",
        r"请问|咨询|怎么(办理|申请|办|查|缴|交|提取|报销)|如何(办理|申请)|需要(哪些|什么)(材料|手续|条件)|在哪(里)?(办|交|查)|什么时候|多少钱|能不能|是否可以|吗[?？]?$",
    ),
]
_TYPE_PATTERNS = [(t, re.compile(p)) for t, p in _TYPE_RULES]

TYPE_PROFILES = {
    "咨询": "询问政策规定、办事流程、所需材料、办理地点和时间",
    "求助": "遇到困难请求政府帮助解决，生活困难需要救助",
    "投诉": "对单位或个人的服务、行为不满，权益受损，要求处理",
    "举报": "检举揭发违法违规行为，要求查处",
    "建议": "对政府工作、公共设施、城市管理提出意见和建议",
    "表扬": "表扬感谢工作人员或单位的良好服务",
    "其他": "与政府服务无关的闲聊或无法归类的来电",
}


@dataclass(frozen=True)
class Triage:
    appeal_type: str
    type_confidence: float | None  # model probability; None when a rule decided
    type_reason: str
    urgency: str
    urgency_reason: str
    transfer_to: str | None  # 110 / 119 / 120 for emergencies


def _first_unnegated(pattern: str, text: str) -> re.Match[str] | None:
    for match in re.finditer(pattern, text):
        if not _NEGATED.search(text[max(0, match.start() - 3) : match.start()]):
            return match
    return None


def urgency_of(text: str) -> tuple[str, str, str | None]:
    text = normalize_text(text)
    for pattern, service in _EMERGENCY:
        match = _first_unnegated(pattern, text)
        if match:
            reason = f"「{match.group()}」：可能危及人身安全，需转 {service}"
            return "emergency", reason, service
    match = _URGENT.search(text)
    if match:
        return "urgent", f"「{match.group()}」：影响基本生活或工资发放", None
    return "normal", "未发现危及人身安全或影响基本生活的情形", None


def type_by_rules(text: str) -> tuple[str, str] | None:
    text = normalize_text(text)
    for appeal_type, pattern in _TYPE_PATTERNS:
        match = pattern.search(text)
        if match:
            return appeal_type, f"「{match.group()}」"
    return None


class TypeModel:
    """Nearest type description in the encoder's space, for appeals no rule decides."""

    def __init__(self, encoder):
        self.types_ = list(TYPE_PROFILES)
        self.profiles_ = encoder.encode_passages([f"{t}：{d}" for t, d in TYPE_PROFILES.items()])

    def predict(self, vectors: np.ndarray) -> list[tuple[str, float]]:
        sims = np.atleast_2d(vectors) @ self.profiles_.T
        probs = softmax(sims / TEMPERATURE, axis=1)
        best = probs.argmax(axis=1)
        return [(self.types_[i], float(p[i])) for i, p in zip(best, probs, strict=True)]


def triage(
    text: str, vector: np.ndarray | None = None, type_model: TypeModel | None = None
) -> Triage:
    urgency, urgency_reason, service = urgency_of(text)
    rule = type_by_rules(text)
    if rule:
        appeal_type, why = rule
        return Triage(appeal_type, None, f"命中规则 {why}", urgency, urgency_reason, service)
    if type_model is not None and vector is not None:
        appeal_type, conf = type_model.predict(vector)[0]
        return Triage(appeal_type, conf, "与该类型的描述最接近", urgency, urgency_reason, service)
    return Triage("其他", None, "未命中规则", urgency, urgency_reason, service)
