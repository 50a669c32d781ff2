"""Haystack on Qdrant Edge: a document store and its retrievers, with qdrant-haystack's payload layout."""

from pipelines.edge.document_store import EdgeDocumentStore, EdgeStoreError
from pipelines.edge.embedding_retriever import EdgeEmbeddingRetriever
from pipelines.edge.hybrid_retriever import EdgeHybridRetriever
from pipelines.edge.sparse_embedding_retriever import EdgeSparseEmbeddingRetriever

__all__ = [
    "EdgeDocumentStore",
    "EdgeEmbeddingRetriever",
    "EdgeHybridRetriever",
    "EdgeSparseEmbeddingRetriever",
    "EdgeStoreError",
]
