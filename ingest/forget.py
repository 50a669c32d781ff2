"""``forget()``: remove a document everywhere Auskunft keeps it, and keep it out of later re-indexes.

Removed: its chunks (embedded: in a new index generation whose segments holding them are then
rewritten, so the text is not left in the files; server: delete by filter), its manifest entry, the copies Auskunft
stored itself (uploads and OParl mirror files under the data dir, with their sidecars), feedback
records that cite it, and its name in run reports, the log and the audit log (``documents`` shown). Only
copies Auskunft made are deleted (``uploads/`` and ``mirror/``); any other file, inside the data dir or not,
is an original or Auskunft's own state and stays where it is; a tombstone in the manifest keeps it out of ``ingest``
of its folder and ``reindex`` until it is named itself (``auskunft ingest FILE``). A forgotten OParl
document is listed in its mirror's state and never mirrored again.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.settings import Settings
from ingest.manifest import Manifest, tombstone_key
from ingest.sources.folder import SIDECAR_SUFFIX
from pipelines.stores import (
    EmbeddedIndex,
    StoreError,
    _atomic_write,
    close_document_store,
    create_document_store,
    finish_document_store,
    open_server_store,
    upgrade_generation,
)

logger = logging.getLogger(__name__)
REDACTED = "(forgotten)"


class ForgetError(StoreError):
    """The source is not in the index (one line for the user)."""


@dataclass
class ForgetReport:
    source: str
    chunks: int = 0
    manifest_entries: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # stored copies deleted (uploads, OParl mirror, sidecars)
    oparl_ids: list[str] = field(default_factory=list)  # listed as forgotten in the mirror state
    feedback_records: int = 0
    reports_redacted: int = 0
    log_lines_redacted: int = 0
    audit_records_redacted: int = 0
    kept_out: list[str] = field(default_factory=list)  # originals left in place, kept out by a tombstone
    generation: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "removed": {
                "chunks": self.chunks,
                "manifest_entries": self.manifest_entries,
                "files": self.files,
                "oparl_ids": self.oparl_ids,
                "feedback_records": self.feedback_records,
                "reports_redacted": self.reports_redacted,
                "log_lines_redacted": self.log_lines_redacted,
                "audit_records_redacted": self.audit_records_redacted,
            },
            "kept_out": self.kept_out,
            "note": self.note(),
        }

    def note(self) -> str:
        if not self.kept_out:
            return "Removed everywhere Auskunft kept it."
        return (
            f"The original file stays where it is ({', '.join(self.kept_out)}); it is kept out of ingest and "
            f"reindex until you name it again: auskunft ingest {self.kept_out[0]}"
        )


def matching_ids(manifest: Manifest, source: str) -> list[str]:
    """Source ids of the entries ``source`` names: the path or URL as shown in results, or the file's path."""
    resolved = source if source.startswith(("http://", "https://")) else str(Path(source).resolve())
    return [
        sid
        for sid, entry in manifest.entries.items()
        if source in (sid, entry.get("source")) or resolved == sid
    ]


def forget(settings: Settings, source: str) -> ForgetReport:
    """Remove the document ``source`` names from the index and everywhere else (see the module docstring)."""
    from ingest.runner import writer_lock

    lock = writer_lock(settings)
    try:
        manifest = load_manifest(settings)
        ids = matching_ids(manifest, source)
        if not ids:
            raise ForgetError(
                f"'{source}' is not in the index; give the path or URL as `auskunft search --json` shows it in "
                "'source' (or the file's path)."
            )
        report = ForgetReport(source=source)
        forget_ids(settings, manifest, ids, report)
        return report
    finally:
        lock.release()


def load_manifest(settings: Settings) -> Manifest:
    from ingest.runner import server_manifest_path

    if settings.store.url:
        return Manifest.load(server_manifest_path(settings))
    return Manifest.from_dict(EmbeddedIndex(settings.index_dir).manifest())


def forget_ids(settings: Settings, manifest: Manifest, ids: list[str], report: ForgetReport) -> None:
    """Remove the entries ``ids`` (call under ``ingest.runner.writer_lock``); fills ``report``."""
    names = {sid: str(manifest.entries[sid].get("source", sid)) for sid in ids}
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    for sid in ids:
        manifest.entries.pop(sid)
        report.manifest_entries.append(names[sid])
        if not owned_copy(settings, sid) and not sid.startswith(("http://", "https://")):
            manifest.forgotten[tombstone_key(sid)] = {"forgotten": now}
            report.kept_out.append(sid)
    _remove_chunks(settings, manifest, ids, report)  # commits the manifest too
    for sid in ids:
        _remove_stored_copy(settings, manifest, Path(sid), report)
    secrets = set(names.values()) | set(ids)
    report.feedback_records = _drop_feedback(settings, secrets)
    report.reports_redacted = _redact_reports(settings, secrets)
    report.log_lines_redacted = _redact_log(settings, secrets)
    report.audit_records_redacted = _redact_audit(settings, secrets)
    logger.info("forgot %d document(s): %d chunks removed", len(ids), report.chunks)


