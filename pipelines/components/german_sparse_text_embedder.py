"""The keyword side of hybrid search for a query: German terms as a sparse vector."""

from __future__ import annotations

from typing import Any

from haystack import component
from haystack.dataclasses import SparseEmbedding

from pipelines.german_terms import sparse_vector


@component
class GermanSparseTextEmbedder:
    """
    Turns a German query into a sparse keyword vector (stems, compound n-grams, § references, numbers,
    dates; see ``pipelines.german_terms``). Qdrant weighs the terms by IDF.

    Usage example:
    ```python
    GermanSparseTextEmbedder().run(text="Hundesteuer § 5 Abs. 2")["sparse_embedding"]
    ```
    """

    def __init__(self) -> None:
        pass

    @component.output_types(sparse_embedding=SparseEmbedding)
    def run(self, text: str) -> dict[str, Any]:
        indices, values = sparse_vector(text, query=True)
        return {"sparse_embedding": SparseEmbedding(indices=indices, values=values)}
