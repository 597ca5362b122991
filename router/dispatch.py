"""The dispatch catalogue (派单目录) and the router that applies it.

A rule matches an appeal by code prefix and/or a pattern over its text, and names the kind of
the lead unit, the kinds that assist, and where the lead sits (``scope``): the unit of the
appeal's own district (``local``), the city bureau (``city``), the street office or township
government of the place (``street``, 综合属地), or a utility (``company``). The rule with the
highest priority wins; among equals, the longer code prefix. The directory then turns kinds
into units for the appeal's place, and every decision says why in words an agent can read.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from classifier import CodeStandard
from router.directory import Directory, Unit
from router.kind_model import KindModel
from router.kinds import department_kinds
from router.places import PlaceFinder

SCOPES = ("local", "city", "street", "company")
LOCAL_KIND = "综合属地"
HISTORY_NEIGHBOURS = 10
HISTORY_SHARE = 0.6
# Which utility a text is about: the company whose name carries the same word.
_UTILITIES = [("水", r"水(?!电)|自来水|供水|水压|水费"), ("电", r"电(?!梯|话|动车)|供电|停电"),
              ("燃气", r"燃气|天然气|煤气"), ("热", r"暖气|供暖|供热|采暖")]  # fmt: skip


class CatalogueError(ValueError):
    """A catalogue that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Rule:
    rule: int
    priority: int
    code_prefix: str
    keywords: re.Pattern | None
    lead_kind: str
    assisting_kinds: tuple[str, ...]
    scope: str
    note: str

    def matches(self, code: str, text: str) -> bool:
        if self.code_prefix and not code.startswith(self.code_prefix):
            return False
        return self.keywords is None or bool(self.keywords.search(text))


@dataclass
class Decision:
    code: str
    lead_kind: str
    lead: Unit | None
    assisting: list[Unit]
    assisting_kinds: list[str]
    place: str | None
    rule: Rule | None
    reason: str


