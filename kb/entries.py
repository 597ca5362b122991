"""Knowledge-base entries and their files: CSV, JSON and XLSX import with row-numbered errors.

An import is all or nothing: every row is checked first, and one bad row refuses the whole file,
with up to ``MAX_REPORTED`` errors listed by row so the editor can fix them in one pass.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from classifier import CodeStandard

SEPARATOR = "|"
MAX_REPORTED = 5
SUFFIXES = (".csv", ".json", ".xlsx")
SUFFIX_HINT = "use .csv, .json or .xlsx"
COLUMNS = [
    "id",
    "question",
    "similar_questions",
    "answer",
    "code",
    "department",
    "source",
    "valid_from",
    "valid_to",
    "version",
    "editor",
]


class KbImportError(ValueError):
    """A knowledge-base file that cannot be imported; the message names the rows at fault."""


class Entry(BaseModel):
    """One FAQ entry: the question, other ways people ask it, the answer and its metadata."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s|]+$")
    question: str = Field(min_length=1, max_length=500)
    similar_questions: list[str] = Field(default_factory=list, max_length=50)
    answer: str = Field(min_length=1, max_length=5000)
    code: str = Field(default="", max_length=20)
    department: str = Field(default="", max_length=100)
    source: str = Field(default="", max_length=500)
    valid_from: date | None = None
    valid_to: date | None = None
    version: int = Field(default=1, ge=1)
    editor: str = Field(default="", max_length=100)

    @field_validator("question", "answer", "source", "department", "editor", "code", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        # Kept as written (Chinese punctuation included); search normalises its own copy.
        return value.strip() if isinstance(value, str) else value

    @field_validator("similar_questions", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(SEPARATOR)
        if isinstance(value, list):
            cleaned = [v.strip() for v in value if isinstance(v, str)]
            if len(cleaned) != len(value):
                raise ValueError("similar_questions must be texts")
            return list(dict.fromkeys(v for v in cleaned if v))
        return value

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _empty_date(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _check(self) -> Entry:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

    @property
    def questions(self) -> list[str]:
        """The question first, then the similar questions not equal to it."""
        return [self.question, *(q for q in self.similar_questions if q != self.question)]

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def passage(self) -> str:
        """The text the encoder embeds as the entry's passage: question and answer."""
        return f"{self.question} {self.answer}"

    def row(self) -> dict[str, str]:
        """The entry as a flat CSV/XLSX row."""
        data = self.model_dump(mode="json")
        data["similar_questions"] = SEPARATOR.join(self.similar_questions)
        return {c: "" if data[c] is None else str(data[c]) for c in COLUMNS}


def validate_entries(
    rows: list[tuple[int, dict[str, Any]]], codes: CodeStandard | None = None, where: str = ""
) -> list[Entry]:
    """Entries from (row number, fields) pairs; every problem is collected, then raised."""
    codes = codes or CodeStandard.default()
    errors: list[str] = []
    entries: list[Entry] = []
    first_row: dict[str, int] = {}
    for number, fields in rows:
        fields = {k: v for k, v in fields.items() if k in COLUMNS and v not in ("", None)}
        try:
            entry = Entry.model_validate(fields)
        except ValidationError as exc:
            problem = exc.errors()[0]
            column = ".".join(str(p) for p in problem["loc"]) or "row"
            errors.append(f"row {number}: {column}: {problem['msg']}")
            continue
        if entry.code and entry.code not in codes:
            errors.append(f"row {number}: code: {entry.code!r} is not in the code standard")
        elif entry.id in first_row:
            errors.append(f"row {number}: id {entry.id!r} repeats row {first_row[entry.id]}")
        else:
            first_row[entry.id] = number
            entries.append(entry)
    if errors:
        more = f" (and {len(errors) - MAX_REPORTED} more)" if len(errors) > MAX_REPORTED else ""
        raise KbImportError(f"{where}: " + "; ".join(errors[:MAX_REPORTED]) + more)
    if not entries:
        raise KbImportError(f"{where}: no entries")
    return entries


def _rows_from_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
    rows = []
    for row in reader:
        if None in row:
            raise KbImportError(f"line {reader.line_num}: more fields than the header has")
        rows.append((reader.line_num, row))
    return rows


def _rows_from_json(text: str) -> list[tuple[int, dict[str, Any]]]:
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("entries")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise KbImportError('expected a list of entry objects (or {"entries": [...]})')
    return [(i + 1, item) for i, item in enumerate(data)]


def _rows_from_xlsx(path: Path) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(values, ())]
    rows = []
    for number, cells in enumerate(values, start=2):
        if all(c in (None, "") for c in cells):
            continue
        row = {}
        for name, cell in zip(header, cells, strict=False):
            if isinstance(cell, datetime):
                cell = cell.date()
            row[name] = "" if cell is None else cell if isinstance(cell, date) else str(cell)
        rows.append((number, row))
    return rows


def read_entries(path: Path, codes: CodeStandard | None = None) -> list[Entry]:
    """Entries of a .csv, .json or .xlsx file; ``KbImportError`` names the rows at fault."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KbImportError(f"{path}: unknown file type {suffix or '(none)'}; {SUFFIX_HINT}")
    try:
        if suffix == ".xlsx":
            rows = _rows_from_xlsx(path)
        else:
            text = path.read_bytes().decode("utf-8-sig")
            rows = _rows_from_csv(text) if suffix == ".csv" else _rows_from_json(text)
    except FileNotFoundError:
        raise KbImportError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise KbImportError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise KbImportError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except KbImportError as exc:
        raise KbImportError(f"{path}: {exc}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # not a workbook
        raise KbImportError(f"{path}: cannot be read as {suffix[1:].upper()} ({exc})") from None
    if rows and not {"id", "question", "answer"} <= set(rows[0][1]):
        missing = {"id", "question", "answer"} - set(rows[0][1])
        raise KbImportError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return validate_entries(rows, codes, str(path))


def write_entries(path: Path, entries: list[Entry]) -> None:
    """Export to .csv, .json or .xlsx, written under a temporary name and renamed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KbImportError(f"{path}: unknown file type {suffix or '(none)'}; {SUFFIX_HINT}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(fd)
    try:
        if suffix == ".json":
            data = [e.model_dump(mode="json") for e in entries]
            Path(tmp).write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        elif suffix == ".csv":
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, COLUMNS)
                writer.writeheader()
                writer.writerows(e.row() for e in entries)
        else:
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet("knowledge_base")
            sheet.append(COLUMNS)
            for e in entries:
                row = e.row()
                sheet.append([row[c] for c in COLUMNS])
            book.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
