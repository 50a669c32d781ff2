"""What the Streamlit page needs from the library, in a few plain functions (keeps the page thin)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from config.settings import Settings
from ingest.manifest import Manifest
from pipelines.access import role_filter
from pipelines.query import Answer, QueryService
from pipelines.stores import EmbeddedIndex, close_document_store, create_document_store, open_server_store

FACET_FIELDS = ("doc_type", "municipality", "body")


def mode_role(settings: Settings, mode: str, user_role: str | None = None) -> str:
    """The role whose access levels a page mode searches: Bürgerbüro is always the desk role; Sachbearbeitung
    is the signed-in user's role (``access.default_role`` when the user has none)."""
    if mode == "desk":
        return "desk"
    return user_role or settings.access.default_role


def index_status(settings: Settings) -> dict[str, Any]:
    if settings.store.url:
        from ingest.runner import server_manifest_path

        manifest = Manifest.load(server_manifest_path(settings))
        generation = None
    else:
        index = EmbeddedIndex(settings.index_dir)
        generation = index.current()
        manifest = Manifest.from_dict(index.manifest())
    return {
        "documents": len(manifest.entries),
        "chunks": sum(e.get("chunks", 0) for e in manifest.entries.values()),
        "generation": generation,
        "store": settings.store.url or str(settings.index_dir),
    }


def last_reindex(settings: Settings) -> dict[str, Any] | None:
    """The report of the last `auskunft reindex` run (nightly or from the page), if any."""
    import json

    path = settings.data_dir / "reports" / "latest-reindex.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError):
        return None


def facets(settings: Settings, role: str | None = None) -> dict[str, list[str]]:
    """The values the filters offer: document types, municipalities and bodies in the live index, of the
    documents ``role`` may see (``None`` = all).

    Read from a private snapshot of the embedded index (or from the Qdrant server); empty lists when
    nothing is indexed yet.
    """
    empty: dict[str, list[str]] = {f: [] for f in FACET_FIELDS}
    snapshot = None
    if settings.store.url:
        server = open_server_store(settings)
        if server is None:
            return empty
        store = server
    else:
        index = EmbeddedIndex(settings.index_dir)
        if index.current() is None:
            return empty
        keywords = bool(str(index.manifest().get("embedder") or "").partition("+")[2])
        snapshot = index.snapshot()
        store = create_document_store(settings, path=snapshot.path, keywords=keywords)
    limit = role_filter(role, settings.access.default) if role else None
    try:
        return {
            f: sorted(
                {str(v) for v in store.get_metadata_field_unique_values(f, size=1000, filters=limit)[0] if v}
            )
            for f in FACET_FIELDS
        }
    finally:
        close_document_store(store)
        if snapshot is not None:
            snapshot.close()


class StreamedAnswer:
    """Runs ``service.answer`` in a thread; iterate over it for tokens, then read ``.result``."""

    def __init__(
        self,
        service: QueryService,
        question: str,
        filters: dict[str, Any] | None = None,
        style: str = "staff",
    ) -> None:
        self._tokens: queue.Queue[str | None] = queue.Queue()
        self.result: Answer | None = None
        self.error: BaseException | None = None

        def work() -> None:
            try:
                self.result = service.answer(
                    question,
                    streaming_callback=lambda c: self._tokens.put(c.content),
                    filters=filters,
                    style=style,
                )
            except BaseException as exc:  # handed to the page, which shows one line
                self.error = exc
            finally:
                self._tokens.put(None)

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[str]:
        while (token := self._tokens.get()) is not None:
            yield token
        self._thread.join()
