"""What the Edge retriever components share: the store check, the filter policy, serialisation, run()'s defaults.

Plain classes, not components: each retriever is decorated with ``@component`` itself and declares its own
``run`` (Haystack reads the input sockets from that signature), so nothing here defines ``run``.
"""

from __future__ import annotations

import inspect
from typing import Any, Self

from haystack import default_from_dict, default_to_dict
from haystack.document_stores.types import FilterPolicy
from haystack.document_stores.types.filter_policy import apply_filter_policy

from pipelines.edge.document_store import EdgeDocumentStore


class _EdgeRetriever:
    """A retriever over an EdgeDocumentStore, as qdrant-haystack's retrievers: a subclass's ``__init__`` keeps
    each of its parameters as the attribute of that name, which ``to_dict`` writes in the signature's order."""

    def __init__(
        self,
        document_store: EdgeDocumentStore,
        filters: dict[str, Any] | None,
        top_k: int,
        return_embedding: bool,
        filter_policy: str | FilterPolicy,
        score_threshold: float | None,
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

    def to_dict(self) -> dict[str, Any]:
        names = list(inspect.signature(type(self).__init__).parameters)[1:]  # after self
        params = {name: getattr(self, name) for name in names}
        params["document_store"] = self.document_store.to_dict()
        params["filter_policy"] = self.filter_policy.value
        return default_to_dict(self, **params)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        params = data["init_parameters"]
        params["document_store"] = EdgeDocumentStore.from_dict(params["document_store"])
        if policy := params.get("filter_policy"):
            params["filter_policy"] = FilterPolicy.from_str(policy)
        return default_from_dict(cls, data)

    def _retrieval_args(
        self,
        filters: dict[str, Any] | None,
        top_k: int | None,
        return_embedding: bool | None,
        score_threshold: float | None,
    ) -> dict[str, Any]:
        """The store's retrieval arguments: run()'s where given, else the constructor's (filters by the policy)."""
        return {
            "filters": apply_filter_policy(self.filter_policy, self.filters, filters),
            "top_k": top_k or self.top_k,
            "return_embedding": self.return_embedding if return_embedding is None else return_embedding,
            "score_threshold": self.score_threshold if score_threshold is None else score_threshold,
        }


class _ScoringEdgeRetriever(_EdgeRetriever):
    """A retriever of one kind of vector, whose scores can be scaled to 0..1 (``scale_score``)."""

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
        super().__init__(document_store, filters, top_k, return_embedding, filter_policy, score_threshold)
        self.scale_score = scale_score

    def _scored_retrieval_args(
        self,
        filters: dict[str, Any] | None,
        top_k: int | None,
        scale_score: bool | None,
        return_embedding: bool | None,
        score_threshold: float | None,
    ) -> dict[str, Any]:
        """``_retrieval_args`` and ``scale_score``: run()'s where given, else the constructor's."""
        args = self._retrieval_args(filters, top_k, return_embedding, score_threshold)
        args["scale_score"] = self.scale_score if scale_score is None else scale_score
        return args
