import pytest

from classifier.triage import triage, type_by_rules, urgency_of


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("家里厨房闻到很大的煤气味，老人在家不敢开灯", "119"),
        ("楼下仓库着火了，浓烟很大", "119"),
        ("小区2栋电梯里困人了，里面有个小孩", "119"),
        ("路边有个老人晕倒了，叫不醒", "120"),
        ("邻居在家里持刀威胁要杀人", "110"),
    ],
)
def test_emergencies_are_flagged_with_where_to_transfer(text, service):
    urgency, reason, transfer = urgency_of(text)
    assert urgency == "emergency"
    assert transfer == service
    assert service in reason


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("我们小区从昨天开始停水，到现在还没来水", "urgent"),
        ("寒冬腊月暖气不热，家里只有十度", "urgent"),
        ("包工头拖欠工资五个月", "urgent"),
        ("请问公积金提取需要什么材料", "normal"),
        ("楼道里没有着火，只是有人在烧纸，烟味有点大", "normal"),  # negated danger word
    ],
)
def test_urgent_and_normal(text, urgency):
    assert urgency_of(text)[0] == urgency


@pytest.mark.parametrize(
    ("text", "appeal_type"),
    [
        ("请问医保异地备案怎么办理？", "咨询"),
        ("我要举报一家化工厂晚上偷排废水", "举报"),
        ("感谢社区网格员热情帮助我们解决了漏水问题，为她点赞", "表扬"),
        ("建议在学校门口增设红绿灯", "建议"),
        ("投诉供电所工作人员态度恶劣", "投诉"),
        ("家里老人生病没钱治疗，想求助政府", "求助"),
    ],
)
def test_types_by_rules(text, appeal_type):
    assert type_by_rules(text)[0] == appeal_type
    assert triage(text).appeal_type == appeal_type
