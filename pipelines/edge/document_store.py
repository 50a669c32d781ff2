"""A Haystack document store on Qdrant Edge: Qdrant's own engine inside the process, one folder per index.

It stores documents exactly as qdrant-haystack's ``QdrantDocumentStore`` does on a Qdrant server: the payload is
``Document.to_dict(flatten=False)`` without the vectors, the point id is ``convert_id(document.id)`` (a UUID5),
the vectors are named ``text-dense`` / ``text-sparse`` when keyword vectors are used (one unnamed dense vector
otherwise), keyword vectors carry Qdrant's IDF modifier when ``sparse_idf`` is set, and filters are converted
by qdrant-haystack's own ``convert_filters_to_qdrant``. So points can be moved between this store and a Qdrant
server collection unchanged (``pipelines/edge/transfer.py``), and results agree with qdrant-client's engine.

Usage::

    store = EdgeDocumentStore(path="/srv/index/shard", embedding_dim=384, use_sparse_embeddings=True,
                              sparse_idf=True)
    store.write_documents([Document(content="Hundesteuer 120 €", embedding=[...], sparse_embedding=...)])
    store.flush()  # durable from here on (the store keeps no write-ahead log, see below)
    docs = store.embedding_retrieval([...], filters={"field": "meta.access", "operator": "==", "value": "public"})

Durability: the shard is created without a write-ahead log; a write is on disk once :meth:`flush` (or
:meth:`close`) returns. Auskunft's generations (``pipelines/stores.py``) make a whole ingest atomic on top of
that. Without a WAL the engine takes no lock on the folder: one writer per folder is the caller's duty (Auskunft
holds ``writer.lock``), and readers open private hard-linked views of committed folders.

Not supported (the engine's Python API has no grouping): ``group_by`` / ``group_size`` of qdrant-haystack.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import replace
from math import exp
from pathlib import Path
from typing import Any

from haystack import Document, default_from_dict, default_to_dict, logging
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.utils.misc import _normalize_metadata_field_name

from pipelines.edge.filters import to_edge_filter

logger = logging.getLogger(__name__)

DENSE_VECTORS_NAME = "text-dense"  # qdrant-haystack's vector names (a hybrid collection)
SPARSE_VECTORS_NAME = "text-sparse"
CONFIG_FILE = "edge_config.json"  # written by the engine into every shard folder
RRF_K = 2  # Qdrant's default RRF constant (also qdrant-client's local mode)
PREFETCH_LIMIT = 10  # Qdrant's default limit of a prefetch (hybrid: each side's candidates before fusion)
# With quantization a search ranks the int8 copies and rescores this many times the requested candidates with the
# original vectors: recall@20 1.0 against exact search at 100,000 near-duplicate chunks (docs/embedded-store.md)
RESCORE_OVERSAMPLING = 4.0
OPTIMIZE_EVERY = 200_000  # points a writer adds before it optimizes (see EdgeDocumentStore.wrote)
# qdrant-haystack's converters.UUID_NAMESPACE
_ID_NAMESPACE = uuid.UUID("3896d314-1e95-4a3a-b45a-945f9f0b541d")
_SIMILARITY = {"cosine": "Cosine", "dot_product": "Dot", "l2": "Euclid"}
_SCHEMA = {
    "keyword": "Keyword",
    "integer": "Integer",
    "float": "Float",
    "geo": "Geo",
    "text": "Text",
    "bool": "Bool",
    "datetime": "Datetime",
    "uuid": "Uuid",
}


class EdgeStoreError(DocumentStoreError):
    """An operation of the Qdrant Edge document store failed."""


class EdgeDocumentStore:
    """Haystack document store on a Qdrant Edge shard in ``path`` (created on first use, lazily).

    :param path: the shard's folder; created with the settings below if it holds no shard yet.
    :param embedding_dim: dimensions of the dense vectors.
    :param similarity: ``cosine``, ``dot_product`` or ``l2``.
    :param use_sparse_embeddings: store keyword (sparse) vectors too, as named vectors ``text-dense`` /
        ``text-sparse`` (qdrant-haystack's hybrid layout); ``False``: one unnamed dense vector.
    :param sparse_idf: keyword scores weighted by inverse document frequency (Qdrant's IDF modifier).
    :param payload_fields_to_index: payload indexes created with the shard, in qdrant-haystack's form
        ``[{"field_name": "meta.access", "field_schema": "keyword"}, ...]``; a schema may also be Qdrant's
        ``{"type": "keyword", "memory": "pinned"}`` (an index in RAM although ``on_disk`` is set).
    :param on_disk: vectors, their quantized copies, graphs, the keyword index, payload and payload indexes stay
        in the shard's files, memory-mapped and read on demand (Qdrant's ``cold`` memory tier): opening loads
        nothing, the page cache keeps what searches touch and is shared by every reader process. ``False``:
        Qdrant's defaults (vectors pre-read at open, the keyword index and payload indexes in RAM).
    :param quantization: ``"int8"``: an int8 copy of the dense vectors (a quarter of their size) is searched and
        the best ``RESCORE_OVERSAMPLING`` x ``top_k`` are rescored with the original vectors; ``None``: none.
    :param hnsw_m: graph links per vector; ``0`` builds no graph (every dense search is exact).
    :param hnsw_ef_construct: candidates while building the graph.
    :param graph_from: from this many documents on, :meth:`optimize` builds HNSW graphs (``hnsw_m`` links);
        below, the shard's segments are scanned (``m = 0``); ``None``: always ``hnsw_m``.
    :param exact: search every vector instead of the graph (exact results whatever the graph holds).
    :param hnsw_ef: candidates of a graph search (``None``: the engine's default).
    :param read_only: refuse every write (readers of a committed index).
    :param write_batch_size: points per engine update.
    :param scroll_size: points per page when documents are listed.
    """

    def __init__(
        self,
        path: str,
        embedding_dim: int = 768,
        similarity: str = "cosine",
        use_sparse_embeddings: bool = False,
        sparse_idf: bool = False,
        payload_fields_to_index: list[dict[str, Any]] | None = None,
        on_disk: bool = False,
        quantization: str | None = None,
        hnsw_m: int = 16,
        hnsw_ef_construct: int = 100,
        graph_from: int | None = None,
        exact: bool = False,
        hnsw_ef: int | None = None,
        read_only: bool = False,
        write_batch_size: int = 256,
        scroll_size: int = 10_000,
    ) -> None:
        if similarity not in _SIMILARITY:
            raise ValueError(f"similarity must be one of {', '.join(_SIMILARITY)}, not '{similarity}'")
        if quantization not in (None, "int8"):
            raise ValueError(f"quantization must be None or 'int8', not '{quantization}'")
        self.path = path
        self.embedding_dim = embedding_dim
        self.similarity = similarity
        self.use_sparse_embeddings = use_sparse_embeddings
        self.sparse_idf = sparse_idf
        self.payload_fields_to_index = payload_fields_to_index
        self.on_disk = on_disk
        self.quantization = quantization
        self.hnsw_m = hnsw_m
        self.hnsw_ef_construct = hnsw_ef_construct
        self.graph_from = graph_from
        self.exact = exact
        self.hnsw_ef = hnsw_ef
        self.read_only = read_only
        self.write_batch_size = write_batch_size
        self.scroll_size = scroll_size
        self._shard: Any = None
        self._unoptimized = 0

    # -- the shard ---------------------------------------------------------------------------------
    @property
    def shard(self) -> Any:
        """The open ``qdrant_edge.EdgeShard`` (loaded or created on first use)."""
        if self._shard is None:
            self._shard = self._open()
        return self._shard

    def _open(self) -> Any:
        from qdrant_edge import EdgeShard

        path = Path(self.path)
        if (path / CONFIG_FILE).exists():
            stored = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
            if self.use_sparse_embeddings and SPARSE_VECTORS_NAME not in (stored.get("sparse_vectors") or {}):
                raise EdgeStoreError(
                    f"The index in {path} has no keyword vectors ('{SPARSE_VECTORS_NAME}'); "
                    "open it with use_sparse_embeddings=False."
                )
            if self.read_only:
                return EdgeShard.load(str(path))
            # a writer brings a shard made with other storage settings to these (the engine rebuilds its
            # segments at the next optimize; payload indexes in another memory tier are made again)
            shard = EdgeShard.load(str(path), self.edge_config(graph=self._stored_graph(stored)))
            self._index_payload(shard)
            return shard
        if self.read_only:
            raise EdgeStoreError(f"There is no index in {path}.")
        path.mkdir(parents=True, exist_ok=True)
        shard = EdgeShard.create(str(path), self.edge_config(graph=self.graph_from is None))
        self._index_payload(shard)
        return shard

    def _index_payload(self, shard: Any) -> None:
        """Create the payload indexes of ``payload_fields_to_index`` the shard lacks or holds in another tier."""
        from qdrant_edge import UpdateOperation

        have = shard.info().payload_schema
        for index in self.payload_fields_to_index or []:
            name, schema = index["field_name"], self._field_schema(index["field_schema"])
            stored = have.get(name)
            if stored is not None:
                wanted = schema.memory  # None: whatever tier the engine chose
                memory = getattr(stored.params, "memory", None)
                if stored.data_type == _schema_type(schema) and wanted in (None, memory):
                    continue
                shard.update(UpdateOperation.delete_field_index(name))
            shard.update(UpdateOperation.create_field_index(name, schema))

    def _field_schema(self, field_schema: str | dict[str, Any]) -> Any:
        """The engine's index parameters for a schema (``"keyword"`` or ``{"type": "keyword", "memory": ...}``)."""
        import qdrant_edge as edge

        kind = field_schema if isinstance(field_schema, str) else field_schema["type"]
        if kind not in _SCHEMA:
            raise ValueError(f"Unknown payload index type '{kind}'; use one of {', '.join(_SCHEMA)}.")
        memory = None if isinstance(field_schema, str) else field_schema.get("memory")
        if memory is None and self.on_disk:
            memory = "cold"
        params = getattr(edge, f"{_SCHEMA[kind]}IndexParams")
        return params(memory=getattr(edge.Memory, memory.title())) if memory else params()

    def _stored_graph(self, stored: dict[str, Any]) -> bool:
        return bool((stored.get("hnsw_config") or {}).get("m", 16))

    def edge_config(self, graph: bool = True, **optimizers: Any) -> Any:
        """The shard's configuration: qdrant-haystack's vectors, graph settings (``graph=False``: m = 0, every
        segment searched without a graph), storage tiers (``on_disk``), quantization, optimizer settings, no
        write-ahead log."""
        import qdrant_edge as edge

        cold = edge.Memory.Cold if self.on_disk else None
        quantized = None
        if self.quantization == "int8":
            quantized = edge.ScalarQuantizationConfig(type=edge.ScalarType.Int8, quantile=0.99, memory=cold)
        distance = getattr(edge.Distance, _SIMILARITY[self.similarity])
        dense = edge.EdgeVectorParams(
            size=self.embedding_dim, distance=distance, memory=cold, quantization_config=quantized
        )
        hnsw = edge.HnswIndexConfig(
            m=self.hnsw_m if graph else 0,
            ef_construct=self.hnsw_ef_construct,
            full_scan_threshold=10_000,
            memory=cold,
        )
        common: dict[str, Any] = {
            "hnsw_config": hnsw,
            "optimizers": edge.EdgeOptimizersConfig(**optimizers) if optimizers else None,
            "payload_memory": edge.Memory.Cold,  # the payload (chunk text) is read only for the hits
            "wal_enabled": False,
        }
        if not self.use_sparse_embeddings:
            return edge.EdgeConfig(vectors=dense, **common)
        modifier = edge.Modifier.Idf if self.sparse_idf else None
        return edge.EdgeConfig(
            vectors={DENSE_VECTORS_NAME: dense},
            sparse_vectors={SPARSE_VECTORS_NAME: edge.EdgeSparseVectorParams(modifier=modifier, memory=cold)},
            **common,
        )

    def flush(self) -> None:
        """Write everything to disk (the store keeps no write-ahead log: unflushed writes die with the process)."""
        if self._shard is not None and not self.read_only:
            self._shard.flush()

    def optimize(self) -> bool:
        """Merge segments and build their indexes (keyword index, payload indexes, and HNSW graphs from
        ``graph_from`` documents on) now; True if anything was done."""
        self._writable()
        if self.graph_from is not None and self.has_graph() != (self.count_documents() >= self.graph_from):
            # the engine rebuilds segments made with the other m; segments from graph_from vectors (at most the
            # engine's default threshold, 10 MB of vectors) are indexed
            threshold = min(10_000, max(1, self.graph_from * self.embedding_dim * 4 // 1024))
            self._reload(graph=not self.has_graph(), indexing_threshold=threshold)
        self._unoptimized = 0
        return bool(self.shard.optimize())

    def has_graph(self) -> bool:
        """Whether the shard's configuration builds HNSW graphs (m > 0)."""
        return self._stored_graph(json.loads((Path(self.path) / CONFIG_FILE).read_text(encoding="utf-8")))

    def _reload(self, graph: bool, **optimizers: Any) -> None:
        from qdrant_edge import EdgeShard

        self.close()
        self._shard = EdgeShard.load(str(self.path), self.edge_config(graph=graph, **optimizers))

    def vacuum(self) -> None:
        """Rewrite every segment that holds deleted documents, so that their text and vectors leave the files
        (``auskunft forget``); the engine otherwise keeps them until a fifth of a segment is deleted."""
        self._writable()
        self.shard.flush()
        graph = self.has_graph()
        self._reload(graph=graph, deleted_threshold=0.0, vacuum_min_vector_number=1)
        self.shard.optimize()
        self._reload(
            graph=graph, deleted_threshold=0.2, vacuum_min_vector_number=1000
        )  # Qdrant's defaults again

    def close(self) -> None:
        """Flush and release the shard (the next use opens it again)."""
        if self._shard is not None:
            shard, self._shard = self._shard, None
            if not self.read_only:
                shard.flush()
            shard.close()

    def _writable(self) -> None:
        if self.read_only:
            raise EdgeStoreError(f"The index in {self.path} is open read-only.")

    # -- serialisation -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            path=self.path,
            embedding_dim=self.embedding_dim,
            similarity=self.similarity,
            use_sparse_embeddings=self.use_sparse_embeddings,
            sparse_idf=self.sparse_idf,
            payload_fields_to_index=self.payload_fields_to_index,
            on_disk=self.on_disk,
            quantization=self.quantization,
            hnsw_m=self.hnsw_m,
            hnsw_ef_construct=self.hnsw_ef_construct,
            graph_from=self.graph_from,
            exact=self.exact,
            hnsw_ef=self.hnsw_ef,
            read_only=self.read_only,
            write_batch_size=self.write_batch_size,
            scroll_size=self.scroll_size,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EdgeDocumentStore:
        return default_from_dict(cls, data)

    # -- the DocumentStore protocol ----------------------------------------------------------------
    def count_documents(self) -> int:
        from qdrant_edge import CountRequest

        return int(self.shard.count(CountRequest(exact=True)))

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """Every document matching ``filters`` (Haystack filter syntax), with its vectors."""
        return [self._document(r) for r in self._scroll(filters, with_vector=True)]

    def write_documents(
        self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE
    ) -> int:
        """Write ``documents``; ``policy`` NONE and FAIL raise on an id already stored, SKIP keeps the stored
        one, OVERWRITE replaces it. Returns how many were written."""
        from qdrant_edge import UpdateOperation

        self._writable()
        for doc in documents:
            if not isinstance(doc, Document):
                raise ValueError(
                    f"DocumentStore.write_documents() expects a list of Documents but got an element of {type(doc)}."
                )
        if not documents:
            logger.warning("Calling EdgeDocumentStore.write_documents() with empty list")
            return 0
        if policy in (DuplicatePolicy.NONE, DuplicatePolicy.FAIL, DuplicatePolicy.SKIP):
            unique = list({doc.id: doc for doc in reversed(documents)}.values())[::-1]  # the first of each id
            stored = {d.id for d in self.get_documents_by_id([doc.id for doc in unique], with_vectors=False)}
            if stored and policy != DuplicatePolicy.SKIP:
                raise DuplicateDocumentError(
                    f"Documents with ids '{', '.join(sorted(stored))}' already exist."
                )
            documents = [doc for doc in unique if doc.id not in stored]
        for start in range(0, len(documents), self.write_batch_size):
            points = [self._point(doc) for doc in documents[start : start + self.write_batch_size]]
            self.shard.update(UpdateOperation.upsert_points(points))
            self.wrote(len(points))
        return len(documents)

    def wrote(self, count: int) -> None:
        """Count ``count`` points written; every ``OPTIMIZE_EVERY`` points the shard is optimized.

        The engine runs no optimizer in the background: new points stay in an appendable segment whose keyword
        and payload indexes live in the writer's RAM (about 4 GB at 500,000 chunks), so a long write turns them
        into indexed, memory-mapped segments as it goes (at most a few hundred thousand points per segment, each
        indexed once)."""
        self._unoptimized += count
        if self._unoptimized >= OPTIMIZE_EVERY:
            self.optimize()

    def delete_documents(self, document_ids: list[str]) -> None:
        from qdrant_edge import UpdateOperation

        self._writable()
        if document_ids:
            self.shard.update(UpdateOperation.delete_points([convert_id(i) for i in document_ids]))

    # -- beyond the protocol (as QdrantDocumentStore) ----------------------------------------------
    def get_documents_by_id(self, ids: list[str], with_vectors: bool = True) -> list[Document]:
        if not ids:
            return []
        records = self.shard.retrieve([convert_id(i) for i in ids], True, with_vectors)
        return [self._document(r) for r in records]

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete every document matching ``filters``; returns how many were deleted."""
        from qdrant_edge import CountRequest, UpdateOperation

        self._writable()
        edge_filter = to_edge_filter(filters)
        if edge_filter is None:
            return 0
        count = int(self.shard.count(CountRequest(exact=True, filter=edge_filter)))
        if count:
            self.shard.update(UpdateOperation.delete_points_by_filter(edge_filter))
        return count

    def update_by_filter(self, filters: dict[str, Any], meta: dict[str, Any]) -> int:
        """Merge ``meta`` into the metadata of every document matching ``filters``; returns how many."""
        from qdrant_edge import CountRequest, UpdateOperation

        self._writable()
        edge_filter = to_edge_filter(filters)
        if edge_filter is None:
            return 0
        count = int(self.shard.count(CountRequest(exact=True, filter=edge_filter)))
        if count:
            self.shard.update(UpdateOperation.set_payload_by_filter(edge_filter, meta, key="meta"))
        return count

    def delete_all_documents(self, recreate_index: bool = False) -> None:
        """Delete every document; ``recreate_index`` also drops the shard and creates it anew."""
        import qdrant_edge as edge

        self._writable()
        if recreate_index:
            self.close()
            shutil.rmtree(self.path, ignore_errors=True)
            self._shard = self._open()
            return
        self.shard.update(edge.UpdateOperation.delete_points_by_filter(edge.Filter(must=[])))

    def count_documents_by_filter(self, filters: dict[str, Any]) -> int:
        from qdrant_edge import CountRequest

        return int(self.shard.count(CountRequest(exact=True, filter=to_edge_filter(filters))))

    def count_unique_metadata_by_filter(
        self, filters: dict[str, Any], metadata_fields: list[str]
    ) -> dict[str, int]:
        from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

        fields = [_normalize_metadata_field_name(f) for f in metadata_fields]
        unique: dict[str, set[tuple[type, Any]]] = {f: set() for f in fields}
        QdrantDocumentStore._process_records_count_unique(list(self._scroll(filters or None)), fields, unique)
        return {f: len(values) for f, values in unique.items()}

    def get_metadata_fields_info(self) -> dict[str, dict[str, str]]:
        from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

        info: dict[str, dict[str, str]] = {}
        QdrantDocumentStore._process_records_fields_info(list(self._scroll(None)), info)
        return info

    def get_metadata_field_min_max(self, metadata_field: str) -> dict[str, Any]:
        from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

        field = _normalize_metadata_field_name(metadata_field)
        low, high = QdrantDocumentStore._process_records_min_max(list(self._scroll(None)), field, None, None)
        return {"min": low, "max": high}

    def get_metadata_field_unique_values(
        self,
        metadata_field: str,
        search_term: str | None = None,
        from_: int = 0,
        size: int = 10,
        filters: dict[str, Any] | None = None,
    ) -> tuple[list[Any], int]:
        """Unique values of a metadata field (sorted by their text), one page of them, and how many there are.

        A field with a keyword payload index is answered from the index (Qdrant's facets) without reading any
        payload; others by reading every matching document's payload, as qdrant-haystack does.
        """
        field = _normalize_metadata_field_name(metadata_field)
        values: list[Any] = []
        if self._keyword_indexed(f"meta.{field}"):
            from qdrant_edge import FacetRequest

            hits = self.shard.facet(
                FacetRequest(key=f"meta.{field}", limit=1_000_000, exact=True, filter=to_edge_filter(filters))
            )
            values = [
                h.value for h in hits if search_term is None or search_term.lower() in str(h.value).lower()
            ]
        else:
            from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

            seen: set[Any] = set()
            QdrantDocumentStore._process_records_unique_values(
                list(self._scroll(filters)), field, values, seen, search_term
            )
        values.sort(key=lambda v: (str(v), type(v).__name__))
        return values[from_ : from_ + size], len(values)

    def _keyword_indexed(self, key: str) -> bool:
        return (
            any(
                i["field_name"] == key
                and (i["field_schema"] if isinstance(i["field_schema"], str) else i["field_schema"]["type"])
                == "keyword"
                for i in self.payload_fields_to_index or []
            )
            and key in self.shard.info().payload_schema
        )

    # -- retrieval (used by the retriever components) ----------------------------------------------
    def embedding_retrieval(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
        score_threshold: float | None = None,
    ) -> list[Document]:
        """The ``top_k`` documents nearest to ``query_embedding`` that match ``filters``."""
        using = DENSE_VECTORS_NAME if self.use_sparse_embeddings else None
        return self._nearest(
            list(query_embedding),
            using,
            filters,
            top_k,
            scale_score,
            return_embedding,
            score_threshold,
            params=self._search_params(),
        )

    def sparse_embedding_retrieval(
        self,
        query_sparse_embedding: SparseEmbedding,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
        score_threshold: float | None = None,
    ) -> list[Document]:
        """The ``top_k`` documents with the highest keyword score for ``query_sparse_embedding``."""
        from qdrant_edge import SparseVector

        self._need_sparse()
        query = SparseVector(list(query_sparse_embedding.indices), list(query_sparse_embedding.values))
        return self._nearest(
            query, SPARSE_VECTORS_NAME, filters, top_k, scale_score, return_embedding, score_threshold
        )

    def _nearest(
        self,
        query: Any,
        using: str | None,
        filters: dict[str, Any] | None,
        top_k: int,
        scale_score: bool,
        return_embedding: bool,
        score_threshold: float | None,
        params: Any = None,
    ) -> list[Document]:
        """The ``top_k`` documents whose vector ``using`` is nearest to ``query`` and that match ``filters``,
        their scores scaled to 0..1 if ``scale_score``."""
        from qdrant_edge import Query, QueryRequest

        points = self.shard.query(
            QueryRequest(
                limit=top_k,
                query=Query.Nearest(query, using=using),
                filter=to_edge_filter(filters),
                with_payload=True,
                with_vector=return_embedding,
                score_threshold=score_threshold,
                params=params,
            )
        )
        documents = [self._document(p) for p in points]
        return [self._scaled(d) for d in documents] if scale_score else documents

    def hybrid_retrieval(
        self,
        query_embedding: list[float],
        query_sparse_embedding: SparseEmbedding,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        return_embedding: bool = False,
        score_threshold: float | None = None,
        prefetch_limit: int = PREFETCH_LIMIT,
    ) -> list[Document]:
        """Keyword and dense candidates (``prefetch_limit`` each, both filtered) fused by Reciprocal Rank
        Fusion with Qdrant's formula and constant, as QdrantHybridRetriever asks a Qdrant server.

        The fusion runs here, not in the engine: the engine orders documents of equal fused score (ranks 1 and
        3 against 3 and 1) differently from one process to the next, so the same question ranked different
        statutes first. Here ties go to the better dense rank, then the better keyword rank, then the id.
        """
        from qdrant_edge import Query, QueryRequest, SparseVector

        self._need_sparse()
        edge_filter = to_edge_filter(filters)
        sparse = SparseVector(list(query_sparse_embedding.indices), list(query_sparse_embedding.values))
        sides = [
            self.shard.query(
                QueryRequest(
                    limit=prefetch_limit,
                    query=Query.Nearest(query, using=using),
                    filter=edge_filter,
                    params=params,
                    with_payload=True,
                    with_vector=return_embedding,
                )
            )
            for query, using, params in (
                (list(query_embedding), DENSE_VECTORS_NAME, self._search_params()),
                (sparse, SPARSE_VECTORS_NAME, None),
            )
        ]
        fused = reciprocal_rank_fusion(*[[point.id for point in side] for side in sides])
        points = {point.id: point for side in reversed(sides) for point in side}
        documents = [
            replace(self._document(points[point_id]), score=score)
            for point_id, score in fused[:top_k]
            if score_threshold is None or score >= score_threshold
        ]
        return documents

    def _search_params(self) -> Any:
        from qdrant_edge import QuantizationSearchParams, SearchParams

        rescore = None
        if self.quantization is not None:
            rescore = QuantizationSearchParams(rescore=True, oversampling=RESCORE_OVERSAMPLING)
        if not self.exact and self.hnsw_ef is None and rescore is None:
            return None
        return SearchParams(exact=self.exact, hnsw_ef=self.hnsw_ef, quantization=rescore)

    def _need_sparse(self) -> None:
        if not self.use_sparse_embeddings:
            raise EdgeStoreError(
                "You are trying to query using sparse embeddings, but the Document Store "
                "was initialized with `use_sparse_embeddings=False`."
            )

    def _scaled(self, document: Document) -> Document:
        if document.score is None:
            return document
        if self.similarity == "cosine":
            return replace(document, score=(document.score + 1) / 2)
        return replace(document, score=float(1 / (1 + exp(-document.score / 100))))

    # -- conversion (qdrant-haystack's layout) -----------------------------------------------------
    def _scroll(self, filters: dict[str, Any] | None, with_vector: bool = False) -> Any:
        from qdrant_edge import ScrollRequest

        edge_filter = to_edge_filter(filters)
        offset = None
        while True:
            records, offset = self.shard.scroll(
                ScrollRequest(
                    offset=offset,
                    limit=self.scroll_size,
                    filter=edge_filter,
                    with_payload=True,
                    with_vector=with_vector,
                )
            )
            yield from records
            if offset is None:
                return

    def _point(self, document: Document) -> Any:
        from qdrant_edge import Point, SparseVector

        payload = document.to_dict(flatten=False)
        dense = payload.pop("embedding", None)
        sparse = payload.pop("sparse_embedding", None)
        vector: Any
        if self.use_sparse_embeddings:
            vector = {}
            if dense is not None:
                vector[DENSE_VECTORS_NAME] = list(dense)
            if sparse is not None:
                vector[SPARSE_VECTORS_NAME] = SparseVector(list(sparse["indices"]), list(sparse["values"]))
        else:
            vector = list(dense) if dense is not None else {}
        return Point(convert_id(document.id), vector, payload)

    def _document(self, point: Any) -> Document:
        payload = dict(point.payload or {})
        payload["score"] = getattr(point, "score", None)
        vector = point.vector
        if not self.use_sparse_embeddings:
            payload["embedding"] = vector if isinstance(vector, list) and vector else None
        elif isinstance(vector, dict):
            payload["embedding"] = vector.get(DENSE_VECTORS_NAME)
            sparse = vector.get(SPARSE_VECTORS_NAME)
            if sparse is not None:
                payload["sparse_embedding"] = {"indices": list(sparse.indices), "values": list(sparse.values)}
        return Document.from_dict(payload)


def reciprocal_rank_fusion(*rankings: list[Any], k: int = RRF_K) -> list[tuple[Any, float]]:
    """Ids of several rankings by fused score ``sum(1 / (k + rank))`` (rank from 0, Qdrant's formula), best
    first; equal scores are ordered by the rank in the first ranking, then the next, then by id."""
    scores: dict[Any, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1 / (k + rank)
    missing = max((len(r) for r in rankings), default=0)
    positions = [{item: rank for rank, item in enumerate(ranking)} for ranking in rankings]

    def order(item: Any) -> tuple[Any, ...]:
        return (-scores[item], *[p.get(item, missing) for p in positions], str(item))

    return [(item, scores[item]) for item in sorted(scores, key=order)]


def convert_id(document_id: str) -> str:
    """The point id of a document: qdrant-haystack's ``convert_id`` (a UUID5 in its namespace), without importing
    qdrant-client (tests/unit/test_edge_store.py compares the two)."""
    return uuid.uuid5(_ID_NAMESPACE, document_id).hex


def _schema_type(params: Any) -> Any:
    import qdrant_edge as edge

    return getattr(edge.PayloadSchemaType, type(params).__name__.removesuffix("IndexParams"))
