"""``ingest()``: drive files through ``pipelines.indexing`` into the store, incrementally and crash-safely."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import portalocker

from config.settings import Settings
from ingest.access import resolve_level
from ingest.manifest import Manifest, Plan, tombstone_key
from ingest.sources.folder import SIDECAR_SUFFIX, SourceFile, list_files, shown, unreadable
from ingest.towns import rule_municipality
from pipelines import term_weights
from pipelines.access import AccessError, check_level
from pipelines.embedders import embedder_id
from pipelines.indexing import build_indexing_pipeline, indexing_fingerprint
from pipelines.stores import (
    EmbeddedIndex,
    StoreError,
    _atomic_write,
    close_document_store,
    create_document_store,
    ensure_payload_indexes,
    finish_document_store,
    is_legacy,
    upgrade_generation,
)

BATCH_FILES = 8
logger = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]


class IndexBusyError(StoreError):
    """Another writer holds the index."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    # files below a folder whose type is not indexed (source, type, reason): listed, not failed
    skipped: list[dict[str, str]] = field(default_factory=list)
    relabeled: list[str] = field(default_factory=list)  # unchanged files whose access level changed
    # files found but kept out, removed with `auskunft forget` (a count: reports do not name them again)
    forgotten: int = 0
    # documents with sentences addressed to an AI system (prompt injection), removed from the indexed text
    instructions_removed: list[str] = field(default_factory=list)
    # documents in which personal data was masked (privacy.mask_personal_data), with how many replacements
    personal_data_masked: dict[str, int] = field(default_factory=dict)
    expired: int = 0  # documents removed by the retention rules (reindex)
    converted: int = 0  # chunks carried over from an index of an older Auskunft (qdrant-client's local mode)
    chunks_written: int = 0
    seconds: float = 0.0
    generation: str | None = None
    synced: dict[str, dict[str, int]] = field(default_factory=dict)  # OParl URL -> fetched/deleted/unchanged

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "skipped": self.skipped,
            "relabeled": self.relabeled,
            "forgotten": self.forgotten,
            "instructions_removed": self.instructions_removed,
            "personal_data_masked": self.personal_data_masked,
            "expired": self.expired,
            "converted": self.converted,
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 2),
            "synced": self.synced,
        }


@dataclass
class _Collected:
    files: list[SourceFile]
    roots: list[str]  # folders: what is indexed below them and gone is deleted
    given: list[str]  # every existing path given (folders and files), resolved
    explicit: set[str]  # files named themselves (lifts a `forget` tombstone)


def own_sources(settings: Settings) -> list[Path]:
    """The folders inside the data directory that are sources: uploads and OParl mirrors (copies Auskunft
    made itself); the rest of the data directory (index, users, logs) never is."""
    return [(settings.data_dir / "uploads").resolve(), (settings.data_dir / "mirror").resolve()]


def data_dir_refusal(settings: Settings, path: Path) -> str | None:
    """Why ``path`` (resolved) cannot be a source because it is, holds or lies in Auskunft's data directory."""
    data_dir = settings.data_dir.resolve()
    inside = path == data_dir or data_dir in path.parents
    if inside and not any(path == own or own in path.parents for own in own_sources(settings)):
        return "Auskunft's own data directory (index, users, logs) is never indexed; give a folder outside it"
    return None


def _collect(settings: Settings, paths: list[str], report: IngestReport) -> _Collected:
    files: list[SourceFile] = []
    roots: list[str] = []
    given_paths: list[str] = []
    explicit: set[str] = set()
    limit = settings.indexing.max_file_mb * 1024 * 1024
    data_dir = settings.data_dir.resolve()
    for given in paths:
        path = Path(given)
        if not path.exists():
            report.failed.append({"source": shown(given), "reason": "file or folder not found"})
            continue
        if reason := data_dir_refusal(settings, path.resolve()):
            report.failed.append({"source": shown(given), "reason": reason})
            continue
        given_paths.append(str(path.resolve()))
        if path.is_dir():
            roots.append(str(path.resolve()))
        else:
            explicit.add(str(path.resolve()))
        # below a folder that holds the data directory, everything but the data directory
        inside = data_dir == path.resolve() or data_dir in path.resolve().parents
        found = list_files(
            given,
            settings.indexing.include,
            settings.indexing.exclude,
            report.failed,
            never=[] if inside else [data_dir],
            skipped=report.skipped,
        )
        for f in found:
            try:
                size = f.path.stat().st_size
            except OSError as exc:
                report.failed.append({"source": shown(f.source), "reason": unreadable(exc)})
                continue
            if size > limit:
                report.failed.append(
                    {
                        "source": f.source,
                        "reason": f"larger than indexing.max_file_mb ({settings.indexing.max_file_mb} MB)",
                    }
                )
                continue
            files.append(f)
    return _Collected(files, roots, given_paths, explicit)


