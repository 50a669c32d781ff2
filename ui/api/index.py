"""The index: ``GET /health``, ``GET /metrics``, ``GET /documents``, and for admins ``POST /ingest``,
``POST /reindex`` and ``DELETE /documents/{id}`` (= ``auskunft forget``)."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from pipelines.access import may_see
from ui import admin
from ui.api.auth import Caller, require_admin
from ui.api.deps import ApiState, get_caller, get_state
from ui.api.errors import ApiError, guarded, status_and_detail
from ui.api.schemas import INGEST_BODY, DocumentOut, Health, IngestRequest, ReindexRequest, errors

router = APIRouter(tags=["index"])


def document_id(source_id: str) -> str:
    """A short, stable id for a document (its source id is a path or URL, awkward in a URL path)."""
    return hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:16]


def store_check(settings: Any) -> None:
    """Raises if the index cannot be read: none yet (embedded), or the Qdrant server or collection is missing."""
    from pipelines.stores import EmbeddedIndex, StoreError

    if not settings.store.url:
        if EmbeddedIndex(settings.index_dir).current() is None:
            raise StoreError(
                f"There is no index in {settings.data_dir} yet; run `auskunft ingest PATH` (or POST /ingest) first."
            )
        return
    from qdrant_client import QdrantClient

    client = QdrantClient(
        url=settings.store.url, api_key=settings.store.api_key, timeout=settings.store.timeout
    )
    try:
        if not client.collection_exists(settings.store.collection):
            raise StoreError(
                f"The Qdrant server has no collection '{settings.store.collection}' yet; run `auskunft ingest PATH` first."
            )
    finally:
        client.close()


@router.get("/health", response_model=Health, responses={503: {"model": Health}, **errors(400, 500)})
def health(state: Annotated[ApiState, Depends(get_state)]) -> Any:
    """Whether questions can be answered: the index (generation, documents, chunks) and the generator.
    503 with a one-line ``detail`` when the index is missing or the Qdrant server cannot be reached."""
    from pipelines.generators import generator_label
    from ui.services import index_status

    settings = state.settings
    status = guarded(settings, "Reading the index", lambda: index_status(settings))
    detail = None
    try:
        store_check(settings)
    except Exception as exc:
        detail = status_and_detail(exc, settings, "Checking the index")[1]
    body = {
        "ok": detail is None,
        "detail": detail,
        "generation": status["generation"],
        "documents": status["documents"],
        "chunks": status["chunks"],
        "store": status["store"],
        "generator": {"backend": settings.generator.backend, "model": generator_label(settings)},
        "sign_in": settings.access.sign_in,
    }
    return JSONResponse(body, status_code=200 if detail is None else 503)


@router.get("/metrics", response_class=PlainTextResponse, responses=errors(400))
def metrics(state: Annotated[ApiState, Depends(get_state)]) -> PlainTextResponse:
    """Prometheus text: requests by path and status, their summed latency, documents and chunks indexed."""
    from ui.services import index_status

    try:
        status = index_status(state.settings)
    except Exception:  # the request counts are still worth scraping
        status = {"documents": 0, "chunks": 0}
    gauges = {
        "auskunft_documents": ("Documents in the live index.", float(status["documents"])),
        "auskunft_chunks": ("Chunks in the live index.", float(status["chunks"])),
    }
    return PlainTextResponse(state.metrics.render(gauges), media_type="text/plain; version=0.0.4")


@router.get("/documents", response_model=list[DocumentOut], responses=errors(400, 401, 500, 503))
def documents(
    caller: Annotated[Caller, Depends(get_caller)], state: Annotated[ApiState, Depends(get_state)]
) -> Any:
    """The indexed documents the caller's role may see, with the id for ``DELETE /documents/{id}``."""
    from ingest.forget import load_manifest

    settings = state.settings
    manifest = guarded(settings, "Reading the index", lambda: load_manifest(settings))
    out = []
    for sid, entry in sorted(manifest.entries.items()):
        level = entry.get("access") or settings.access.default
        if not may_see(caller.role, level):
            continue
        out.append(
            {
                "id": document_id(sid),
                "source": entry.get("source", sid),
                "access": level,
                "chunks": entry.get("chunks", 0),
                "doc_type": entry.get("doc_type"),
                "date": entry.get("date"),
            }
        )
    return JSONResponse(out)


@router.delete("/documents/{doc_id:path}", responses=errors(400, 401, 403, 404, 409, 413, 422, 500, 503))
def delete_document(
    doc_id: str,
    caller: Annotated[Caller, Depends(get_caller)],
    state: Annotated[ApiState, Depends(get_state)],
) -> Any:
    """Forget a document everywhere (as ``auskunft forget``): ``doc_id`` is the id from ``GET /documents``
    or the document's source (URL-encoded). Admin only. Returns what was removed."""
    from ingest.forget import forget, load_manifest, matching_ids

    settings = state.settings
    require_admin(settings, caller)
    manifest = guarded(settings, "Reading the index", lambda: load_manifest(settings))
    source = next((sid for sid in manifest.entries if document_id(sid) == doc_id), doc_id)
    if source not in manifest.entries and not matching_ids(manifest, source):
        raise ApiError(404, f"There is no document '{doc_id}'; GET /documents lists the ids.")
    report = guarded(settings, "Forgetting", lambda: forget(settings, source))
    return JSONResponse(report.to_json())


