"""EdgeHybridRetriever: dense + keyword retrieval fused by RRF from an EdgeDocumentStore (as QdrantHybridRetriever)."""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.types import FilterPolicy
from haystack.document_stores.types.filter_policy import apply_filter_policy

from pipelines.edge.document_store import PREFETCH_LIMIT, EdgeDocumentStore


@component
class EdgeHybridRetriever:
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
        if not isinstance(document_store, EdgeDocumentStore):
            raise ValueError("document_store must be an instance of EdgeDocumentStore")
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.return_embedding = return_embedding
        self.filter_policy = (
            filter_policy if isinstance(filter_policy, FilterPolicy) else FilterPolicy.from_str(filter_policy)
        )
        self.score_threshold = score_threshold
        self.prefetch_limit = prefetch_limit

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            filters=self.filters,
            top_k=self.top_k,
            return_embedding=self.return_embedding,
            filter_policy=self.filter_policy.value,
            score_threshold=self.score_threshold,
            prefetch_limit=self.prefetch_limit,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EdgeHybridRetriever:
        params = data["init_parameters"]
        params["document_store"] = EdgeDocumentStore.from_dict(params["document_store"])
        if policy := params.get("filter_policy"):
            params["filter_policy"] = FilterPolicy.from_str(policy)
        return default_from_dict(cls, data)

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
            filters=apply_filter_policy(self.filter_policy, self.filters, filters),
            top_k=top_k or self.top_k,
            return_embedding=self.return_embedding if return_embedding is None else return_embedding,
            score_threshold=self.score_threshold if score_threshold is None else score_threshold,
            prefetch_limit=self.prefetch_limit,
        )
        return {"documents": documents}
