"""Metadata for the files of a static OParl export, read from the export's own Paper and Meeting JSON.

A council information system's export (or a copy of a mirror without its sidecars) lays out like::

    <export>/papers/<id>.json          Paper objects (their files embedded or referenced by URL)
    <export>/meetings/<id>.json        Meeting objects
    <export>/organizations.json        Organization objects (names of the committees), optional
    <export>/<any folder>/<name>       the files' content, named by the File id's last segment
                                       ("665070.txt" for .../files/665070) or by its ``fileName``

Indexed as a plain folder, such a file would only get what its text gives away (title "665070", the date
of the first law its preamble cites). With this, it gets what the live OParl mirror writes into its
sidecar (:func:`ingest.sources.oparl.file_meta`): the File's name with its paper's name as title, the
document type, the paper's reference, the committee, the date, the agenda item, whether the meeting was
public, and the town where the body's web address names one. A file only takes metadata from OParl objects in its own export folder (its
grandparent), never from JSON elsewhere in the tree.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ingest.sources.oparl import (
    _segment,
    file_meta,
    file_record,
    meeting_meta_and_files,
    paper_meta_and_files,
)
from pipelines.places import place_of_url

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"
_MAX_JSON_BYTES = 50 * 1024 * 1024


def _objects(data: Any) -> list[dict[str, Any]]:
    """The OParl objects in one JSON file: an object, a list of them, or a list page (``{"data": [...]}``)."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict) and isinstance(item.get("type"), str)]


def _kind(obj: dict[str, Any]) -> str:
    return obj["type"].rstrip("/").rsplit("/", 1)[-1]


def export_file_meta(export: Path) -> dict[str, dict[str, Any]]:
    """Sidecar metadata of every File the OParl objects in ``export`` (and one folder below) name, by file name
    and by the File id's last segment; without the ``source`` key (the local file stays the source)."""
    objects: list[dict[str, Any]] = []
    for path in sorted([*export.glob("*.json"), *export.glob("*/*.json")]):
        if path.name.endswith(SIDECAR_SUFFIX) or path.name.startswith("."):
            continue
        try:
            if path.stat().st_size > _MAX_JSON_BYTES:  # a data set, not an OParl object or list page
                continue
            objects.extend(_objects(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            logger.info("%s is not OParl JSON; skipped for file metadata", path)
    organizations = {
        obj["id"]: str(obj["name"])
        for obj in objects
        if _kind(obj) == "Organization" and obj.get("id") and obj.get("name")
    }

    def org_name(ref: Any) -> str | None:
        if isinstance(ref, dict):
            return str(ref["name"]) if ref.get("name") else None
        return organizations.get(ref) if isinstance(ref, str) else None

    files: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for obj in objects:
        if not obj.get("id") or obj.get("deleted") or _kind(obj) not in {"Paper", "Meeting"}:
            continue
        read = paper_meta_and_files if _kind(obj) == "Paper" else meeting_meta_and_files
        # the town: the host of the body's web address (web1.karlsruhe.de), as for the objects themselves
        _, refs = read(obj, place_of_url(str(obj.get("body") or obj["id"])), org_name)
        for ref, ctx in refs:
            if not isinstance(ref, dict | str):
                continue
            fobj: dict[str, Any] = ref if isinstance(ref, dict) else {"id": ref}
            fid = fobj.get("id") or fobj.get("accessUrl")
            if not isinstance(fid, str) or not fid:
                continue
            record, contexts = files.setdefault(fid, (file_record(fobj), []))
            record.update({k: v for k, v in file_record(fobj).items() if k not in record})
            contexts.append({**ctx, "owner": obj["id"]})
    found: dict[str, dict[str, Any]] = {}
    for fid, (record, contexts) in files.items():
        meta = {k: v for k, v in file_meta(fid, record, contexts).items() if k != "source" and v is not None}
        for key in (_segment(fid), str(record.get("fileName") or "")):
            if key:
                found.setdefault(key, meta)
    return found


def meta_from_export(file: Path, read: dict[Path, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """The OParl metadata of ``file`` if its export folder's Paper/Meeting JSON names it, else ``{}``;
    ``read`` keeps each export folder's metadata for the other files of one listing."""
    if file.suffix.lower() == ".json":
        return {}  # OParl objects themselves are read by the OParl converter
    export = file.resolve().parent.parent
    if export not in read:
        read[export] = export_file_meta(export)
    known = read[export]
    return dict(known.get(file.name) or known.get(file.stem) or {})
