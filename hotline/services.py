"""What one server process holds: the database, and the models loaded once on first use
(encoder, classifier, knowledge base, router, the index of stored cases)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from analytics import snapshots
from hotline import case_vectors, runtime
from hotline.db import session_scope
from hotline.settings import Settings
from hotline.tables import CaseRow, UnitRow
from hotline.topic_figures import topic_figures
from router.cases import CaseDesk

MIN_HISTORY = 100  # answered cases before the router learns this centre's practice
MAX_INDEXED = 20_000  # newest cases a worker indexes at its first suggestion
FILL_LIMIT = 256  # case vectors the timers encode per pass (about 4 s on 2 cores)
FILL_BATCH = 16  # per encoder call: a suggestion waits at most one batch (about 0.3 s)


class Services:
    def __init__(self, settings: Settings, engine: Engine):
        self.settings = settings
        self.engine = engine
        self.desk_options = runtime.desk_options(settings)
        self.rating_policy = runtime.rating_policy(settings)
        self._lock = threading.RLock()
        self._indexed_case = 0
        self._vectors: dict[str, np.ndarray] = {}  # case number -> e5 query vector

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    def now(self) -> datetime:
        return self.desk_options["clock"]()

    def desk(self, session: Session) -> CaseDesk:
        return CaseDesk(session, **self.desk_options)

    # -- models, loaded on first use, once per process --------------------------------------------
    @cached_property
    def encoder(self):
        from classifier import Encoder

        with self._lock:
            return Encoder.shared(self.settings.cache_dir, **self.settings.encoder_options())

    @property
    def model_dir(self):
        return self.settings.data_dir / "model"

    @cached_property
    def codes(self):
        """The code standard: the trained model's own, else the default one."""
        from classifier import CodeStandard

        saved = self.model_dir / "codes.csv"
        return CodeStandard.load(saved) if saved.exists() else CodeStandard.default()

    @cached_property
    def classifier(self):
        """The centre's trained model (``hotline train --out DATA_DIR/model``), else zero-shot."""
        from classifier import Classifier
        from classifier.model import MANIFEST

        with self._lock:
            if (self.model_dir / MANIFEST).exists():
                return Classifier.load(self.model_dir, self.encoder)
            return Classifier(self.codes, self.encoder)

    @cached_property
    def kb(self):
        from kb import KnowledgeBase

        with self._lock:
            return KnowledgeBase.open(self.settings.kb_dir, self.encoder)

    @cached_property
    def router(self):
        """The catalogue, with a kind model learned from this centre's answered cases once
        there are ``MIN_HISTORY`` of them (learned when the worker first routes; a restart
        learns from the cases answered since)."""
        from router import Catalogue, Router
        from router.kind_model import KindModel

        self.indexed_cases()
        with self.session() as session:
            rows = session.execute(
                select(CaseRow.number, UnitRow.kind)
                .join(UnitRow, UnitRow.id == CaseRow.lead_unit_id)
                .where(CaseRow.state.in_(("replied", "followed_up", "closed")))
            ).all()
        known = [(self._vectors[n], kind) for n, kind in rows if n in self._vectors]
        history = None
        if len(known) >= MIN_HISTORY:
            history = KindModel.from_vectors(np.stack([v for v, _ in known]),
                                             [k for _, k in known])  # fmt: skip
        return Router(runtime.directory(self.settings), Catalogue.default(), self.codes, history)

    @cached_property
    def case_index(self):
        from kb.similar import CaseIndex

        return CaseIndex(self.encoder)

    def case_vectors(self, cases: list[tuple[int, str, str]]) -> np.ndarray:
        """Vectors of these cases (id, title, body): stored ones read, the others encoded now
        and stored for every worker. No lock: the database settles two workers storing one case,
        and suggestions must not wait behind a long encoding."""
        with self.session() as session:
            return case_vectors.vectors_for(session, self.encoder, cases)

    def fill_case_vectors(self, limit: int = FILL_LIMIT) -> int:
        """Encode and store the vectors of up to ``limit`` of the newest cases without one (the
        timers call this, so that intake never waits for the encoder); how many."""
        with self.session() as session:
            cases = case_vectors.missing(session, self.encoder.dim, limit)
        for start in range(0, len(cases), FILL_BATCH):
            with self.session() as session:
                case_vectors.vectors_for(session, self.encoder, cases[start : start + FILL_BATCH])
        return len(cases)

    def background_work(self) -> None:
        """What the worker holding the timers' lease does after each pass: encode new cases and
        refresh the dashboard's snapshots (each computed outside the transaction that stores
        it, so no write waits for a computation)."""
        self.fill_case_vectors()
        compute = {**snapshots.SQL_FIGURES, "topics": lambda _session, f: topic_figures(self, f)}
        now = self.now()
        with self.session() as session:
            due = snapshots.due(session, now)
        for kind, f in due:
            with self.session() as session:
                figures = compute[kind](session, f)
            with self.session() as session:
                snapshots.store(session, kind, f, now, figures)

    def indexed_cases(self):
        """The similar-case index, with every case stored since the last call added (cases
        filed by other workers included). The first call reads, or encodes and stores, the
        vectors of the newest ``MAX_INDEXED`` cases."""
        index = self.case_index
        with self._lock, self.session() as session:
            query = (select(CaseRow.id, CaseRow.number, CaseRow.title, CaseRow.body,
                            CaseRow.received_at).where(CaseRow.id > self._indexed_case)
                     .order_by(CaseRow.id.desc()).limit(MAX_INDEXED))  # fmt: skip
            rows = session.execute(query).all()[::-1]
            if rows:
                vectors = case_vectors.vectors_for(
                    session, self.encoder, [(r.id, r.title, r.body) for r in rows]
                )
                numbers = [r.number for r in rows]
                texts = [f"{r.title} {r.body}" for r in rows]
                index.add(numbers, texts, [r.received_at for r in rows], vectors)
                self._vectors.update(zip(numbers, vectors, strict=True))
                self._indexed_case = rows[-1].id
        return index
