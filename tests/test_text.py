from classifier import normalize_text, to_halfwidth


def test_fullwidth_ascii_and_ideographic_space_become_halfwidth():
    assert to_halfwidth("ＡＢＣ１２３，（Ｂ栋）\u3000３楼") == "ABC123,(B栋) 3楼"


def test_chinese_punctuation_without_halfwidth_twin_is_kept():
    assert normalize_text("请问。《条例》、“通知”") == "请问。《条例》、“通知”"


def test_excel_carriage_returns_and_html_entities_are_cleaned():
    raw = "小区停水三天了_x000D_\n物业&nbsp;不管&amp;不问&lt;急&gt;"
    assert normalize_text(raw) == "小区停水三天了 物业 不管&不问<急>"


def test_html_line_breaks_and_tags_removed_but_comparisons_kept():
    assert normalize_text("第一行<br/>第二行<p>段落</p>") == "第一行 第二行 段落"
    assert normalize_text("温度<10度, 湿度>80%") == "温度<10度, 湿度>80%"


def test_whitespace_collapsed_and_invisible_characters_dropped():
    assert normalize_text("  噪音\t\t扰民\u200b  严重 \r\n ") == "噪音 扰民 严重"
    assert normalize_text("第一段\n\n  第二段", keep_newlines=True) == "第一段\n第二段"
