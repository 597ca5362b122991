import pytest

from classifier import find_pii, mask_pii
from classifier.pii import id_checksum_ok, luhn_ok

# Generated numbers with valid check digits, not real people's.
VALID_ID = "11010519491231002X"
VALID_CARD = "6222021234567890128"


def test_checksums():
    assert id_checksum_ok(VALID_ID)
    assert not id_checksum_ok("110105194912310021")
    assert luhn_ok(VALID_CARD)
    assert not luhn_ok("6222021234567890127")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的电话是13912345678，请尽快回电", "我的电话是[手机号]，请尽快回电"),
        ("联系方式：139 1234 5678", "联系方式：[手机号]"),
        ("手机+86 139-1234-5678找王先生", "手机[手机号]找[姓名]"),
        ("座机0731-84561234转8001", "座机[电话]转8001"),
        ("来电（0731）84561234", "来电[电话]"),
        (f"身份证号{VALID_ID}，户籍在A3区", "身份证号[身份证号]，户籍在A3区"),
        (f"工资卡号{VALID_CARD}一直没到账", "工资卡号[银行卡号]一直没到账"),
        ("卡号6222 0212 3456 7890 128", "卡号[银行卡号]"),
        ("车牌湘A12345的车堵在消防通道", "车牌[车牌号]的车堵在消防通道"),
        ("新能源车粤BD12345乱停", "新能源车[车牌号]乱停"),
        ("请回复到zhang.san@example.com谢谢", "请回复到[邮箱]谢谢"),
        ("您好！我叫李明，住A3区", "您好！我叫[姓名]，住A3区"),
        ("本人张三丰是退休职工", "本人[姓名]是退休职工"),
        ("联系人：刘德华 电话0731-84561234", "联系人：[姓名] 电话[电话]"),
        ("楼上的王先生家天天漏水", "楼上的[姓名]家天天漏水"),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023年11月26日下午3点停电",
        "日期20231126至20231231",
        "拖欠工资12000元，押金13912345678元不退",  # an amount, however it looks
        "工单编号：20231126000158",
        "工单号430102198506171232已办结",  # 18 digits labelled as a case number
        "单号6222021234567890128",
        "身份证号110105194912310021",  # bad check digit: not an ID
        "共有1391234567户受影响",  # 10 digits
        "面积120.5平方米，物业费2.8元每平方米",
        "A3区K4县G00290号地块",
        "我是高三学生，本人高中毕业",  # no name cue, or not a name after it
        "关于物业费，向有关部门反映，马上要开学了",  # surnames inside ordinary words
        "有的地方老人没人照顾老人",
    ],
)
def test_dates_amounts_and_case_numbers_are_not_masked(text):
    assert mask_pii(text) == text


def test_spans_give_kind_and_position_for_highlighting():
    text = "电话13912345678，车牌湘A12345"
    spans = find_pii(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        ("mobile", "13912345678"),
        ("plate", "湘A12345"),
    ]
