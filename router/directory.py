"""The department directory: units (with a kind, a level, a region, a parent) and places.

A directory is two CSV files: ``units.csv`` (id, name, kind, level, region, parent, phone,
aliases) and ``regions.csv`` (name, type, parent, aliases); or one ``directory.yaml`` with the
lists ``units`` and ``regions`` of mappings with the same fields (aliases a list or ``|``-joined).
The product ships a demo city (``resources/demo_city``); a centre loads its own with
``Directory.load(folder)``, which checks every row and refuses the directory with line-numbered
errors.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from router.kinds import department_kinds

LEVELS = ("city", "district", "street", "company")
REGION_TYPES = ("city", "district", "county", "street", "township", "community", "road", "estate")
# Region types a unit can serve; the others (community, road, estate) only locate an appeal.
AREA_TYPES = {"city": 0, "district": 1, "county": 1, "street": 2, "township": 2}


class DirectoryError(ValueError):
    """A directory that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    kind: str
    level: str
    region: str
    parent: str | None = None
    phone: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    name: str
    type: str
    parent: str | None
    aliases: tuple[str, ...] = ()


@dataclass
class Directory:
    units: dict[str, Unit]
    regions: dict[str, Region]
    _by_area_kind: dict[tuple[str, str], list[Unit]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_area_kind = {}
        for unit in self.units.values():
            self._by_area_kind.setdefault((unit.region, unit.kind), []).append(unit)

    # -- loading ---------------------------------------------------------------------------------
    @classmethod
    def demo(cls) -> Directory:
        folder = resources.files("router").joinpath("resources", "demo_city")
        return cls.from_texts(
            folder.joinpath("units.csv").read_text("utf-8"),
            folder.joinpath("regions.csv").read_text("utf-8"),
        )

    @classmethod
    def load(cls, folder: Path) -> Directory:
        folder = Path(folder)
        for name in ("directory.yaml", "directory.yml"):
            if (folder / name).exists():
                return cls.from_yaml_text(_read_text(folder / name), name)
        return cls.from_texts(_read_text(folder / "units.csv"), _read_text(folder / "regions.csv"))

    @classmethod
    def from_texts(cls, units_text: str, regions_text: str) -> Directory:
        regions = _read_regions(_rows(regions_text, "regions.csv", REGION_COLUMNS), "regions.csv")
        units = _read_units(_rows(units_text, "units.csv", UNIT_COLUMNS), regions, "units.csv")
        return cls(units, regions)

    @classmethod
    def from_yaml_text(cls, text: str, name: str) -> Directory:
        import yaml

        try:
            loader = yaml.SafeLoader(text)
            document = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise DirectoryError(f"{name}: not valid YAML ({exc})") from None
        if not isinstance(document, yaml.MappingNode):
            raise DirectoryError(f"{name}: expected a mapping with the lists units and regions")
        lists = {key.value: node for key, node in document.value}
        rows = {}
        for part, columns in (("regions", REGION_COLUMNS), ("units", UNIT_COLUMNS)):
            node = lists.get(part)
            if not isinstance(node, yaml.SequenceNode) or not node.value:
                raise DirectoryError(f"{name}: {part} must be a non-empty list")
            rows[part] = []
            for item in node.value:
                line, value = item.start_mark.line + 1, loader.construct_object(item, deep=True)
                if not isinstance(value, dict):
                    raise DirectoryError(f"{name} line {line}: expected a mapping of {part} fields")
                missing = [c for c in columns if c not in value]
                if missing:
                    raise DirectoryError(f"{name} line {line}: missing {', '.join(missing)}")
                if isinstance(value.get("aliases"), list):
                    value["aliases"] = "|".join(map(str, value["aliases"]))
                rows[part].append((line, {k: "" if v is None else str(v).strip()
                                          for k, v in value.items()}))  # fmt: skip
        regions = _read_regions(rows["regions"], name)
        return cls(_read_units(rows["units"], regions, name), regions)

    # -- questions ----------------------------------------------------------------------------
    def area_of(self, region: str) -> list[str]:
        """The region and the areas above it, nearest first (an estate's street, district...)."""
        chain = []
        while region and region in self.regions:
            if self.regions[region].type in AREA_TYPES:
                chain.append(region)
            region = self.regions[region].parent
        return chain

    def district_of(self, region: str) -> str | None:
        return next(
            (r for r in self.area_of(region) if self.regions[r].type in ("district", "county")),
            None,
        )

    def street_of(self, region: str) -> str | None:
        return next(
            (r for r in self.area_of(region) if self.regions[r].type in ("street", "township")),
            None,
        )

    def city(self) -> str:
        return next(r.name for r in self.regions.values() if r.type == "city")

    def unit_for(self, kind: str, area: str | None) -> Unit | None:
        """The unit of ``kind`` serving ``area``, else the nearest one above it."""
        for region in [*self.area_of(area or ""), self.city()]:
            found = self._by_area_kind.get((region, kind))
            if found:
                return found[0]
        companies = [u for u in self.units.values() if u.kind == kind and u.level == "company"]
        return companies[0] if companies else None


REGION_COLUMNS = ["name", "type", "parent"]
UNIT_COLUMNS = ["id", "name", "kind", "level", "region"]


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DirectoryError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise DirectoryError(f"{path}: not UTF-8; save it as UTF-8") from None


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def _rows(text: str, name: str, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise DirectoryError(f"{name}: missing column(s) {', '.join(missing)}")
    rows = [
        (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
    ]
    if not rows:
        raise DirectoryError(f"{name}: no rows below the header")
    return rows


def _read_regions(rows: list[tuple[int, dict[str, str]]], name: str) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for line, row in rows:
        where = f"{name} line {line}"
        if not row["name"]:
            raise DirectoryError(f"{where}: name is empty")
        if row["type"] not in REGION_TYPES:
            raise DirectoryError(f"{where}: type {row['type']!r} is not one of {REGION_TYPES}")
        if row["name"] in regions:
            raise DirectoryError(f"{where}: region {row['name']!r} appears twice")
        regions[row["name"]] = Region(
            row["name"], row["type"], row["parent"] or None, _split(row.get("aliases", ""))
        )
    for line, row in rows:
        if row["parent"] and row["parent"] not in regions:
            raise DirectoryError(f"{name} line {line}: unknown parent {row['parent']!r}")
    if sum(r.type == "city" for r in regions.values()) != 1:
        raise DirectoryError(f"{name}: there must be exactly one region of type city")
    return regions


def _read_units(rows: list[tuple[int, dict[str, str]]], regions: dict[str, Region],
                name: str) -> dict[str, Unit]:  # fmt: skip
    kinds = {k.name for k in department_kinds()}
    units: dict[str, Unit] = {}
    for line, row in rows:
        where = f"{name} line {line}"
        if not row["id"] or not row["name"]:
            raise DirectoryError(f"{where}: id and name are required")
        if row["id"] in units:
            raise DirectoryError(f"{where}: id {row['id']!r} appears twice")
        if row["kind"] not in kinds:
            raise DirectoryError(f"{where}: kind {row['kind']!r} is not a department kind")
        if row["level"] not in LEVELS:
            raise DirectoryError(f"{where}: level {row['level']!r} is not one of {LEVELS}")
        if row["region"] not in regions:
            raise DirectoryError(f"{where}: region {row['region']!r} is not among the regions")
        units[row["id"]] = Unit(
            row["id"], row["name"], row["kind"], row["level"], row["region"],
            row.get("parent") or None, row.get("phone", ""), _split(row.get("aliases", "")),
        )  # fmt: skip
    for line, row in rows:
        if row.get("parent") and row["parent"] not in units:
            raise DirectoryError(f"{name} line {line}: unknown parent unit {row['parent']!r}")
    return units
