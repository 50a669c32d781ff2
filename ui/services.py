"""What the Streamlit page needs from the library, in a few plain functions (keeps the page thin)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from config.settings import Settings
from ingest.manifest import Manifest
from pipelines.query import Answer, QueryService
from pipelines.stores import EmbeddedIndex


def index_status(settings: Settings) -> dict[str, Any]:
    if settings.store.url:
        from ingest.runner import server_manifest_path

        manifest = Manifest.load(server_manifest_path(settings))
    else:
        manifest = Manifest.from_dict(EmbeddedIndex(settings.index_dir).manifest())
    return {
        "documents": len(manifest.entries),
        "chunks": sum(e.get("chunks", 0) for e in manifest.entries.values()),
    }


def last_reindex(settings: Settings) -> dict[str, Any] | None:
    """The report of the last `auskunft reindex` run (nightly), if any."""
    import json

    path = settings.data_dir / "reports" / "latest-reindex.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError):
        return None


class StreamedAnswer:
    """Runs ``service.answer`` in a thread; iterate over it for tokens, then read ``.result``."""

    def __init__(self, service: QueryService, question: str) -> None:
        self._tokens: queue.Queue[str | None] = queue.Queue()
        self.result: Answer | None = None
        self.error: BaseException | None = None

        def work() -> None:
            try:
                self.result = service.answer(
                    question, streaming_callback=lambda c: self._tokens.put(c.content)
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
