"""Stored case vectors: each case is encoded once and read back by every later user (similar
cases, hot topics, another worker); the timers fill in new cases; stale vectors are replaced."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from hotline import case_vectors
from hotline.db import make_engine, prepare_database
from hotline.services import Services
from hotline.tables import CaseRow, CaseVectorRow
from router.cases import Actor

AGENT = Actor("坐席01", "agent")
TEXTS = [
    ("电梯故障", "东湖区金色家园小区3号楼电梯坏了一个月，物业一直不修"),
    ("夜间施工", "西城区建设路工地每天晚上十二点以后还在施工，噪音很大"),
    ("路灯不亮", "南湖路中段的路灯已经坏了两个星期，晚上出行很危险"),
]


@pytest.fixture
def services(settings):
    engine = make_engine(settings.db_url)
    prepare_database(engine)
    services = Services(settings, engine)
    yield services
    engine.dispose()


def _file(services: Services, title: str, body: str) -> int:
    with services.session() as session:
        case, _ = services.desk(session).create(AGENT, title=title, body=body)
        session.flush()
        return case.id


def _stored(services: Services) -> int:
    with services.session() as session:
        return session.scalar(select(func.count()).select_from(CaseVectorRow))


def test_the_timers_fill_in_new_cases_once_and_vectors_match_the_encoder(services):
    ids = [_file(services, t, b) for t, b in TEXTS]
    assert _stored(services) == 0
    assert services.fill_case_vectors() == 3
    assert services.fill_case_vectors() == 0  # nothing left to encode
    assert _stored(services) == 3
    with services.session() as session:
        stored = case_vectors.load(session, ids, services.encoder.dim)
    fresh = services.encoder.encode_queries([case_vectors.case_text(t, b) for t, b in TEXTS])
    for case_id, vector in zip(ids, fresh, strict=True):
        assert float(stored[case_id] @ vector) > 0.999  # float16 storage loses next to nothing


def test_a_stored_vector_is_what_similar_cases_use(services):
    """Another worker (a new Services on the same database) reads the stored vector instead of
    encoding the text again: swap two cases' stored vectors and the index follows them."""
    lift = _file(services, *TEXTS[0])
    light = _file(services, *TEXTS[2])
    services.fill_case_vectors()
    with services.session() as session:
        vectors = case_vectors.load(session, [lift, light], services.encoder.dim)
        session.query(CaseVectorRow).delete()
        case_vectors.store(session, {lift: vectors[light], light: vectors[lift]})
    other = Services(services.settings, services.engine)
    text = case_vectors.case_text(*TEXTS[0])
    hits = other.indexed_cases().similar(text, 1, vector=services.encoder.encode_queries(text))
    with services.session() as session:
        light_number = session.get(CaseRow, light).number
    assert hits[0].case_id == light_number


def test_storing_twice_keeps_the_first_and_replaces_stale_vectors(services):
    case_id = _file(services, *TEXTS[1])
    dim = services.encoder.dim
    first = np.eye(dim, dtype=np.float32)[0]
    with services.session() as session:
        case_vectors.store(session, {case_id: first})
    with services.session() as session:  # a second worker storing the same case: no error
        case_vectors.store(session, {case_id: np.eye(dim, dtype=np.float32)[1]})
    with services.session() as session:
        assert case_vectors.load(session, [case_id], dim)[case_id][0] == pytest.approx(1.0)
        # a vector of another model (another length) counts as missing and is replaced
        case_vectors.store(session, {case_id: np.ones(8, dtype=np.float32) / np.sqrt(8)})
    with services.session() as session:
        assert case_vectors.load(session, [case_id], dim) == {}
    assert services.fill_case_vectors() == 1
    with services.session() as session:
        assert case_id in case_vectors.load(session, [case_id], dim)
