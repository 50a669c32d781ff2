"""EdgeEmbeddingRetriever: dense retrieval from an EdgeDocumentStore (as QdrantEmbeddingRetriever)."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.edge._retriever_base import _ScoringEdgeRetriever


@component
class EdgeEmbeddingRetriever(_ScoringEdgeRetriever):
    """The documents nearest to a query embedding, optionally filtered.

    >>> retriever = EdgeEmbeddingRetriever(document_store=store, top_k=5, return_embedding=True)
    >>> retriever.run(query_embedding=[0.1] * 384, filters={"field": "meta.access", "operator": "==",
    ...                                                    "value": "public"})["documents"]
    """

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        scale_score: bool | None = None,
        return_embedding: bool | None = None,
        score_threshold: float | None = None,
    ) -> dict[str, list[Document]]:
        """Documents with their cosine similarity (or dot product / distance) as ``score``."""
        documents = self.document_store.embedding_retrieval(
            query_embedding=query_embedding,
            **self._scored_retrieval_args(filters, top_k, scale_score, return_embedding, score_threshold),
        )
        return {"documents": documents}
