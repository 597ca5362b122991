from classifier import segment, stop_words


def test_domain_words_stay_whole():
    words = segment("我想提取住房公积金，医保卡丢了，楼下噪音扰民找住建局")
    for term in ["住房公积金", "医保卡", "噪音扰民", "住建局"]:
        assert term in words


def test_stop_words_and_punctuation_dropped():
    words = segment("您好，请问一下，低保怎么申请？谢谢！")
    assert "低保" in words and "申请" in words
    assert not {"您好", "请问", "一下", "谢谢", "，", "？"} & set(words)


def test_text_is_normalised_before_segmenting():
    assert segment("ＡＰＰ无法登录_x000D_社保卡") == segment("app无法登录 社保卡")


def test_stop_words_can_be_kept():
    assert "请问" in segment("请问公积金", drop_stop_words=False)
    assert "请问" in stop_words()