class Catalogue:
    def __init__(self, rules: list[Rule]):
        self.rules = sorted(rules, key=lambda r: (-r.priority, -len(r.code_prefix), r.rule))

    @classmethod
    def default(cls) -> Catalogue:
        text = resources.files("router").joinpath("resources", "dispatch_rules.csv")
        return cls.from_csv_text(text.read_text("utf-8"), "dispatch_rules.csv")

    @classmethod
    def load(cls, path: Path, codes: CodeStandard | None = None) -> Catalogue:
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")
        except (FileNotFoundError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{path}: cannot read ({exc.__class__.__name__})") from None
        return cls.from_csv_text(text, str(path), codes)

    @classmethod
    def from_csv_text(cls, text: str, name: str, codes: CodeStandard | None = None) -> Catalogue:
        codes = codes or CodeStandard.default()
        kinds = {k.name for k in department_kinds()}
        reader = csv.DictReader(io.StringIO(text))
        rules = []
        for row in reader:
            where = f"{name} line {reader.line_num}"
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            try:
                keywords = re.compile(row["keywords"]) if row["keywords"] else None
                rule = Rule(
                    int(row["rule"]), int(row["priority"]), row["code_prefix"], keywords,
                    row["lead_kind"], tuple(k for k in row["assisting_kinds"].split("|") if k),
                    row["scope"], row.get("note", ""),
                )  # fmt: skip
            except (KeyError, ValueError, re.error) as exc:
                raise CatalogueError(f"{where}: {exc}") from None
            bad = [k for k in (rule.lead_kind, *rule.assisting_kinds) if k not in kinds]
            if bad:
                raise CatalogueError(f"{where}: {', '.join(bad)} is not a department kind")
            if rule.scope not in SCOPES:
                raise CatalogueError(f"{where}: scope {rule.scope!r} is not one of {SCOPES}")
            if rule.code_prefix and rule.code_prefix not in codes:
                raise CatalogueError(f"{where}: code {rule.code_prefix} is not in the standard")
            if not rule.code_prefix and rule.keywords is None:
                raise CatalogueError(f"{where}: a rule needs a code prefix or keywords")
            rules.append(rule)
        if not rules:
            raise CatalogueError(f"{name}: no rules")
        return cls(rules)

    def match(self, code: str, text: str) -> list[Rule]:
        """Matching rules, the winner first."""
        return [r for r in self.rules if r.matches(code, text)]


class RoutingHistory:
    """Past cases and the kind of unit that handled them, searched by meaning (e5 vectors).

    A centre's practice differs from any catalogue (in one city the street office answers
    most estate complaints, in another the housing bureau): the kinds similar past cases went
    to say what this centre does.
    """

    threshold = HISTORY_SHARE
    learned = False

    def __init__(self, dim: int):
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.kinds: list[str] = []

    def add(self, vectors: np.ndarray, kinds: list[str]) -> None:
        self.vectors = np.vstack([self.vectors, np.asarray(vectors, dtype=np.float32)])
        self.kinds.extend(kinds)

    def vote(self, vector: np.ndarray, k: int = HISTORY_NEIGHBOURS) -> tuple[str, float, int]:
        """The kind most similar past cases went to, its similarity-weighted share, and n."""
        if not self.kinds:
            return "", 0.0, 0
        scores = self.vectors @ vector
        nearest = np.argsort(-scores)[:k]
        weights: dict[str, float] = {}
        for slot in nearest:
            weights[self.kinds[slot]] = weights.get(self.kinds[slot], 0.0) + float(scores[slot])
        kind = max(weights, key=weights.get)
        return kind, weights[kind] / sum(weights.values()), len(nearest)


class Router:
    """``route(text, code)``: lead and assisting units, with the reason.

    The catalogue decides, except where past cases like this one clearly went to another kind
    of unit: a similarity-weighted share of at least ``HISTORY_SHARE`` of the nearest
    ``HISTORY_NEIGHBOURS`` (``RoutingHistory``), or a probability of at least its threshold from
    a model learned from the centre's closed cases (``router.kind_model.KindModel``). A centre's
    own practice beats a generic catalogue, the reason says so, and the catalogue's unit assists.
    """

    def __init__(self, directory: Directory, catalogue: Catalogue, codes: CodeStandard,
                 history: RoutingHistory | KindModel | None = None):  # fmt: skip
        self.directory = directory
        self.catalogue = catalogue
        self.codes = codes
        self.history = history
        self.places = PlaceFinder(directory)

    def _company(self, kind: str, text: str) -> Unit | None:
        companies = [u for u in self.directory.units.values()
                     if u.kind == kind and u.level == "company"]  # fmt: skip
        for word, pattern in _UTILITIES:
            if re.search(pattern, text):
                named = [u for u in companies if word in u.name]
                if named:
                    return named[0]
        return companies[0] if companies else self.directory.unit_for(kind, None)

    def _unit(self, kind: str, scope: str, place: str | None, text: str = "") -> Unit | None:
        d = self.directory
        if scope == "city":
            return d.unit_for(kind, d.city())
        if scope == "company":
            return self._company(kind, text)
        if scope == "street":
            return d.unit_for(LOCAL_KIND, d.street_of(place or "") or d.district_of(place or ""))
        return d.unit_for(kind, d.district_of(place or ""))

    def route(self, text: str, code: str, vector: np.ndarray | None = None) -> Decision:
        """``vector``: the appeal's e5 query vector, needed to consult the history."""
        found = self.places.find(text)
        place = found[0] if found else None
        rules = self.catalogue.match(code, text)
        name = self.codes[code].name if code in self.codes else ""
        where = f"{place}" if place else "未识别属地"
        past_kind, share, n = ("", 0.0, 0)
        if self.history is not None and vector is not None:
            past_kind, share, n = self.history.vote(vector)
        if rules:
            rule_kind = LOCAL_KIND if rules[0].scope == "street" else rules[0].lead_kind
        else:
            rule_kind = LOCAL_KIND
        if past_kind and share >= self.history.threshold and past_kind != rule_kind:
            scope = "street" if past_kind == LOCAL_KIND else "local"
            lead = self._unit(past_kind, scope, place, text)
            target = lead.name if lead else past_kind
            if self.history.learned:
                basis = f"据本中心 {n} 件已办结工单学习，置信度 {share:.0%}"
            else:
                basis = f"近 {n} 件中占 {share:.0%}"
            reason = (f"代码 {code} {name}，{where} -> {target}，相似历史工单多由{past_kind}类单位"
                      f"办理（{basis}）；派单目录建议{rule_kind}类单位，列为协办")  # fmt: skip
            assisting_kinds = [rule_kind]
            assisting = [u for k in assisting_kinds if (u := self._unit(k, "local", place))]
            return Decision(code, past_kind, lead, assisting, assisting_kinds, place, None, reason)
        if rules:
            rule = rules[0]
            lead_kind = LOCAL_KIND if rule.scope == "street" else rule.lead_kind
            lead = self._unit(rule.lead_kind, rule.scope, place, text)
            assisting_kinds = [k for k in rule.assisting_kinds if k != lead_kind]
            if rule.scope == "street" and rule.lead_kind != LOCAL_KIND:
                assisting_kinds.insert(0, rule.lead_kind)
            why = f"规则 {rule.rule}" + (f"：{rule.note}" if rule.note else "")
        else:  # nothing in the catalogue: the local government of the place takes it
            rule, lead_kind, assisting_kinds = None, LOCAL_KIND, []
            lead = self._unit(LOCAL_KIND, "street", place)
            why = "派单目录无对应规则，交属地政府"
        assisting = [u for k in assisting_kinds if (u := self._unit(k, "local", place))]
        if lead:
            target = lead.name
        else:  # a street-level rule needs the place, or the directory lacks the kind
            target = f"{lead_kind}（{'目录中无此单位' if place else '请坐席指定属地单位'}）"
        reason = f"代码 {code} {name}，{where} -> {target}，{why}"
        return Decision(code, lead_kind, lead, assisting, assisting_kinds, place, rule, reason)
