"""What is indexed: source id -> checksum and chunk count; decides add / update / unchanged / delete."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.sources.folder import SourceFile, unreadable


def tombstone_key(source_id: str) -> str:
    """Tombstones of forgotten files are kept as hashes: the manifest does not keep the forgotten name."""
    return hashlib.sha256(source_id.encode()).hexdigest()


@dataclass
class Plan:
    add: list[tuple[SourceFile, str]] = field(default_factory=list)
    update: list[tuple[SourceFile, str]] = field(default_factory=list)
    unchanged: list[SourceFile] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)  # source ids
    duplicates: list[tuple[SourceFile, str]] = field(default_factory=list)  # (file, source it duplicates)
    relabel: list[tuple[SourceFile, str]] = field(default_factory=list)  # unchanged file, new access level
    unreadable: list[tuple[SourceFile, str]] = field(default_factory=list)  # (file, reason): not read, kept

    def changes(self) -> bool:
        return bool(self.add or self.update or self.delete or self.relabel)


@dataclass
class Manifest:
    """Entries keyed by source id: ``{"source", "checksum", "chunks", "root", "access", ...}``; plus roots,
    embedder, the OParl mirrors, the levels given with ``ingest --access`` (path -> level) and the
    tombstones of ``auskunft forget`` (hash of the source id -> when), which keep a forgotten file out of re-indexes."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    embedder: str | None = None
    remote: dict[str, str] = field(default_factory=dict)  # mirror folder -> the OParl URL it mirrors
    access: dict[str, str] = field(default_factory=dict)  # file or folder -> level from `ingest --access`
    forgotten: dict[str, dict[str, Any]] = field(default_factory=dict)  # tombstone_key -> {"forgotten": time}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            entries=dict(data.get("entries", {})),
            roots=list(data.get("roots", [])),
            embedder=data.get("embedder"),
            remote=dict(data.get("remote", {})),
            access=dict(data.get("access", {})),
            forgotten=dict(data.get("forgotten", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "embedder": self.embedder,
            "roots": self.roots,
            "remote": self.remote,
            "access": self.access,
            "forgotten": self.forgotten,
            "entries": self.entries,
        }

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return cls()

    def plan(self, files: list[SourceFile], roots: list[str], levels: dict[str, str] | None = None) -> Plan:
        """Compare files found under ``roots`` with what is indexed.

        ``levels`` (source id -> access level): an unchanged file whose level differs from the indexed
        one is planned for ``relabel`` (its chunks get the new level without being re-embedded).
        """
        plan = Plan()
        seen: set[str] = set()
        by_checksum = {e["checksum"]: sid for sid, e in self.entries.items()}
        source_of = {sid: e["source"] for sid, e in self.entries.items()}
        for file in files:
            seen.add(file.source_id)  # an unreadable file that was indexed stays indexed
            try:
                checksum = file.checksum()
            except OSError as exc:
                plan.unreadable.append((file, unreadable(exc)))
                continue
            entry = self.entries.get(file.source_id)
            if entry is None:
                twin = by_checksum.get(checksum)
                if twin is not None and twin != file.source_id and Path(twin).exists():
                    plan.duplicates.append((file, source_of[twin]))
                    continue
                by_checksum[checksum] = file.source_id
                source_of[file.source_id] = file.source
                plan.add.append((file, checksum))
            elif entry["checksum"] != checksum:
                plan.update.append((file, checksum))
            elif levels is not None and entry.get("access") != levels.get(file.source_id):
                plan.relabel.append((file, levels[file.source_id]))
            else:
                plan.unchanged.append(file)
        for sid in self.entries:
            if sid in seen:
                continue
            under_root = any(sid == r or sid.startswith(r.rstrip("/") + "/") for r in roots)
            if under_root and not Path(sid).exists():
                plan.delete.append(sid)
        return plan