def _apply(
    settings: Settings,
    store: Any,
    manifest: Manifest,
    plan: Plan,
    levels: dict[str, str],
    report: IngestReport,
    progress: Progress | None,
) -> None:
    for sid in plan.delete:
        store.delete_by_filter({"field": "meta.source_id", "operator": "==", "value": sid})
        report.deleted.append(manifest.entries.pop(sid)["source"])
    for file, level in plan.relabel:  # payload update in place: no conversion, no embedding
        store.update_by_filter(
            {"field": "meta.source_id", "operator": "==", "value": file.source_id}, {"access": level}
        )
        manifest.entries[file.source_id]["access"] = level
        report.relabeled.append(file.source)
    todo = [(f, c, False) for f, c in plan.add] + [(f, c, True) for f, c in plan.update]
    if not todo:
        return
    pipeline = build_indexing_pipeline(settings, store)
    fingerprint = indexing_fingerprint(settings)
    done = 0
    for start in range(0, len(todo), BATCH_FILES):
        batch = todo[start : start + BATCH_FILES]
        if progress:
            progress(done, len(todo), batch[0][0].source)
        meta = [
            {
                # configured town < the file's sidecar; either beats the town the text names
                **({"municipality": town} if (town := rule_municipality(settings, f)) else {}),
                **f.meta,
                "source": f.source,
                "source_id": f.source_id,
                "checksum": c,
                "access": levels[f.source_id],
                "personal_data_masking": masks(settings, levels[f.source_id]),
                "indexed_with": fingerprint,
            }
            for f, c, _ in batch
        ]
        result = pipeline.run(
            {"converter": {"sources": [f.path for f, _, _ in batch], "meta": meta}},
            include_outputs_from={"converter", "guard", "masker", "splitter"},
        )
        failed = {item["source"]: item["reason"] for item in result["converter"]["failed"]}
        described = {d.meta["source_id"]: d.meta for d in result["converter"]["documents"]}
        guarded = {
            d.meta["source_id"] for d in result["guard"]["documents"] if d.meta.get("instructions_removed")
        }
        masked = {
            d.meta["source_id"]: d.meta["personal_data_masked"]
            for d in result["masker"]["documents"]
            if d.meta.get("personal_data_masked")
        }
        chunks: dict[str, int] = {}
        for chunk in result["splitter"]["documents"]:
            chunks[chunk.meta["source_id"]] = chunks.get(chunk.meta["source_id"], 0) + 1
        for file, checksum, is_update in batch:
            if file.source in failed:
                reason = failed[file.source] + (
                    "; the previously indexed version is kept" if is_update else ""
                )
                report.failed.append({"source": file.source, "reason": reason})
                continue
            if is_update:  # the new chunks are written; now drop the old version's chunks
                # (an older text, the same text masked differently: privacy.mask_personal_data changed, or
                # made by an older indexing pipeline: INDEXING_VERSION or the chunking settings changed)
                store.delete_by_filter(
                    old_chunks_filter(
                        file.source_id, checksum, masks(settings, levels[file.source_id]), fingerprint
                    )
                )
            about = described.get(file.source_id, {})
            manifest.entries[file.source_id] = {
                "source": file.source,
                "checksum": checksum,
                "chunks": chunks.get(file.source_id, 0),
                "root": file.root,
                "access": levels[file.source_id],
                "masked": masks(settings, levels[file.source_id]),
                "indexed_with": fingerprint,
                # for retention rules (`retention:` in the settings)
                "doc_type": about.get("doc_type"),
                "date": about.get("date"),
            }
            report.chunks_written += chunks.get(file.source_id, 0)
            if file.source_id in masked:
                report.personal_data_masked[file.source] = masked[file.source_id]
            if file.source_id in guarded:
                logger.warning("instructions to AI systems removed from the indexed text of %s", file.source)
                report.instructions_removed.append(file.source)
            (report.updated if is_update else report.added).append(file.source)
        done += len(batch)
    if progress:
        progress(done, len(todo), "")


