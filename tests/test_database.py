from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from hotline.db import (
    head_revision,
    make_engine,
    prepare_database,
    schema_revision,
    session_scope,
)
from hotline.tables import AppMeta, DepartmentKindRow
from router import department_kinds


def test_first_start_migrates_and_seeds_once(settings):
    engine = make_engine(settings.db_url)
    assert prepare_database(engine) is True
    assert prepare_database(engine) is False  # second start: nothing loaded again
    assert schema_revision(engine) == head_revision() == "0007"
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(DepartmentKindRow)) == len(
            department_kinds()
        )
        assert s.get(AppMeta, "seed_version").value == "1"
        assert s.get(DepartmentKindRow, "住房公积金").typical_city_unit == "市住房公积金管理中心"


def test_workers_starting_together_seed_exactly_once(settings):
    engine = make_engine(settings.db_url)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: prepare_database(engine), range(4)))
    assert results.count(True) == 1
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(DepartmentKindRow)) == len(
            department_kinds()
        )


def test_failed_transaction_loses_nothing_stored(settings):
    engine = make_engine(settings.db_url)
    prepare_database(engine)
    try:
        with session_scope(engine) as s:
            s.add(DepartmentKindRow(name="测试", typical_city_unit="x", typical_topics="y"))
            s.flush()
            raise RuntimeError("interrupted")
    except RuntimeError:
        pass
    with session_scope(engine) as s:
        assert s.get(DepartmentKindRow, "测试") is None
        assert s.scalar(select(func.count()).select_from(DepartmentKindRow)) == len(
            department_kinds()
        )
