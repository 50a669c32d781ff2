"""Retention rules (``retention:`` in the settings), applied by ``reindex``: old documents are forgotten.

A rule names a document type (and optionally a municipality) and a maximum age in years; a document whose
``date`` lies further back is removed as ``auskunft forget`` removes it (chunks in a new, vacuumed index
generation; stored copies; feedback citing it). Originals in the municipality's folders stay where they are
and are kept out of later runs by a tombstone. The expired documents are found by a filter inside the
Qdrant query, so indexes built before the manifest recorded types and dates are covered too.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from config.settings import RetentionRule, Settings
from ingest.forget import ForgetReport, forget_ids, load_manifest
from pipelines.stores import EmbeddedIndex, close_document_store, create_document_store, open_server_store

logger = logging.getLogger(__name__)


def cutoff(today: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def rule_filter(rule: RetentionRule, today: datetime.date) -> dict[str, Any]:
    conditions: list[dict[str, Any]] = [
        {"field": "meta.doc_type", "operator": "==", "value": rule.doc_type},
        {"field": "meta.date", "operator": "<", "value": cutoff(today, rule.max_age_years).isoformat()},
    ]
    if rule.municipality:
        conditions.append({"field": "meta.municipality", "operator": "==", "value": rule.municipality})
    return {"operator": "AND", "conditions": conditions}


def expired_ids(settings: Settings, today: datetime.date) -> list[str]:
    """Source ids of the indexed documents that the retention rules let expire."""
    snapshot = None
    if settings.store.url:
        server = open_server_store(settings)
        if server is None:
            return []
        store = server
    else:
        index = EmbeddedIndex(settings.index_dir)
        if index.current() is None:
            return []
        keywords = bool(str(index.manifest().get("embedder") or "").partition("+")[2])
        snapshot = index.snapshot()
        store = create_document_store(settings, path=snapshot.path, keywords=keywords)
    try:
        found: dict[str, None] = {}
        for rule in settings.retention:
            for doc in store.filter_documents(filters=rule_filter(rule, today)):
                found.setdefault(str(doc.meta.get("source_id")), None)
        return list(found)
    finally:
        close_document_store(store)
        if snapshot is not None:
            snapshot.close()


def apply_retention(settings: Settings, today: datetime.date | None = None) -> ForgetReport | None:
    """Forget what the retention rules let expire; ``None`` if nothing expired (or no rules)."""
    if not settings.retention:
        return None
    from ingest.runner import writer_lock

    today = today or datetime.date.today()
    lock = writer_lock(settings)
    try:
        manifest = load_manifest(settings)
        ids = [sid for sid in expired_ids(settings, today) if sid in manifest.entries]
        if not ids:
            return None
        report = ForgetReport(source="retention")
        forget_ids(settings, manifest, ids, report)
        logger.info("retention: %d documents expired, %d chunks removed", len(ids), report.chunks)
        return report
    finally:
        lock.release()
