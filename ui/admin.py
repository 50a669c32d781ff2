"""Admin actions of the page: upload files that are then ingested, start a re-index; both write a run report."""

from __future__ import annotations

import fnmatch
import io
import re
import zipfile
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
    from ingest.sources.folder import unsafe_name

    plain = PurePosixPath(name).name == name and PureWindowsPath(name).name == name
    if not name or not plain or name in (".", "..") or "\x00" in name:
        return "not a plain file name (no folders or '..' allowed)"
    if unsafe_name(name):
        return "the name contains control or text-direction characters; rename the file"
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


# signatures of archives and compressed files: never accepted, whatever the name says
_ARCHIVES = {
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",
    b"\x1f\x8b": "gzip",
    b"7z\xbc\xaf\x27\x1c": "7z",
    b"Rar!\x1a\x07": "rar",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
# DOCX is a zip: what it unpacks to may be this many times the upload limit, at most
DOCX_MAX_EXPANSION = 10
_ACTIVE_HTML = re.compile(
    r"<\s*(?:script|iframe|object|embed|applet|frame|frameset|meta\s+http-equiv)\b|javascript\s*:|<[^>]*\son[a-z]+\s*=",
    re.I,
)


def content_rejection(name: str, data: bytes, settings: Settings) -> str | None:
    """Why the *content* of an upload is not accepted, or ``None``: the bytes must be what the name says.

    Rejected: archives (also renamed ones), DOCX files that are not Word documents or that unpack to more
    than ``DOCX_MAX_EXPANSION`` times ``indexing.max_file_mb`` (archive bombs), PDFs without a PDF header,
    binary data in text files, HTML with scripts, frames, embedded objects or event handlers.
    """
    suffix = PurePosixPath(name.lower()).suffix
    archive = next((kind for magic, kind in _ARCHIVES.items() if data.startswith(magic)), None)
    if len(data) > 262 and data[257:262] == b"ustar":
        archive = "tar"
    if suffix == ".docx":
        if archive != "zip":
            return "not a Word document (.docx files are zip packages)"
        return _docx_rejection(data, settings)
    if archive:
        return f"a {archive} archive is not accepted (also not renamed); unpack it and upload the documents"
    if suffix == ".pdf":
        return (
            None
            if b"%PDF-" in data[:1024]
            else "not a PDF (no PDF header); the content does not match the name"
        )
    if b"\x00" in data[:65536]:
        return "binary content in a text file; upload it in its real format"
    if suffix in (".html", ".htm"):
        text = data[:5_000_000].decode("utf-8", errors="replace")
        if _ACTIVE_HTML.search(text):
            return "HTML with scripts, frames or embedded objects is not accepted; save the page as PDF or remove them"
    return None


def _docx_rejection(data: bytes, settings: Settings) -> str | None:
    limit = DOCX_MAX_EXPANSION * settings.indexing.max_file_mb * 1024 * 1024
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, ValueError, OSError):
        return "not a readable Word document (broken zip package)"
    if "word/document.xml" not in names:
        return "not a Word document (no word/document.xml in the package)"
    unpacked = sum(m.file_size for m in members)
    if unpacked > limit:
        return (
            f"unpacks to {unpacked // (1024 * 1024)} MB, more than {DOCX_MAX_EXPANSION} x indexing.max_file_mb "
            "(an archive bomb?)"
        )
    if any(m.filename.startswith(("/", "\\")) or ".." in PurePosixPath(m.filename).parts for m in members):
        return "the Word package contains paths outside itself (../ or absolute); not accepted"
    from pipelines.packages import package_refusal

    i = settings.indexing
    return package_refusal(io.BytesIO(data), i.max_unpacked_mb, i.max_xml_elements)


def save_uploads(
    settings: Settings, files: list[tuple[str, bytes]]
) -> tuple[list[Path], list[dict[str, str]]]:
    """Write accepted files into :func:`uploads_dir` (atomically); return them and the rejected ones."""
    folder = uploads_dir(settings)
    saved: list[Path] = []
    rejected: list[dict[str, str]] = []
    for name, data in files:
        reason = rejection(name, len(data), settings) or content_rejection(name, data, settings)
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
