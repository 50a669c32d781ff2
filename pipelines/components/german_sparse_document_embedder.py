"""The keyword side of hybrid search for chunks: German terms as sparse vectors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from pipelines.components import CHUNK_CONTEXT_FIELDS
from pipelines.german_terms import sparse_vector


@component
class GermanSparseDocumentEmbedder:
    """
    Adds a sparse keyword vector to each chunk, built from its title, municipality, heading path and
    text, so that exact terms ("Zweitwohnungsteuer", "§ 4 Abs. 2", "0,20") are found even where the dense
    model blurs them.

    Usage example:
    ```python
    docs = GermanSparseDocumentEmbedder().run(documents=[Document(content="§ 5 Steuersatz ...")])["documents"]
    ```
    """

    def __init__(self, meta_fields_to_embed: list[str] | None = None) -> None:
        self.meta_fields_to_embed = (
            meta_fields_to_embed if meta_fields_to_embed is not None else list(CHUNK_CONTEXT_FIELDS)
        )

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        out = []
        for doc in documents:
            text = "\n".join(
                [*(str(doc.meta[f]) for f in self.meta_fields_to_embed if doc.meta.get(f)), doc.content or ""]
            )
            indices, values = sparse_vector(text)
            out.append(replace(doc, sparse_embedding=SparseEmbedding(indices=indices, values=values)))
        return {"documents": out}
