"""EdgeSparseEmbeddingRetriever: keyword (sparse) retrieval from an EdgeDocumentStore (as QdrantSparseEmbeddingRetriever)."""

from __future__ import annotations

from typing import Any

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from pipelines.edge._retriever_base import _ScoringEdgeRetriever


@component
class EdgeSparseEmbeddingRetriever(_ScoringEdgeRetriever):
    """The documents with the highest keyword score for a query sparse embedding, optionally filtered.

    >>> retriever = EdgeSparseEmbeddingRetriever(document_store=store, top_k=5, return_embedding=True)
    >>> retriever.run(query_sparse_embedding=SparseEmbedding([3, 7], [1.0, 0.5]), filters={"field": "meta.access", "operator": "==",
    ...                                                    "value": "public"})["documents"]
    """

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_sparse_embedding: SparseEmbedding,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        scale_score: bool | None = None,
        return_embedding: bool | None = None,
        score_threshold: float | None = None,
    ) -> dict[str, list[Document]]:
        """Documents with their keyword score (dot product, IDF-weighted if the store says so) as ``score``."""
        documents = self.document_store.sparse_embedding_retrieval(
            query_sparse_embedding=query_sparse_embedding,
            **self._scored_retrieval_args(filters, top_k, scale_score, return_embedding, score_threshold),
        )
        return {"documents": documents}
