"""Files under folders and single files, with include/exclude patterns, as source entries."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import stat
import unicodedata
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
        # non-blocking: a file replaced by a FIFO since it was listed must not hang the run
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise OSError(f"{shown(self.path)} is not a regular file")
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


# bidirectional controls (e.g. U+202E RIGHT-TO-LEFT OVERRIDE) make "gpj.exe" look like "exe.jpg"
_BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def shown(path: str | Path) -> str:
    """A path as one printable line: control and direction characters written as escapes (``\\n``, ``\\u202e``)."""
    out = []
    for char in str(path):
        if char in _BIDI or unicodedata.category(char) in ("Cc", "Cs"):
            out.append(char.encode("unicode_escape").decode("ascii") if ord(char) < 0x10000 else repr(char))
        else:
            out.append(char)
    return "".join(out)


def unsafe_name(name: str) -> bool:
    """Names with control characters (newline, tab, escape ...) or direction overrides are refused."""
    return any(char in _BIDI or unicodedata.category(char) in ("Cc", "Cs") for char in name)


def unreadable(exc: OSError) -> str:
    """The reason for a file that cannot be read, and what to do."""
    if isinstance(exc, FileNotFoundError):
        return "vanished while indexing (deleted or moved); it is indexed again when it is back"
    if isinstance(exc, PermissionError):
        return "cannot be read (permission denied); give Auskunft read access or exclude the file"
    return f"cannot be read ({exc.strerror or exc.__class__.__name__})"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def list_files(
    given: str,
    include: list[str],
    exclude: list[str],
    problems: list[dict[str, str]] | None = None,
    never: list[Path] | None = None,
    skipped: list[dict[str, str]] | None = None,
) -> list[SourceFile]:
    """Every file ``given`` names: itself if it is a file, else the included files below it (sorted).

    Below a folder, what cannot be indexed safely is not followed and, when ``problems`` is given, listed
    there with the reason: symbolic links that leave the folder, loop or point nowhere; FIFOs, devices and
    sockets; names with control or direction characters; sub-folders that cannot be read; and the folders
    in ``never`` (Auskunft's own data directory). Files of a type ``include`` does not name are listed in
    ``skipped`` (when given) with their type; files that ``exclude`` names are left out without a word.
    """
    problems = problems if problems is not None else []
    path = Path(given)
    root = str(path.resolve())
    exports: dict[Path, dict[str, dict[str, Any]]] = {}
    if not path.is_dir():
        if unsafe_name(path.name):
            problems.append({"source": shown(given), "reason": _UNSAFE_NAME})
            return []
        if not path.is_file():
            problems.append({"source": shown(given), "reason": _kind_reason(path)})
            return []
        meta = _file_meta(path, exports)
        return [
            SourceFile(path=path, source=str(meta.pop("source", given)), source_id=root, root=root, meta=meta)
        ]
    resolved_root = Path(root)
    fenced = [p.resolve() for p in never or []]
    files: list[SourceFile] = []
    pending = [path]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(
                {
                    "source": shown(folder),
                    "reason": f"folder cannot be read ({exc.strerror or exc}); grant read access or exclude it",
                }
            )
            continue
        for entry in entries:
            item = Path(entry.path)
            rel = item.relative_to(path)
            if any(_matches(part, exclude) for part in rel.parts) or entry.name.endswith(SIDECAR_SUFFIX):
                continue
            if unsafe_name(entry.name):
                problems.append({"source": shown(item), "reason": _UNSAFE_NAME})
                continue
            if entry.is_symlink():
                if reason := _link_reason(item, resolved_root, fenced):
                    problems.append({"source": shown(item), "reason": reason})
                continue  # a link within the folder: its target is listed as itself
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                problems.append({"source": shown(item), "reason": f"cannot be read ({exc.strerror or exc})"})
                continue
            if stat.S_ISDIR(mode):
                if any(_inside(item.resolve(), f) for f in fenced):
                    problems.append({"source": shown(item), "reason": _DATA_DIR})
                    continue
                pending.append(item)
            elif not stat.S_ISREG(mode):
                problems.append({"source": shown(item), "reason": _kind_reason(item)})
            elif _matches(entry.name, include):
                meta = _file_meta(item, exports)
                source = str(meta.pop("source", Path(given) / rel))
                files.append(
                    SourceFile(path=item, source=source, source_id=str(item.resolve()), root=root, meta=meta)
                )
            elif skipped is not None:
                skipped.append(skipped_entry(item))
    return sorted(files, key=lambda f: f.path)


def skipped_entry(path: Path) -> dict[str, str]:
    """A file of a type that is not indexed: its path, its type (the suffix) and what to do about it."""
    kind = path.suffix.lower() or "(no extension)"
    return {
        "source": shown(path),
        "type": kind,
        "reason": f"file type {kind} is not indexed (indexing.include lists the types that are)",
    }


_UNSAFE_NAME = (
    "the name contains control or text-direction characters (newline, right-to-left override ...) or bytes "
    "that are not UTF-8; rename it"
)
_DATA_DIR = "Auskunft's own data directory (index, users, logs) is never indexed"


def _kind_reason(path: Path) -> str:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "file or folder not found"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"{kind}, not a regular file; only files are indexed"


def _link_reason(link: Path, root: Path, fenced: list[Path]) -> str | None:
    """Why a symbolic link below ``root`` is not followed and must be reported, or ``None`` (within root)."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:
        return "symbolic link loop; not followed"
    except FileNotFoundError:
        return "symbolic link to nothing (its target is missing); not followed"
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return "symbolic link loop; not followed"
        return f"symbolic link cannot be resolved ({exc.strerror or exc}); not followed"
    if any(_inside(target, f) for f in fenced):
        return f"symbolic link into Auskunft's data directory ({shown(target)}); not followed"
    if not _inside(target, root):
        return f"symbolic link to {shown(target)}, outside the source folder; not followed"
    return None
