"""Reading the handling unit and its kind from an official reply, and learning from such cases."""

from __future__ import annotations

import numpy as np
import pytest

from router.handlers import handler_kind, unit_kind
from router.kind_model import KindModel


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("您好！经东湖区住房和城乡建设局调查，该楼盘的防水工程已责令开发商返修。", "住房城乡建设"),
        ("占道摆摊问题已整治完毕。感谢您的监督！\n湖滨街道办事处 2019年5月6日", "综合属地"),
        ("您反映的噪音问题已转东湖区城管执法大队调查处理，请耐心等待。", "城市管理"),
        (
            "您好！我局已安排执法人员核查，商家已停止违规收费。东湖区市场监督管理局 2018年3月2日",
            "市场监管",
        ),
        ("您好！湖滨派出所民警当晚到场调解，双方已达成和解。", "公安"),
        ("您好！针对此事，我区高度重视，已组织相关部门现场协调。", "综合属地"),
        ("网友您好！桃源镇国土所已对该处违法用地立案查处。", "自然资源规划"),
    ],
)
def test_the_handler_is_read_from_the_reply(reply, kind):
    found = handler_kind(reply)
    assert found is not None and found[0] == kind


def test_a_reply_signed_by_the_district_government_office_is_local_even_if_a_bureau_worked():
    reply = "经区交通运输局核实，该公交站台将于下月迁移。东湖区人民政府办公室 2019年7月1日"
    assert handler_kind(reply)[0] == "综合属地"


def test_our_bureau_is_resolved_through_the_thanks_line():
    reply = "您好！我局接到投诉后立即核查，该车辆已被依法处理。感谢您对示例市公安工作的支持！"
    assert handler_kind(reply)[0] == "公安"


@pytest.mark.parametrize(
    "reply",
    [
        "您好！您的留言已收悉，已转相关部门调查处理，敬请关注。",
        "感谢您对我们工作的支持、理解与监督！2018年5月3日",
        "",
    ],
)
def test_no_handler_when_the_reply_does_not_say(reply):
    assert handler_kind(reply) is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("东湖区住房和城乡建设局", "住房城乡建设"),
        ("湖滨街道城管办", "综合属地"),  # an office inside a street is the street office
        ("湖滨派出所", "公安"),  # a police station is the district police
        ("示例市第一中学", "教育"),
        ("示例市自来水有限公司", "供水供电供气"),
        ("示例市住房公积金管理中心", "住房公积金"),
        ("某某", None),
    ],
)
def test_unit_names_map_to_kinds(name, kind):
    assert unit_kind(name) == kind


def test_kind_model_learns_the_kinds_of_past_cases():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 16))
    vectors = np.vstack([c + 0.1 * rng.normal(size=(20, 16)) for c in centres])
    kinds = ["综合属地"] * 20 + ["公安"] * 20
    model = KindModel.from_vectors(vectors, kinds)
    kind, p, n = model.vote(centres[0])
    assert kind == "综合属地" and p > 0.5 and n == 40
    assert model.vote(centres[1])[0] == "公安"
    assert KindModel.from_vectors(vectors[:3], ["公安"] * 3).vote(centres[0])[:2] == ("公安", 1.0)
    with pytest.raises(ValueError):
        KindModel.from_vectors(vectors[:3], ["公安"])
