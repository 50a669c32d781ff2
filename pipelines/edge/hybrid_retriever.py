"""EdgeHybridRetriever: dense + keyword retrieval fused by RRF from an EdgeDocumentStore (as QdrantHybridRetriever)."""

from __future__ import annotations

from typing import Any

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.types import FilterPolicy

from pipelines.edge._retriever_base import _EdgeRetriever
from pipelines.edge.document_store import PREFETCH_LIMIT, EdgeDocumentStore


@component
class EdgeHybridRetriever(_EdgeRetriever):
    """The best ``prefetch_limit`` documents by dense similarity and by keyword score, both filtered, fused by
    Reciprocal Rank Fusion (``score`` = the fused score), as QdrantHybridRetriever asks a Qdrant server.

    >>> retriever = EdgeHybridRetriever(document_store=store, top_k=20, return_embedding=True)
    >>> retriever.run(query_embedding=[0.1] * 384, query_sparse_embedding=SparseEmbedding([3, 7], [1.0, 0.5]))
    """

    def __init__(
        self,
        document_store: EdgeDocumentStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        return_embedding: bool = False,
        filter_policy: str | FilterPolicy = FilterPolicy.REPLACE,
        score_threshold: float | None = None,
        prefetch_limit: int = PREFETCH_LIMIT,
    ) -> None:
        # Not super(): @component rebuilds the class, so its zero-argument form fails (haystack issue #7824).
        _EdgeRetriever.__init__(
            self, document_store, filters, top_k, return_embedding, filter_policy, score_threshold
        )
        self.prefetch_limit = prefetch_limit

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float],
        query_sparse_embedding: SparseEmbedding,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        return_embedding: bool | None = None,
        score_threshold: float | None = None,
    ) -> dict[str, list[Document]]:
        documents = self.document_store.hybrid_retrieval(
            query_embedding=query_embedding,
            query_sparse_embedding=query_sparse_embedding,
            prefetch_limit=self.prefetch_limit,
            **self._retrieval_args(filters, top_k, return_embedding, score_threshold),
        )
        return {"documents": documents}