def owned_copy(settings: Settings, source_id: str) -> bool:
    """Whether the file is a copy Auskunft made (an upload, an OParl mirror file), which forget deletes."""
    from ingest.runner import own_sources

    if source_id.startswith(("http://", "https://")):
        return False
    return any(_inside(Path(source_id), folder) for folder in own_sources(settings))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _remove_chunks(settings: Settings, manifest: Manifest, ids: list[str], report: ForgetReport) -> None:
    if settings.store.url:
        from ingest.runner import server_manifest_path

        store = open_server_store(settings)  # no collection: no chunks to remove (none is created)
        if store is not None:
            try:  # the manifest changes only once the chunks are gone (a failed run can be repeated)
                for sid in ids:
                    report.chunks += store.delete_by_filter(
                        {"field": "meta.source_id", "operator": "==", "value": sid}
                    )
            finally:
                close_document_store(store)
        path = server_manifest_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1))
        return
    keywords = bool(str(manifest.embedder or "").partition("+")[2]) if manifest.embedder else None
    index = EmbeddedIndex(settings.index_dir)
    name, path = index.begin()
    store = None
    try:
        upgrade_generation(settings, path)  # an index of an older Auskunft
        store = create_document_store(settings, path=path, keywords=keywords)
        for sid in ids:
            report.chunks += store.delete_by_filter(
                {"field": "meta.source_id", "operator": "==", "value": sid}
            )
        vacuum(store)  # the deleted chunks' text leaves the index files
        finish_document_store(store)
    except BaseException:
        if store is not None:
            close_document_store(store)
        index.discard(name)
        raise
    index.commit(name, manifest.to_dict())  # the old generation (with the text) is deleted here
    index._collect_stale_readers()  # snapshots of readers that ended; live ones re-open the new generation
    report.generation = name


def vacuum(store: Any) -> None:
    """Rewrite the embedded shard's segments that hold deleted chunks, so that their text does not survive
    in the index files."""
    store.vacuum()


def _remove_stored_copy(settings: Settings, manifest: Manifest, path: Path, report: ForgetReport) -> None:
    if not owned_copy(settings, str(path)):  # an original, or Auskunft's own state (users.json ...)
        return
    for mirror in manifest.remote:
        if _inside(path, Path(mirror)):
            from ingest.sources.oparl import forget_in_mirror

            existed = [p for p in (path, path.with_name(path.name + SIDECAR_SUFFIX)) if p.exists()]
            oid = forget_in_mirror(Path(mirror), path)
            report.files.extend(str(p) for p in existed)
            if oid:
                report.oparl_ids.append(oid)
            return
    for file in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
        if file.exists():
            file.unlink()
            report.files.append(str(file))


def _drop_feedback(settings: Settings, secrets: set[str]) -> int:
    """Feedback records that cite the document (their quotes are its text) are deleted."""
    path = settings.data_dir / "feedback" / "feedback.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return 0
    kept = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            kept.append(line)
            continue
        cited = {str(c.get("source")) for c in record.get("citations") or [] if isinstance(c, dict)}
        if not cited & secrets:
            kept.append(line)
    if len(kept) != len(lines):
        _atomic_write(path, "".join(line + "\n" for line in kept))
    return len(lines) - len(kept)


def _redact(value: Any, secrets: set[str]) -> tuple[Any, int]:
    if isinstance(value, str):
        return (REDACTED, 1) if value in secrets else (value, 0)
    if isinstance(value, list):
        items = [_redact(v, secrets) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = {k: _redact(v, secrets) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, sum(n for _, n in pairs.values())
    return value, 0


def _redact_reports(settings: Settings, secrets: set[str]) -> int:
    """Run reports name documents (added, failed, ...): the forgotten one's name is replaced."""
    count = 0
    for path in sorted((settings.data_dir / "reports").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        redacted, n = _redact(data, secrets)
        if n:
            _atomic_write(path, json.dumps(redacted, ensure_ascii=False, indent=1))
            count += 1
    return count


def _redact_audit(settings: Settings, secrets: set[str]) -> int:
    """Audit records keep who asked what; the forgotten document is replaced in what they were shown."""
    count = 0
    for path in sorted((settings.data_dir / "audit").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        changed = False
        for i, line in enumerate(lines):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            redacted, n = _redact(record, secrets)
            if n:
                lines[i] = json.dumps(redacted, ensure_ascii=False)
                count += 1
                changed = True
        if changed:
            _atomic_write(path, "".join(line + "\n" for line in lines))
            path.chmod(0o600)
    return count


def _redact_log(settings: Settings, secrets: set[str]) -> int:
    path = settings.data_dir / "logs" / "auskunft.log"
    with contextlib.suppress(FileNotFoundError):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        changed = 0
        for i, line in enumerate(lines):
            new = line
            for secret in sorted(secrets, key=len, reverse=True):
                new = new.replace(secret, REDACTED)
            if new != line:
                lines[i] = new
                changed += 1
        if changed:
            _atomic_write(path, "".join(lines))
        return changed
    return 0
