"""The appeal code standard (诉求分类与代码): a tree of codes, level 1 to 3, loaded from a file.

The default standard ships with the product (``resources/appeal_codes.csv``): the category names
of the provincial appeal taxonomy with codes, descriptions and keywords assigned by this project
(two digits a level). A centre loads its own standard from CSV or YAML with the same fields.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

FIELDS = ("code", "level", "name", "parent", "description", "keywords")
DEFAULT_SOURCE = "project-assigned codes over the provincial appeal taxonomy's category names"


class CodeStandardError(ValueError):
    """A code standard file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class CodeNode:
    code: str
    level: int
    name: str
    parent: str | None
    description: str = ""
    keywords: tuple[str, ...] = ()

    def profile(self) -> str:
        """The node as a text the encoder can compare appeals with."""
        words = "、".join(self.keywords)
        return f"{self.name}。{self.description} {words}".strip()


@dataclass
class CodeStandard:
    nodes: dict[str, CodeNode]
    source: str = ""
    _children: dict[str | None, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._children = {}
        for node in self.nodes.values():
            self._children.setdefault(node.parent, []).append(node.code)

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def default(cls) -> CodeStandard:
        text = resources.files("classifier").joinpath("resources", "appeal_codes.csv")
        return cls.from_csv_text(text.read_text("utf-8"), "appeal_codes.csv", DEFAULT_SOURCE)

    @classmethod
    def load(cls, path: Path) -> CodeStandard:
        path = Path(path)
        try:
            text = path.read_text("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CodeStandardError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
        except OSError as exc:
            raise CodeStandardError(f"{path}: cannot read ({exc.strerror})") from exc
        if path.suffix.lower() in (".yaml", ".yml"):
            return cls.from_yaml_text(text, path.name)
        return cls.from_csv_text(text, path.name, str(path))

    @classmethod
    def from_csv_text(cls, text: str, name: str, source: str = "") -> CodeStandard:
        reader = csv.DictReader(io.StringIO(text))
        missing = [
            f for f in ("code", "level", "name", "parent") if f not in (reader.fieldnames or [])
        ]
        if missing:
            raise CodeStandardError(f"{name}: missing column(s) {', '.join(missing)}")
        rows = ((reader.line_num, row) for row in reader)
        return cls._build(rows, name, source)

    @classmethod
    def from_yaml_text(cls, text: str, name: str) -> CodeStandard:
        """YAML: a list of mappings with the CSV's fields; keywords a list or ';'-separated."""
        import yaml

        try:
            loader = yaml.SafeLoader(text)
            document = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise CodeStandardError(f"{name}: not valid YAML ({exc})") from exc
        if document is None or not isinstance(document, yaml.SequenceNode):
            raise CodeStandardError(f"{name}: expected a list of codes")
        rows = []
        for item in document.value:
            line = item.start_mark.line + 1
            value = loader.construct_object(item, deep=True)
            if not isinstance(value, dict):
                raise CodeStandardError(f"{name} line {line}: expected a mapping of code fields")
            if isinstance(value.get("keywords"), list):
                value["keywords"] = ";".join(map(str, value["keywords"]))
            rows.append((line, {k: "" if v is None else str(v) for k, v in value.items()}))
        return cls._build(iter(rows), name, name)

    @classmethod
    def _build(cls, rows: Iterator[tuple[int, dict]], name: str, source: str) -> CodeStandard:
        nodes: dict[str, CodeNode] = {}
        lines: dict[str, int] = {}
        for line, row in rows:
            where = f"{name} line {line}"
            code = (row.get("code") or "").strip()
            node_name = (row.get("name") or "").strip()
            parent = (row.get("parent") or "").strip() or None
            if not code:
                raise CodeStandardError(f"{where}: empty code")
            if not node_name:
                raise CodeStandardError(f"{where}: empty name for code {code}")
            if code in nodes:
                raise CodeStandardError(
                    f"{where}: duplicate code {code} (first on line {lines[code]})"
                )
            try:
                level = int((row.get("level") or "").strip())
            except ValueError:
                raise CodeStandardError(f"{where}: level must be 1, 2 or 3") from None
            if level not in (1, 2, 3):
                raise CodeStandardError(f"{where}: level must be 1, 2 or 3, not {level}")
            if (level == 1) != (parent is None):
                raise CodeStandardError(
                    f"{where}: code {code} at level {level} "
                    + ("must not have a parent" if level == 1 else "needs a parent")
                )
            keywords = tuple(k.strip() for k in (row.get("keywords") or "").split(";") if k.strip())
            nodes[code] = CodeNode(
                code, level, node_name, parent, (row.get("description") or "").strip(), keywords
            )
            lines[code] = line
        if not nodes:
            raise CodeStandardError(f"{name}: no codes")
        for code, node in nodes.items():
            if node.parent is None:
                continue
            parent_node = nodes.get(node.parent)
            if parent_node is None:
                raise CodeStandardError(
                    f"{name} line {lines[code]}: parent {node.parent} of code {code} does not exist"
                )
            if parent_node.level != node.level - 1:
                raise CodeStandardError(
                    f"{name} line {lines[code]}: code {code} at level {node.level} has parent "
                    f"{node.parent} at level {parent_node.level}"
                )
        return cls(nodes, source)

    # -- queries -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, code: str) -> bool:
        return code in self.nodes

    def __getitem__(self, code: str) -> CodeNode:
        return self.nodes[code]

    def children(self, code: str | None) -> list[CodeNode]:
        """Children of ``code``; ``None`` gives the level-1 codes."""
        return [self.nodes[c] for c in self._children.get(code, [])]

    def level(self, level: int) -> list[CodeNode]:
        return [n for n in self.nodes.values() if n.level == level]

    def path(self, code: str) -> list[CodeNode]:
        """The nodes from level 1 down to ``code``."""
        out = []
        node: CodeNode | None = self.nodes[code]
        while node is not None:
            out.append(node)
            node = self.nodes[node.parent] if node.parent else None
        return out[::-1]

    def ancestor(self, code: str, level: int) -> CodeNode:
        return self.path(code)[level - 1]

    def resolve(self, label: str) -> str:
        """The code for a label that is a code, a category name, or a path 'a/b/c' of names."""
        label = label.strip()
        if label in self.nodes:
            return label
        parts = [p.strip() for p in label.replace(">", "/").split("/") if p.strip()]
        parent: str | None = None
        for part in parts if len(parts) > 1 else []:
            match = [n.code for n in self.children(parent) if n.name == part]
            if not match:
                raise KeyError(f"unknown category path {label!r}")
            parent = match[0]
        if parent is not None:
            return parent
        matches = [n for n in self.nodes.values() if n.name == label]
        if not matches:
            raise KeyError(f"unknown code or category name {label!r}")
        shallowest = min(n.level for n in matches)
        top = [n for n in matches if n.level == shallowest]
        if len(top) > 1:
            codes = ", ".join(n.code for n in top)
            raise KeyError(f"category name {label!r} is ambiguous ({codes}); give the code")
        return top[0].code

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for n in self.nodes.values():
            writer.writerow(
                [n.code, n.level, n.name, n.parent or "", n.description, ";".join(n.keywords)]
            )
        return out.getvalue()
