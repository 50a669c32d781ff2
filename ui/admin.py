"""Admin actions of the page: upload files that are then ingested, start a re-index; both write a run report."""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from config.settings import Settings


def uploads_dir(settings: Settings) -> Path:
    """Uploaded files live here; the folder is an ingest root, so the nightly re-index keeps it current."""
    return settings.data_dir / "uploads"


def allowed_extensions(settings: Settings) -> list[str]:
    """``["pdf", "md", ...]`` from ``indexing.include`` (for the upload widget)."""
    return sorted({p.rsplit(".", 1)[-1].lower() for p in settings.indexing.include if p.startswith("*.")})


def rejection(name: str, size: int, settings: Settings) -> str | None:
    """Why an uploaded file is not accepted, or ``None``. Names are plain file names, never paths."""
    plain = PurePosixPath(name).name == name and PureWindowsPath(name).name == name
    if not name or not plain or name in (".", "..") or "\x00" in name:
        return "not a plain file name (no folders or '..' allowed)"
    lower = name.lower()
    if not any(fnmatch.fnmatch(lower, p.lower()) for p in settings.indexing.include):
        return f"file type not accepted; allowed: {', '.join(settings.indexing.include)}"
    if any(fnmatch.fnmatch(name, p) for p in settings.indexing.exclude):
        return f"file name excluded by indexing.exclude ({', '.join(settings.indexing.exclude)})"
    if size > settings.indexing.max_file_mb * 1024 * 1024:
        return f"larger than indexing.max_file_mb ({settings.indexing.max_file_mb} MB)"
    if size == 0:
        return "empty file"
    return None


def save_uploads(
    settings: Settings, files: list[tuple[str, bytes]]
) -> tuple[list[Path], list[dict[str, str]]]:
    """Write accepted files into :func:`uploads_dir` (atomically); return them and the rejected ones."""
    folder = uploads_dir(settings)
    saved: list[Path] = []
    rejected: list[dict[str, str]] = []
    for name, data in files:
        reason = rejection(name, len(data), settings)
        if reason:
            rejected.append({"source": name, "reason": reason})
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        partial = folder / f".{name}.part"  # hidden: excluded from ingest while being written
        partial.write_bytes(data)
        partial.replace(target)
        saved.append(target)
    return saved, rejected


def ingest_uploads(settings: Settings, files: list[tuple[str, bytes]]) -> Any:
    """Save the files and ingest the uploads folder; the report lists rejected files under ``failed``."""
    from ingest.runner import IngestReport, ingest, write_run_report

    saved, rejected = save_uploads(settings, files)
    report = IngestReport()
    if saved:
        report = ingest(settings, [str(uploads_dir(settings))])
        write_run_report(settings, report, "ingest")
    report.failed = rejected + report.failed
    return report


def run_reindex(settings: Settings) -> Any:
    """Revisit every known source, as the nightly run does; the report becomes the page's "last re-index"."""
    from ingest.runner import reindex, write_run_report

    report = reindex(settings)
    write_run_report(settings, report, "reindex")
    return report
