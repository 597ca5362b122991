"""What the server and the commands build from the settings: the directory, the case desk's
calendar and clock, and the timer loop every worker runs (the database lets one act at a time)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from functools import partial

from sqlalchemy import Engine

from hotline.settings import Settings
from router import Directory
from router.cases import local_now
from router.deadlines import WorkCalendar
from router.ratings import RatingPolicy
from router.timers import run_timers

log = logging.getLogger(__name__)


def directory(settings: Settings) -> Directory:
    return Directory.load(settings.directory_dir) if settings.directory_dir else Directory.demo()


def desk_options(settings: Settings) -> dict:
    """Keyword arguments of ``CaseDesk`` for this centre."""
    calendar = WorkCalendar.load(settings.calendar_file) if settings.calendar_file else None
    return {"calendar": calendar, "clock": partial(local_now, settings.timezone)}


def rating_policy(settings: Settings) -> RatingPolicy:
    return RatingPolicy(default_after_days=settings.rating_default_days)


def start_timers(
    engine: Engine, settings: Settings, after_pass: Callable[[], object] | None = None
) -> threading.Event | None:
    """Run the timers every ``timer_interval`` seconds in a daemon thread, and ``after_pass``
    after each pass this worker made (the lease holder's background work); set the returned
    event to stop them."""
    if not settings.timer_interval:
        return None
    stop = threading.Event()
    holder = f"{socket.gethostname()}:{os.getpid()}"
    options, policy = desk_options(settings), rating_policy(settings)

    def loop() -> None:
        while not stop.wait(settings.timer_interval):
            try:
                run = run_timers(engine, holder, options, policy)
                if run and any(vars(run).values()):
                    log.info("timers: %s", run)
                if run is not None and after_pass is not None:
                    after_pass()
            except Exception:  # a timer pass must never kill the server; the next one retries
                log.exception("timer pass failed")

    threading.Thread(target=loop, name="hotline-timers", daemon=True).start()
    return stop
