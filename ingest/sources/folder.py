"""Files under folders and single files, with include/exclude patterns, as source entries."""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    """One file to index: ``source`` as the user gave it, ``source_id`` stable across working directories."""

    path: Path
    source: str
    source_id: str
    root: str

    def checksum(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def list_files(given: str, include: list[str], exclude: list[str]) -> list[SourceFile]:
    """Every file ``given`` names: itself if it is a file, else the included files below it (sorted)."""
    path = Path(given)
    root = str(path.resolve())
    if path.is_file():
        return [SourceFile(path=path, source=given, source_id=root, root=root)]
    files = []
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path)
        if any(_matches(part, exclude) for part in rel.parts):
            continue
        if file.is_file() and _matches(file.name, include):
            files.append(
                SourceFile(path=file, source=str(Path(given) / rel), source_id=str(file.resolve()), root=root)
            )
    return files