def old_chunks_filter(source_id: str, checksum: str, masked: bool, indexed_with: str) -> dict[str, Any]:
    """The chunks of a document that are not the version just written (another text, other masking, or
    an older indexing pipeline: chunks from before ``indexed_with`` existed lack the field and match)."""
    return {
        "operator": "AND",
        "conditions": [
            {"field": "meta.source_id", "operator": "==", "value": source_id},
            {
                "operator": "OR",
                "conditions": [
                    {"field": "meta.checksum", "operator": "!=", "value": checksum},
                    {"field": "meta.personal_data_masking", "operator": "!=", "value": masked},
                    {"field": "meta.indexed_with", "operator": "!=", "value": indexed_with},
                ],
            },
        ],
    }


def _plan(
    settings: Settings, manifest: Manifest, collected: _Collected, access: str | None, report: IngestReport
) -> tuple[Plan, dict[str, str]]:
    """What to add, update, relabel and delete, and every file's access level."""
    if manifest.embedder and manifest.embedder != embedder_id(settings):
        raise StoreError(
            f"The index was built with embedder '{manifest.embedder}' but '{embedder_id(settings)}' is configured; "
            "use the same embedder or a new AUSKUNFT_DATA_DIR."
        )
    manifest.embedder = embedder_id(settings)
    if access is not None:
        manifest.access.update(dict.fromkeys(collected.given, access))
    files: list[SourceFile] = []
    levels: dict[str, str] = {}
    for file in collected.files:
        if (key := tombstone_key(file.source_id)) in manifest.forgotten:
            if file.source_id not in collected.explicit:
                report.forgotten += 1
                continue
            del manifest.forgotten[key]  # named explicitly: indexed again
        try:
            levels[file.source_id] = resolve_level(settings, file, manifest.access)
        except AccessError as exc:
            report.failed.append({"source": file.source, "reason": f"sidecar: {exc}"})
            continue
        files.append(file)
    roots = collected.roots
    plan = manifest.plan(files, roots, levels)
    _index_stale_again(settings, manifest, plan, levels)
    report.unchanged.extend(f.source for f in plan.unchanged)
    report.failed.extend(
        {"source": f.source, "reason": f"duplicate of {twin} (same content)"} for f, twin in plan.duplicates
    )
    report.failed.extend({"source": f.source, "reason": reason} for f, reason in plan.unreadable)
    for root in roots:
        if root not in manifest.roots:
            manifest.roots.append(root)
    return plan, levels


def masks(settings: Settings, level: str) -> bool:
    """Whether documents of this access level are indexed with personal data masked."""
    return level in settings.privacy.mask_personal_data


def _index_stale_again(settings: Settings, manifest: Manifest, plan: Plan, levels: dict[str, str]) -> None:
    """Unchanged files whose stored chunks differ from what indexing makes now are indexed again: other
    masking than their (new) level asks for (a relabel to a masked level, a changed
    ``privacy.mask_personal_data``), or an older indexing pipeline or chunking settings."""
    fingerprint = indexing_fingerprint(settings)

    def stale(file: SourceFile, level: str) -> bool:
        entry = manifest.entries[file.source_id]
        return bool(entry.get("masked")) != masks(settings, level) or entry.get("indexed_with") != fingerprint

    again = [(f, level) for f, level in plan.relabel if stale(f, level)]
    again += [(f, levels[f.source_id]) for f in plan.unchanged if stale(f, levels[f.source_id])]
    if again:
        logger.info("%d unchanged files are indexed again (masking or indexing changed)", len(again))
    redo = {f.source_id for f, _ in again}
    plan.update.extend((f, manifest.entries[f.source_id]["checksum"]) for f, _ in again)
    plan.relabel = [(f, level) for f, level in plan.relabel if f.source_id not in redo]
    plan.unchanged = [f for f in plan.unchanged if f.source_id not in redo]


def is_remote(path: str) -> bool:
    return path.startswith(("http://", "https://"))


def mirror_dir_for(settings: Settings, url: str) -> Path:
    """Where an OParl server's documents are mirrored (one folder per server URL)."""
    from urllib.parse import urlparse

    digest = hashlib.sha1(url.encode()).hexdigest()[:10]
    return settings.data_dir / "mirror" / f"{urlparse(url).hostname or 'oparl'}-{digest}"


