"""Files under folders and single files, with include/exclude patterns, as source entries."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.sources.oparl_dump import meta_from_export

SIDECAR_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class SourceFile:
    """One file to index: ``source`` as the user gave it, ``source_id`` stable across working directories."""

    path: Path
    source: str
    source_id: str
    root: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def matches(self, pattern: str) -> bool:
        """Whether ``pattern`` (fnmatch; ``*`` spans folders) matches the file's absolute path or source URL:
        how access and municipality rules in the settings pick files."""
        candidates = {self.source_id, PurePosixPath(self.source_id).as_posix(), self.source}
        return any(fnmatch.fnmatch(c, pattern) for c in candidates)

    def checksum(self) -> str:
        """Content and metadata: a changed sidecar (e.g. a meeting made public) re-indexes the file."""
        digest = hashlib.sha256()
        with self.path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        if self.meta:
            digest.update(json.dumps(self.meta, sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()


def _file_meta(file: Path, exports: dict[Path, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """A mirrored file's sidecar, else what a static OParl export's JSON says about it, else nothing."""
    return read_sidecar(file) or meta_from_export(file, exports)


def read_sidecar(file: Path) -> dict[str, Any]:
    """Metadata a source wrote next to a mirrored file (``<name>.meta.json``), e.g. by the OParl source."""
    sidecar = file.with_name(file.name + SIDECAR_SUFFIX)
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else {}


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def list_files(given: str, include: list[str], exclude: list[str]) -> list[SourceFile]:
    """Every file ``given`` names: itself if it is a file, else the included files below it (sorted)."""
    path = Path(given)
    root = str(path.resolve())
    exports: dict[Path, dict[str, dict[str, Any]]] = {}
    if path.is_file():
        meta = _file_meta(path, exports)
        return [
            SourceFile(path=path, source=str(meta.pop("source", given)), source_id=root, root=root, meta=meta)
        ]
    files = []
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path)
        if any(_matches(part, exclude) for part in rel.parts) or file.name.endswith(SIDECAR_SUFFIX):
            continue
        if file.is_file() and _matches(file.name, include):
            meta = _file_meta(file, exports)
            source = str(meta.pop("source", Path(given) / rel))
            files.append(
                SourceFile(path=file, source=source, source_id=str(file.resolve()), root=root, meta=meta)
            )
    return files
