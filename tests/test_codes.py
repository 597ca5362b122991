"""The appeal code standard: the shipped default and a centre's own files."""

import pytest

from classifier.codes import CodeStandard, CodeStandardError

GOOD_CSV = """code,level,name,parent,description,keywords
01,1,城乡建设,,住房、物业、市政,物业;小区
0101,2,物业管理,01,物业服务与收费,物业费;保安
010101,3,物业收费,0101,物业乱收费,物业费;停车费
02,1,交通运输,,公交、出租车、道路,公交;出租车
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_standard_has_three_levels_with_descriptions():
    std = CodeStandard.default()
    counts = [len(std.level(level)) for level in (1, 2, 3)]
    assert counts == [15, 118, 517]
    assert len({n.name for n in std.level(3)}) == 390  # distinct names, as in the taxonomy
    for node in std.nodes.values():
        assert node.description and len(node.keywords) >= 3, node.code
        if node.parent:
            assert node.code.startswith(node.parent) and len(node.code) == 2 * node.level


def test_default_resolves_names_and_paths():
    std = CodeStandard.default()
    code = std.resolve("城乡建设")
    assert std[code].level == 1
    l2 = std.children(code)[0]
    assert std.resolve(f"城乡建设/{l2.name}") == l2.code
    assert std.resolve(l2.code) == l2.code
    with pytest.raises(KeyError, match="ambiguous"):
        std.resolve("其他")
    with pytest.raises(KeyError, match="unknown"):
        std.resolve("不存在的类别")


def test_centre_loads_its_own_csv_and_yaml(tmp_path):
    std = CodeStandard.load(write(tmp_path, "local.csv", GOOD_CSV))
    assert [n.name for n in std.path("010101")] == ["城乡建设", "物业管理", "物业收费"]
    assert std["010101"].keywords == ("物业费", "停车费")
    yaml_text = """
- {code: "01", level: 1, name: 城乡建设}
- code: "0101"
  level: 2
  name: 物业管理
  parent: "01"
  keywords: [物业费, 保安]
"""
    std = CodeStandard.load(write(tmp_path, "local.yaml", yaml_text))
    assert std.children("01")[0].keywords == ("物业费", "保安")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD_CSV + "0101,2,重复,01,,\n",
            "local.csv line 6: duplicate code 0101 (first on line 3)",
        ),
        (
            GOOD_CSV + "0301,2,无父,03,,\n",
            "local.csv line 6: parent 03 of code 0301 does not exist",
        ),
        (GOOD_CSV + "0102,2,,01,,\n", "local.csv line 6: empty name for code 0102"),
        (GOOD_CSV + "0102,4,太深,01,,\n", "local.csv line 6: level must be 1, 2 or 3, not 4"),
        (GOOD_CSV + "0102,2,缺父,,,\n", "local.csv line 6: code 0102 at level 2 needs a parent"),
        (
            GOOD_CSV + "0102,3,跳级,01,,\n",
            "local.csv line 6: code 0102 at level 3 has parent 01 at level 1",
        ),
        ("code,name\n01,城乡建设\n", "local.csv: missing column(s) level, parent"),
        ("code,level,name,parent\n", "local.csv: no codes"),
    ],
)
def test_bad_standard_files_name_the_line(tmp_path, text, message):
    with pytest.raises(CodeStandardError) as err:
        CodeStandard.load(write(tmp_path, "local.csv", text))
    assert str(err.value) == message


def test_bad_yaml_and_encoding_are_clear(tmp_path):
    with pytest.raises(CodeStandardError, match="local.yaml line 2: duplicate code 01"):
        CodeStandard.load(
            write(
                tmp_path,
                "local.yaml",
                "- {code: '01', level: 1, name: a}\n- {code: '01', level: 1, name: b}\n",
            )
        )
    with pytest.raises(CodeStandardError, match="expected a list"):
        CodeStandard.load(write(tmp_path, "local.yaml", "code: 01\n"))
    path = tmp_path / "gbk.csv"
    path.write_bytes(GOOD_CSV.encode("gbk"))
    with pytest.raises(CodeStandardError, match="gbk.csv: not UTF-8"):
        CodeStandard.load(path)