def _sync_remote(settings: Settings, urls: list[str], report: IngestReport) -> dict[str, str]:
    """Mirror each OParl server; a server that cannot be read keeps its last mirror (nothing is lost)."""
    mirrors: dict[str, str] = {}
    for url in urls:
        from ingest.sources.oparl import OParlSource

        mirror = mirror_dir_for(settings, url)
        mirror.mkdir(parents=True, exist_ok=True)
        try:
            result = OParlSource(
                url,
                mirror,
                max_file_mb=settings.indexing.max_file_mb,
                extra_hosts=settings.ingest.oparl_hosts,
            ).sync()
        except Exception as exc:
            logger.warning("OParl sync of %s failed: %s", url, exc)
            report.failed.append(
                {
                    "source": url,
                    "reason": f"OParl server could not be read ({exc.__class__.__name__}); its documents stay indexed",
                }
            )
        else:
            report.failed.extend(result.failed)
            report.synced[url] = {
                "fetched": result.fetched,
                "deleted": result.deleted,
                "unchanged": result.unchanged,
            }
        mirrors[str(mirror.resolve())] = url
    return mirrors


def ingest(
    settings: Settings, paths: list[str], progress: Progress | None = None, access: str | None = None
) -> IngestReport:
    """Index new and changed files under ``paths``, remove deleted ones, report every file's outcome.

    ``paths`` are files, folders, or OParl System/Body URLs (mirrored first, then indexed as a folder).
    ``access`` (public, internal, confidential) labels what is under ``paths`` and is remembered for them;
    ``None`` keeps what was given before (see :mod:`ingest.access`).
    Embedded store: all changes go into a new generation that becomes live only when complete.
    """
    started = time.monotonic()
    if access is not None:
        check_level(access)
    report = IngestReport()
    lock = writer_lock(settings)
    try:
        remote = _sync_remote(settings, [p for p in paths if is_remote(p)], report)
        local = [p for p in paths if not is_remote(p)] + list(remote)
        collected = _collect(settings, local, report)
        if settings.store.url:
            _ingest_server(settings, collected, access, remote, report, progress)
        else:
            _ingest_embedded(settings, collected, access, remote, report, progress)
        _remove_failed_uploads(settings, report)
    finally:
        lock.release()
    report.seconds = time.monotonic() - started
    logger.info(
        "ingest finished: %s",
        json.dumps(
            {k: v for k, v in report.to_json().items() if not isinstance(v, list)}
            | {
                "added": len(report.added),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "deleted": len(report.deleted),
                "failed": len(report.failed),
                "relabeled": len(report.relabeled),
                "forgotten": report.forgotten,
            }
        ),
    )
    return report


def _remove_failed_uploads(settings: Settings, report: IngestReport) -> None:
    """An uploaded file that could not be indexed is deleted (it would fail again every night)."""
    uploads = (settings.data_dir / "uploads").resolve()
    for item in report.failed:
        path = Path(item["source"])
        if not path.is_absolute() or Path(os.path.realpath(path.parent)) != uploads:
            continue
        removed = False
        for file in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
            if file.is_file() and not file.is_symlink():
                file.unlink()
                removed = True
        if removed:
            item["reason"] += "; the upload was removed"
            logger.info("failed upload removed: %s", shown(path))


def known_sources(settings: Settings) -> list[str]:
    """Every folder and OParl URL the index knows: configured sources plus all earlier ingests."""
    if settings.store.url:
        manifest = Manifest.load(server_manifest_path(settings))
    else:
        manifest = Manifest.from_dict(EmbeddedIndex(settings.index_dir).manifest())
    sources: list[str] = []
    for source in settings.sources:
        value = source.url if source.kind == "oparl" else source.path
        if value:
            sources.append(value if source.kind == "oparl" else str(Path(value).resolve()))
    for root in manifest.roots:
        sources.append(manifest.remote.get(root, root))
    return list(dict.fromkeys(sources))