def is_remote(path: str) -> bool:
    return path.startswith(("http://", "https://"))


async def _ingest_input(
    request: Request, settings: Any
) -> tuple[list[str], str | None, list[tuple[str, bytes]]]:
    """Paths, access level and uploaded files from a JSON body or a multipart form."""
    files: list[tuple[str, bytes]] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1000)
        limit = settings.indexing.max_file_mb * 1024 * 1024
        for item in form.getlist("files"):
            if isinstance(item, UploadFile):
                # one byte more than allowed is enough to reject it as too large
                files.append((item.filename or "", await item.read(limit + 1)))
        raw: Any = {"paths": [p for p in form.getlist("paths") if isinstance(p, str) and p]}
        if isinstance(access := form.get("access"), str) and access:
            raw["access"] = access
    else:
        try:
            raw = await request.json()
        except ValueError as exc:
            raise ApiError(
                400, 'Send JSON ({"paths": [...], "access": ...}) or a multipart form with files and paths.'
            ) from exc
    try:
        parsed = IngestRequest.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    if not parsed.paths and not files:
        raise ApiError(400, "Nothing to index; give paths on the server or upload files.")
    for path in parsed.paths:
        if reason := path_refusal(settings, path):
            relative = not (is_remote(path) or path.startswith("/"))
            raise ApiError(400 if relative else 403, reason)
    return parsed.paths, parsed.access, files


def path_refusal(settings: Any, path: str) -> str | None:
    """Why the API does not index ``path``: server paths only below ``ingest.allowed_roots``, URLs only of
    configured OParl servers (``sources`` or earlier ingests on the command line); ``None`` if allowed."""
    from ingest.runner import is_remote, known_sources

    if is_remote(path):
        known = [
            s for s in guarded(settings, "Reading the index", lambda: known_sources(settings)) if is_remote(s)
        ]
        if path.rstrip("/") in {k.rstrip("/") for k in known}:
            return None
        return (
            f"'{path[:200]}' is not a configured OParl server (not allowed); add it to sources in the settings "
            "or ingest it once with `auskunft ingest URL` on the server."
        )
    if "\x00" in path or not Path(path).is_absolute():  # NUL: not a path at all
        return f"'{path[:200]}' is not an absolute path on the server (or an OParl URL); give the full path."
    target = Path(path).resolve()
    roots = [Path(root).resolve() for root in settings.ingest.allowed_roots]
    if any(target == root or root in target.parents for root in roots):
        return None
    where = ", ".join(str(r) for r in roots) or "none configured"
    return (
        f"'{path[:200]}' is not below ingest.allowed_roots ({where}), so it is not allowed; add the folder "
        "there, upload the files, or use `auskunft ingest` on the server."
    )


def run_ingest(settings: Any, paths: list[str], access: str | None, files: list[tuple[str, bytes]]) -> Any:
    """Uploads are checked and saved as the page's upload does (ui.admin), then indexed with the paths."""
    from ingest.runner import IngestReport, ingest, write_run_report

    saved, rejected = admin.save_uploads(settings, files) if files else ([], [])
    targets = list(paths)
    if saved:  # with a level: the files themselves (it is remembered for them), else the uploads folder
        targets += [str(p) for p in saved] if access else [str(admin.uploads_dir(settings))]
    report = IngestReport()
    if targets:
        report = ingest(settings, targets, access=access)
        write_run_report(settings, report, "ingest")
    report.failed = rejected + report.failed
    return report


@router.post(
    "/ingest",
    responses=errors(400, 401, 403, 409, 413, 415, 422, 500, 503),
    openapi_extra={
        "requestBody": INGEST_BODY,
        "parameters": [
            {
                "name": "X-Requested-With",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "Required (any value) for a multipart form: a cross-site page cannot send it.",
            }
        ],
    },
)
async def ingest_documents(
    request: Request,
    caller: Annotated[Caller, Depends(get_caller)],
    state: Annotated[ApiState, Depends(get_state)],
) -> Any:
    """Index files and folders on the server and/or uploaded files (admin only). Uploads are checked as in the
    page (type, size, archives, fake PDFs, HTML with scripts); rejected ones are listed under ``failed``.
    Returns the run report (as ``auskunft ingest --json``)."""
    settings = state.settings
    require_admin(settings, caller)
    paths, access, files = await _ingest_input(request, settings)
    report = await run_in_threadpool(
        guarded, settings, "Indexing", lambda: run_ingest(settings, paths, access, files)
    )
    return JSONResponse(report.to_json())


@router.post("/reindex", responses=errors(400, 401, 403, 409, 413, 415, 422, 500, 503))
def reindex(
    body: ReindexRequest,
    caller: Annotated[Caller, Depends(get_caller)],
    state: Annotated[ApiState, Depends(get_state)],
) -> Any:
    """Revisit every known source, as the nightly run (admin only; send ``{}``); returns the run report."""
    from ui.audit import AuditLog

    settings = state.settings
    require_admin(settings, caller)
    report = guarded(settings, "Re-index", lambda: admin.run_reindex(settings))
    with contextlib.suppress(OSError):  # expired again on the next write
        AuditLog.for_settings(settings).expire()
    return JSONResponse(report.to_json())
