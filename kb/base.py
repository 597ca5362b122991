"""The knowledge base: entries, their dense and lexical indexes, search and the answer decision.

On disk a knowledge base is a folder::

    CURRENT            name of the current snapshot, replaced atomically
    snap-000003/       entries.jsonl, questions.faiss, tombstones.json, passages.npy, meta.json
    journal-000003.jsonl  changes since that snapshot, one complete JSON line each
    ranker.json        fusion weights and answer thresholds

A change to a few entries encodes only those entries and appends one line to the journal (no
rebuild). Every reader, in this process or another worker, applies complete journal lines it has
not seen, so nobody reads a half-written change. Large imports, and a journal grown past
``COMPACT_AFTER`` lines, write a new snapshot folder and switch ``CURRENT`` to it in one rename.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from classifier import Encoder, normalize_text, segment
from classifier.triage import urgency_of
from kb.bm25 import Bm25Index
from kb.dense import DenseIndex
from kb.entries import Entry
from kb.homophones import HomophoneFixer
from kb.ranking import Ranker, asks_for_person
from kb.tokens import pinyin_tokens, word_tokens

COMPACT_AFTER = 500
CANDIDATES = 30
MAX_QUERY_CHARS = 1000

REASONS = {
    "answered": "知识库答案可信，直接答复",
    "low_score": "知识库中没有足够相符的答案，转人工",
    "ambiguous": "有两条答案同样相近，无法确定，转人工",
    "expired": "最相符的答案已过有效期，转人工",
    "emergency": "紧急情况，立即转人工（必要时转110/119/120）",
    "asked_for_person": "来电人要求人工服务，转人工",
    "empty": "知识库为空，转人工",
}


@dataclass
class Hit:
    entry: Entry
    score: float  # relevance 0-1: estimated probability that the entry answers the question
    matched_question: str
    expired: bool
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class Reply:
    """What the bot does with a question: answer with ``entry`` or hand off, and why."""

    answered: bool
    reason: str
    message: str
    hits: list[Hit]

    @property
    def entry(self) -> Entry | None:
        return self.hits[0].entry if self.answered else None


def _pack(vectors: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()).decode()


def _unpack(text: str, dim: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.float32).reshape(-1, dim)


class KnowledgeBase:
    """``KnowledgeBase.open(folder, encoder)``; ``search``, ``reply``, ``upsert``, ``delete``."""

    def __init__(self, folder: Path, encoder: Encoder):
        self.folder = Path(folder)
        self.encoder = encoder
        self.dim = encoder.dim
        self._lock = threading.RLock()
        self._ranker, self._ranker_stamp = Ranker(), -1
        self._reset()

    def _reset(self) -> None:
        self.entries: dict[str, Entry] = {}
        self._rows: dict[int, tuple[str, str]] = {}  # row id -> (entry id, question text)
        self._entry_rows: dict[str, list[int]] = {}
        self._passages: dict[str, np.ndarray] = {}
        self._dense = DenseIndex(self.dim)
        self._words = Bm25Index()
        self._pinyin = Bm25Index()
        self._homophones = HomophoneFixer()
        self._next_row = 0
        self._snapshot = ""
        self._journal_offset = 0
        self._journal_count = 0  # complete lines applied from the current journal

    # -- opening and persistence ---------------------------------------------------------------
    @classmethod
    def open(cls, folder: Path, encoder: Encoder) -> KnowledgeBase:
        """Open the knowledge base in ``folder``, creating an empty one if there is none."""
        kb = cls(folder, encoder)
        kb.folder.mkdir(parents=True, exist_ok=True)
        with kb._writing():
            if not (kb.folder / "CURRENT").exists():
                kb._write_snapshot()
        kb.refresh()
        return kb

    @property
    def ranker(self) -> Ranker:
        """The fusion weights and thresholds, re-read only when ranker.json changes."""
        path = self.folder / "ranker.json"
        stamp = path.stat().st_mtime_ns if path.exists() else 0
        if self._ranker_stamp != stamp:
            self._ranker, self._ranker_stamp = Ranker.load(path), stamp
        return self._ranker

    def set_ranker(self, ranker: Ranker) -> None:
        ranker.save(self.folder / "ranker.json")

    @contextmanager
    def _writing(self):
        """One writer at a time across processes; it first catches up with the others."""
        with open(self.folder / ".lock", "w") as lock, self._lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if (self.folder / "CURRENT").exists():
                    self._catch_up()
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def refresh(self) -> None:
        """Apply what other processes wrote since we last looked (cheap when nothing changed)."""
        with self._lock:
            self._catch_up()

    def _catch_up(self) -> None:
        current = (self.folder / "CURRENT").read_text().strip()
        if current != self._snapshot:
            self._load_snapshot(current)
        journal = self.folder / f"journal-{current[5:]}.jsonl"
        if not journal.exists() or journal.stat().st_size == self._journal_offset:
            return
        with open(journal, "rb") as f:
            f.seek(self._journal_offset)
            for line in f:
                if not line.endswith(b"\n"):
                    break  # being written; read it next time
                self._apply(json.loads(line))
                self._journal_offset += len(line)
                self._journal_count += 1

    def _load_snapshot(self, name: str) -> None:
        self._reset()
        folder = self.folder / name
        meta = json.loads((folder / "meta.json").read_text())
        if meta["dim"] != self.dim:
            raise ValueError(f"built with {meta['dim']}-d vectors, the encoder gives {self.dim}")
        self._dense = DenseIndex.load(folder, self.dim)
        passages = np.load(folder / "passages.npy")
        with open(folder / "entries.jsonl", encoding="utf-8") as f:
            for i, line in enumerate(f):
                item = json.loads(line)
                entry = Entry.model_validate(item["entry"])
                self._index_entry(entry, item["rows"], passages[i])
        self._next_row = meta["next_row"]
        self._snapshot = name

    def _write_snapshot(self) -> None:
        """Write the whole state as a new snapshot and switch to it; drop older ones."""
        number = int(self._snapshot[5:]) + 1 if self._snapshot else 1
        name = f"snap-{number:06d}"
        tmp = self.folder / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        rebuilt = DenseIndex.build(
            np.array(list(self._rows), dtype=np.int64),
            self._dense.vectors(list(self._rows)),
            self.dim,
        )
        rebuilt.save(tmp)
        ids = list(self.entries)
        with open(tmp / "entries.jsonl", "w", encoding="utf-8") as f:
            for entry_id in ids:
                item = {
                    "entry": self.entries[entry_id].model_dump(mode="json"),
                    "rows": self._entry_rows[entry_id],
                }
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        passages = np.vstack([self._passages[i] for i in ids]) if ids else np.zeros((0, self.dim))
        np.save(tmp / "passages.npy", passages.astype(np.float32))
        meta = {"dim": self.dim, "next_row": self._next_row, "entries": len(ids)}
        (tmp / "meta.json").write_text(json.dumps(meta))
        os.replace(tmp, self.folder / name)
        pointer = self.folder / ".CURRENT.tmp"
        pointer.write_text(name)
        os.replace(pointer, self.folder / "CURRENT")
        old = self._snapshot
        self._dense, self._snapshot = rebuilt, name
        self._journal_offset = self._journal_count = 0
        # Keep the previous snapshot for readers that are still loading it; drop older ones.
        for path in self.folder.iterdir():
            keep = {name, old, f"journal-{name[5:]}.jsonl", f"journal-{old[5:]}.jsonl"}
            if re.fullmatch(r"(snap-\d+|journal-\d+\.jsonl)", path.name) and path.name not in keep:
                shutil.rmtree(path) if path.is_dir() else path.unlink()

    def _append(self, op: dict) -> None:
        journal = self.folder / f"journal-{self._snapshot[5:]}.jsonl"
        line = (json.dumps(op, ensure_ascii=False) + "\n").encode("utf-8")
        with open(journal, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self._apply(op)
        self._journal_offset += len(line)
        self._journal_count += 1
        if self._journal_count > COMPACT_AFTER:
            self._write_snapshot()

    # -- applying changes ------------------------------------------------------------------------
    def _index_entry(self, entry: Entry, rows: list[int], passage: np.ndarray) -> None:
        self.entries[entry.id] = entry
        self._entry_rows[entry.id] = rows
        self._passages[entry.id] = np.asarray(passage, dtype=np.float32)
        for row, text in zip(rows, entry.questions, strict=True):
            self._rows[row] = (entry.id, text)
            self._words.add(row, word_tokens(text))
            self._pinyin.add(row, pinyin_tokens(text))
            self._homophones.add(segment(text))

    def _unindex_entry(self, entry_id: str) -> None:
        entry = self.entries.pop(entry_id)
        rows = self._entry_rows.pop(entry_id)
        self._passages.pop(entry_id)
        for row, text in zip(rows, entry.questions, strict=True):
            del self._rows[row]
            self._words.remove(row, word_tokens(text))
            self._pinyin.remove(row, pinyin_tokens(text))
            self._homophones.add(segment(text), sign=-1)
        self._dense.remove(rows)

    def _apply(self, op: dict) -> None:
        if op["op"] == "delete":
            for entry_id in op["ids"]:
                if entry_id in self.entries:
                    self._unindex_entry(entry_id)
            return
        for item in op["entries"]:
            entry = Entry.model_validate(item["entry"])
            if entry.id in self.entries:
                self._unindex_entry(entry.id)
            rows = item["rows"]
            self._dense.add(rows, _unpack(item["questions"], self.dim))
            self._index_entry(entry, rows, _unpack(item["passage"], self.dim)[0])
            self._next_row = max(self._next_row, max(rows) + 1)

    # -- editing -----------------------------------------------------------------------------------
    def upsert(self, entries: list[Entry], editor: str = "") -> tuple[int, int]:
        """Add new entries and update existing ones (version + 1); returns (added, updated).

        Everything is encoded before anything changes, so a failure leaves the base as it was.
        """
        texts = [q for e in entries for q in e.questions]
        question_vectors = self.encoder.encode_queries(texts) if texts else None
        passage_vectors = self.encoder.encode_passages([e.passage() for e in entries])
        with self._writing():
            items, start, added = [], 0, 0
            for i, entry in enumerate(entries):
                old = self.entries.get(entry.id)
                update = {"editor": editor or entry.editor}
                if old is not None:
                    update["version"] = max(entry.version, old.version + 1)
                else:
                    added += 1
                entry = entry.model_copy(update=update)
                n = len(entry.questions)
                rows = list(range(self._next_row, self._next_row + n))
                self._next_row += n
                items.append(
                    {
                        "entry": entry.model_dump(mode="json"),
                        "rows": rows,
                        "questions": _pack(question_vectors[start : start + n]),
                        "passage": _pack(passage_vectors[i]),
                    }
                )
                start += n
            op = {"op": "upsert", "entries": items}
            if len(entries) > COMPACT_AFTER:
                self._apply(op)
                self._write_snapshot()
            else:
                self._append(op)
        return added, len(entries) - added

    def delete(self, ids: list[str]) -> int:
        """Delete entries by id; returns how many existed."""
        with self._writing():
            found = [i for i in ids if i in self.entries]
            if found:
                self._append({"op": "delete", "ids": found})
        return len(found)

    def replace_all(self, entries: list[Entry], editor: str = "") -> tuple[int, int]:
        """Make the base hold exactly ``entries`` (an import with ``--replace``)."""
        keep = {e.id for e in entries}
        counts = self.upsert(entries, editor)
        self.delete([i for i in list(self.entries) if i not in keep])
        return counts

    # -- search and the decision -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def search(
        self, query: str, k: int = 5, *, today: date | None = None, ranker: Ranker | None = None
    ) -> list[Hit]:
        """The ``k`` best entries for a question, most relevant first (expired ones marked)."""
        query = self.prepare_query(query)
        vector = self.encoder.encode_queries(query)
        return self.rank(query, vector, k, today=today, ranker=ranker)

    def prepare_query(self, query: str) -> str:
        """The question as it is searched: normalised, cut to length, homophones undone."""
        query = normalize_text(query)[:MAX_QUERY_CHARS]
        if not query:
            raise ValueError("the question is empty")
        with self._lock:
            return self._homophones.fix(query)

    def rank(
        self,
        query: str,
        vector: np.ndarray,
        k: int,
        *,
        today: date | None = None,
        ranker: Ranker | None = None,
    ) -> list[Hit]:
        """``search`` of a prepared query already encoded (evaluation encodes in batches)."""
        ranker = ranker or self.ranker
        today = today or date.today()
        with self._lock:
            if not self.entries:
                return []
            dense = self._dense.search(vector, CANDIDATES)
            words = self._words.top(word_tokens(query), CANDIDATES)
            pinyin = self._pinyin.top(pinyin_tokens(query), CANDIDATES)
            candidates = {self._rows[row][0] for row, _ in dense + words + pinyin}
            best_words = max((s for _, s in words), default=0.0) or 1.0
            best_pinyin = max((s for _, s in pinyin), default=0.0) or 1.0
            word_scores = {row: s / best_words for row, s in words}
            pinyin_scores = {row: s / best_pinyin for row, s in pinyin}
            hits = []
            for entry_id in candidates:
                rows = self._entry_rows[entry_id]
                cosines = self._dense.vectors(rows) @ vector
                best = int(np.argmax(cosines))
                features = {
                    "question": float(cosines[best]),
                    "passage": float(self._passages[entry_id] @ vector),
                    "words": max(word_scores.get(r, 0.0) for r in rows),
                    "pinyin": max(pinyin_scores.get(r, 0.0) for r in rows),
                }
                entry = self.entries[entry_id]
                features["fused"] = ranker.fuse(features)
                hits.append(
                    Hit(
                        entry=entry,
                        score=0.0,
                        matched_question=self._rows[rows[best]][1],
                        expired=not entry.is_valid_on(today),
                        features=features,
                    )
                )
        hits.sort(key=lambda h: (-h.features["fused"], h.entry.id))
        top = hits[0]
        other = next((h for h in hits if h.entry.answer != top.entry.answer), None)
        for hit in hits[:k]:
            rival = other if hit.entry.answer == top.entry.answer else top
            hit.features["gap"] = hit.features["fused"] - (rival.features["fused"] if rival else 0)
            hit.score = ranker.relevance(hit.features["fused"], hit.features["gap"])
        return hits[:k]

    def reply(self, query: str, k: int = 5, *, today: date | None = None) -> Reply:
        """Answer from the knowledge base when it is sure, otherwise hand off and say why."""
        ranker = self.ranker
        hits = self.search(query, k, today=today, ranker=ranker)
        urgency, _, service = urgency_of(query)
        if urgency == "emergency":
            reason = "emergency"
        elif asks_for_person(query):
            reason = "asked_for_person"
        elif not hits:
            reason = "empty"
        else:
            reason = decide(hits, ranker)
        message = REASONS[reason]
        if reason == "emergency" and service:
            message += f"：{service}"
        return Reply(answered=reason == "answered", reason=reason, message=message, hits=hits)


def decide(hits: list[Hit], ranker: Ranker) -> str:
    """The reason for answering with the top hit or not (see ``REASONS``)."""
    top = hits[0]
    if top.score < ranker.threshold:
        return "low_score"
    if top.expired:
        return "expired"
    runner_up = next((h for h in hits[1:] if h.entry.answer != top.entry.answer), None)
    # A tie is ambiguous even with no margin set: two answers cannot both be the right one.
    if runner_up is not None and top.score - runner_up.score <= ranker.margin:
        return "ambiguous"
    return "answered"
