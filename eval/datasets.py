"""Readers for the shared evaluation data in ``../shared/data`` (never copied into the repo)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from classifier.text import normalize_text


@dataclass(frozen=True)
class LabelledAppeal:
    title: str
    body: str
    label: str  # a level-1 category name
    source: str


def labelled_appeals(data_dir: Path, split: str) -> list[LabelledAppeal]:
    """Rows of one split. ``train`` combines the three labelled files, deduplicated on text
    (titles and bodies recur across them); ``test`` is the test rows of labelled_full.csv."""
    folder = Path(data_dir) / "appeals"
    files = [("labelled_full.csv", "full")]
    if split == "train":
        files += [("labelled_bodies.csv", "bodies"), ("labelled_titles.csv", "titles")]
    seen: set[str] = set()
    out = []
    for name, source in files:
        with (folder / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["split"] != split or row.get("label_conflict") in ("1", "True", "true"):
                    continue
                title = normalize_text(row.get("title") or "")
                body = normalize_text(row.get("body") or "")
                key = f"{title}|{body}"
                if (title or body) and key not in seen:
                    seen.add(key)
                    out.append(LabelledAppeal(title, body, row["label"], source))
    return out
