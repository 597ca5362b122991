"""The fixed list of department kinds every unit of a directory is tagged with.

The list is shared by all cities so that routing can be compared across them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class DepartmentKind:
    name: str
    typical_city_unit: str
    typical_topics: tuple[str, ...]


@cache
def department_kinds() -> tuple[DepartmentKind, ...]:
    text = (
        resources.files("router").joinpath("resources", "department_kinds.csv").read_text("utf-8")
    )
    return tuple(
        DepartmentKind(
            row["kind"], row["typical_city_unit"], tuple(row["typical_topics"].split(";"))
        )
        for row in csv.DictReader(io.StringIO(text))
    )
