"""A centre's own directory from YAML, checked like the CSV files."""

from __future__ import annotations

import pytest

from router import Directory, DirectoryError

YAML = """\
regions:
  - {name: 示例市, type: city, parent: null}
  - {name: 东湖区, type: district, parent: 示例市, aliases: [东湖]}
units:
  - {id: C1, name: 示例市住房和城乡建设局, kind: 住房城乡建设, level: city, region: 示例市}
  - id: D1
    name: 东湖区人民政府
    kind: 综合属地
    level: district
    region: 东湖区
    phone: 0000-1234
    aliases: [东湖区政府]
"""


def test_a_yaml_directory_loads_with_aliases_and_contacts(tmp_path):
    (tmp_path / "directory.yaml").write_text(YAML, encoding="utf-8")
    d = Directory.load(tmp_path)
    assert d.units["D1"].aliases == ("东湖区政府",) and d.units["D1"].phone == "0000-1234"
    assert d.regions["东湖区"].aliases == ("东湖",)
    assert d.unit_for("综合属地", "东湖区").id == "D1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (YAML.replace("kind: 综合属地", "kind: 街道"), "directory.yaml line 6: kind '街道'"),
        (YAML.replace("    region: 东湖区\n", ""), "directory.yaml line 6: missing region"),
        (YAML.replace("units:", "unit:"), "units must be a non-empty list"),
        ("regions: [\n", "not valid YAML"),
    ],
)
def test_a_bad_yaml_directory_is_refused_with_the_line(tmp_path, text, expected):
    (tmp_path / "directory.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryError, match=expected):
        Directory.load(tmp_path)


def test_a_folder_without_the_files_says_which_is_missing(tmp_path):
    with pytest.raises(DirectoryError, match="units.csv: file not found"):
        Directory.load(tmp_path)