def reindex(settings: Settings, progress: Progress | None = None) -> IngestReport:
    """Revisit every known source (the nightly run): add, update and delete what changed upstream.

    A source folder that is missing (e.g. an unmounted share) is reported, and its documents stay indexed.
    Afterwards the retention rules (``retention:``) remove documents that are too old (see ingest.retention).
    """
    from ingest.retention import apply_retention

    sources = known_sources(settings)
    present = [s for s in sources if is_remote(s) or Path(s).exists()]
    report = ingest(settings, present, progress)
    expired = apply_retention(settings)
    if expired is not None:
        report.expired = len(expired.manifest_entries)
        report.generation = expired.generation or report.generation
    for missing in sorted(set(sources) - set(present)):
        report.failed.append(
            {
                "source": missing,
                "reason": "source folder not found (unmounted or moved?); its documents stay indexed",
            }
        )
    return report


def write_run_report(settings: Settings, report: IngestReport, command: str) -> Path:
    """``<data_dir>/reports/<command>-<time>.json`` and ``latest-<command>.json`` for monitoring and the UI."""
    folder = settings.data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    data = {"command": command, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **report.to_json()}
    text = json.dumps(data, ensure_ascii=False, indent=1)
    path = folder / f"{command}-{stamp}.json"
    _atomic_write(path, text)
    _atomic_write(folder / f"latest-{command}.json", text)
    return path


def writer_lock(settings: Settings) -> portalocker.Lock:
    """One writer per data dir (embedded and server mode alike); a second one fails at once."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = portalocker.Lock(str(settings.data_dir / "writer.lock"), timeout=0, fail_when_locked=True)
    try:
        lock.acquire()
    except portalocker.AlreadyLocked as exc:
        raise IndexBusyError(
            f"Another ingest or reindex is running on {settings.data_dir}; wait for it to finish and try again."
        ) from exc
    return lock


def _ingest_embedded(
    settings: Settings,
    collected: _Collected,
    access: str | None,
    remote: dict[str, str],
    report: IngestReport,
    progress: Progress | None,
) -> None:
    index = EmbeddedIndex(settings.index_dir)
    manifest = Manifest.from_dict(index.manifest())
    known = (list(manifest.roots), dict(manifest.remote), dict(manifest.access), dict(manifest.forgotten))
    plan, levels = _plan(settings, manifest, collected, access, report)
    manifest.remote.update(remote)
    now = (manifest.roots, manifest.remote, manifest.access, manifest.forgotten)
    live = index.current()
    if not plan.changes() and now == known and live and not is_legacy(index.index_dir / live):
        report.generation = live
        return
    name, path = index.begin()
    store = None
    try:
        report.converted = upgrade_generation(settings, path)  # an index of an older Auskunft
        if report.converted:
            logger.info("converted %d chunks of the old index into the Qdrant Edge store", report.converted)
        store = create_document_store(settings, path=path)
        store.count_documents()  # creates the shard in a new index
        _apply(settings, store, manifest, plan, levels, report, progress)
        # how much each word of a question says, from this generation's chunks (pipelines/term_weights.py)
        term_weights.compute(store, list(manifest.entries)).save(path / term_weights.FILE_NAME)
        finish_document_store(store)  # indexes built, flushed: durable before the commit
    except BaseException:
        if store is not None:
            close_document_store(store)
        index.discard(name)
        raise
    index.commit(name, manifest.to_dict())
    report.generation = name


def server_manifest_path(settings: Settings) -> Path:
    return settings.data_dir / "manifests" / f"{settings.store.collection}.json"


def server_term_weights_path(settings: Settings) -> Path:
    return settings.data_dir / "manifests" / f"{settings.store.collection}.{term_weights.FILE_NAME}"


def _ingest_server(
    settings: Settings,
    collected: _Collected,
    access: str | None,
    remote: dict[str, str],
    report: IngestReport,
    progress: Progress | None,
) -> None:
    """Server mode writes in place: per file, new chunks first, then the old version's chunks are
    dropped, then the manifest records it; a crash in between is repaired by the next run."""
    path = server_manifest_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(path)
    plan, levels = _plan(settings, manifest, collected, access, report)
    manifest.remote.update(remote)
    added = ensure_payload_indexes(settings)  # a collection of an older Auskunft: filters need every index
    if added:
        logger.info("payload indexes created on the Qdrant server: %s", ", ".join(added))
    store = create_document_store(settings)
    try:
        _apply(settings, store, manifest, plan, levels, report, progress)
        term_weights.compute(store, list(manifest.entries)).save(server_term_weights_path(settings))
    finally:
        # record whatever was completed, so a re-run only redoes the rest
        _atomic_write(path, json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1))
        close_document_store(store)
