"""EdgeSparseEmbeddingRetriever: keyword (sparse) retrieval from an EdgeDocumentStore (as QdrantSparseEmbeddingRetriever)."""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.types import FilterPolicy
from haystack.document_stores.types.filter_policy import apply_filter_policy

from pipelines.edge.document_store import EdgeDocumentStore


@component
class EdgeSparseEmbeddingRetriever:
    """The documents with the highest keyword score for a query sparse embedding, optionally filtered.

    >>> retriever = EdgeSparseEmbeddingRetriever(document_store=store, top_k=5, return_embedding=True)
    >>> retriever.run(query_sparse_embedding=SparseEmbedding([3, 7], [1.0, 0.5]), filters={"field": "meta.access", "operator": "==",
    ...                                                    "value": "public"})["documents"]
    """

    def __init__(
        self,
        document_store: EdgeDocumentStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
        filter_policy: str | FilterPolicy = FilterPolicy.REPLACE,
        score_threshold: float | None = None,
    ) -> None:
        if not isinstance(document_store, EdgeDocumentStore):
            raise ValueError("document_store must be an instance of EdgeDocumentStore")
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.scale_score = scale_score
        self.return_embedding = return_embedding
        self.filter_policy = (
            filter_policy if isinstance(filter_policy, FilterPolicy) else FilterPolicy.from_str(filter_policy)
        )
        self.score_threshold = score_threshold

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            filters=self.filters,
            top_k=self.top_k,
            scale_score=self.scale_score,
            return_embedding=self.return_embedding,
            filter_policy=self.filter_policy.value,
            score_threshold=self.score_threshold,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EdgeSparseEmbeddingRetriever:
        params = data["init_parameters"]
        params["document_store"] = EdgeDocumentStore.from_dict(params["document_store"])
        if policy := params.get("filter_policy"):
            params["filter_policy"] = FilterPolicy.from_str(policy)
        return default_from_dict(cls, data)

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
            filters=apply_filter_policy(self.filter_policy, self.filters, filters),
            top_k=top_k or self.top_k,
            scale_score=self.scale_score if scale_score is None else scale_score,
            return_embedding=self.return_embedding if return_embedding is None else return_embedding,
            score_threshold=self.score_threshold if score_threshold is None else score_threshold,
        )
        return {"documents": documents}
