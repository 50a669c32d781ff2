"""``auskunft mcp``: Auskunft as a Model Context Protocol server (stdio), for agent tools that speak MCP.

Tools: ``search`` (the passages that best match a question, no language model) and ``ask`` (the cited
answer, as ``auskunft ask`` gives it, with source, title, §, page and quote of each citation). Resources:
one per indexed document the role may see, ``auskunft://documents/<id>`` (the id of ``GET /documents``),
read as the text Auskunft indexed (its chunks in order, personal data masked where configured).

The server acts with one role (``--role``; default ``access.default_role``), like ``auskunft ask`` on the
same machine: the role filter is part of every query, documents the role may not see are neither listed
nor read. Every search and answer is written to the audit log (channel ``mcp``).

>>> from config.settings import load_settings
>>> server = build_server(load_settings(), role="desk")
>>> server.name
'auskunft'
"""

from __future__ import annotations

import contextlib
import threading
from functools import partial
from typing import Any, Literal

from config.settings import Settings
from pipelines.access import check_role, may_see
from pipelines.filters import build_filters
from pipelines.query import QueryService, hit_of

URI = "auskunft://documents/"
INSTRUCTIONS = (
    "Auskunft answers questions about municipal statutes, council decisions and minutes from a local index, "
    "in German, with numbered citations. Use `ask` for an answer with sources, `search` for passages. "
    "Quote the citations; Auskunft refuses when the documents do not answer."
)


class Documents:
    """The indexed documents the role may see (from the manifest) and their indexed text (from the store)."""

    def __init__(self, settings: Settings, role: str) -> None:
        self.settings = settings
        self.role = role

    def visible(self) -> dict[str, dict[str, Any]]:
        """id -> {source, title, doc_type, access} of each document the role may see."""
        from ingest.forget import load_manifest
        from ui.api.index import document_id

        manifest = load_manifest(self.settings)
        out = {}
        for sid, entry in sorted(manifest.entries.items()):
            level = entry.get("access") or self.settings.access.default
            if may_see(self.role, level):
                out[document_id(sid)] = {"source": entry.get("source", sid), **entry, "access": level}
        return out

    def text(self, doc_id: str) -> str:
        """The document as indexed: its chunks in order (each with its section heading where it changes)."""
        from pipelines.access import role_filter
        from pipelines.stores import (
            EmbeddedIndex,
            close_document_store,
            create_document_store,
            open_server_store,
        )

        entry = self.visible().get(doc_id)
        if entry is None:
            raise ValueError(
                f"No document {doc_id} for the role {self.role}; list the resources to see the ids."
            )
        conditions: list[dict[str, Any]] = [
            {"field": "meta.source", "operator": "==", "value": entry["source"]}
        ]
        if (limit := role_filter(self.role, self.settings.access.default)) is not None:
            conditions.append(limit)
        filters = {"operator": "AND", "conditions": conditions}
        snapshot = None
        if self.settings.store.url:
            store = open_server_store(self.settings)
            if store is None:
                raise ValueError("The Qdrant server has no collection yet; run `auskunft ingest PATH` first.")
        else:
            index = EmbeddedIndex(self.settings.index_dir)
            keywords = bool(str(index.manifest().get("embedder") or "").partition("+")[2])
            snapshot = index.snapshot()
            store = create_document_store(self.settings, path=snapshot.path, keywords=keywords)
        try:
            chunks = sorted(store.filter_documents(filters=filters), key=lambda d: d.meta.get("split_id", 0))
        finally:
            close_document_store(store)
            if snapshot is not None:
                snapshot.close()
        parts: list[str] = []
        heading = None
        for chunk in chunks:
            if chunk.meta.get("heading") and chunk.meta["heading"] != heading:
                heading = chunk.meta["heading"]
                parts.append(f"## {heading}")
            parts.append(chunk.content or "")
        title = entry.get("title") or entry["source"]
        return f"# {title}\n\nQuelle: {entry['source']}\n\n" + "\n\n".join(parts)


def build_server(settings: Settings, role: str | None = None, service: QueryService | None = None) -> Any:
    """The MCP server (``mcp.server.MCPServer``) with the tools and one resource per visible document."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.resources import FunctionResource

    from ui.audit import AuditLog, current_user

    role = check_role(role or settings.access.default_role)
    documents = Documents(settings, role)
    query = service or QueryService(settings)
    generating = threading.Lock()  # one answer at a time (the in-process llama.cpp serves one)
    server = MCPServer("auskunft", title="Auskunft", instructions=INSTRUCTIONS, version="0.1.0")

    def audit(action: str, question: str, sources: list[str], refused: bool | None = None) -> None:
        # as in the API: the answer still goes out when the log cannot be written
        with contextlib.suppress(OSError):
            AuditLog.for_settings(settings).record(
                current_user(), role, "mcp", action, question, sources, refused
            )

    def filters(municipality: str | None, doc_type: str | None) -> Any:
        return build_filters(
            doc_type=doc_type, municipality=municipality, role=role, default_level=settings.access.default
        )

    @server.tool()
    def search(
        question: str, top_k: int = 5, municipality: str | None = None, doc_type: str | None = None
    ) -> list[dict[str, Any]]:
        """Find the passages of municipal documents (statutes, minutes, decisions) that best match a question
        in German. Returns source, title, section (§), page, score and the passage text. No language model."""
        hits = [
            hit_of(d)
            for d in query.search(
                question, top_k=max(1, min(top_k, 50)), filters=filters(municipality, doc_type)
            )
        ]
        audit("search", question, [h["source"] for h in hits])
        return hits

    @server.tool()
    def ask(
        question: str,
        style: Literal["staff", "desk"] = "staff",
        municipality: str | None = None,
        doc_type: str | None = None,
    ) -> dict[str, Any]:
        """Answer a question in German from the indexed municipal documents, with numbered citations (source,
        title, section §, page, verbatim quote). style: staff (detailed) or desk (2-3 plain sentences). When
        the documents do not answer, the answer says so (refused: true)."""
        mode = "desk" if role == "desk" else style
        search_filters = filters(municipality, doc_type)
        if mode == "desk" and role != "desk":
            search_filters = build_filters(
                doc_type=doc_type,
                municipality=municipality,
                role="desk",
                default_level=settings.access.default,
            )
        with generating:
            answer = query.answer(question, filters=search_filters, style=mode)
        audit("ask", question, [c["source"] for c in answer.citations], answer.refused)
        return {
            "answer": answer.answer,
            "citations": [
                {
                    "number": i,
                    "source": c.get("source", ""),
                    "title": c.get("title") or "",
                    "section": c.get("section") or None,
                    "page": c.get("page"),
                    "quote": c.get("quote") or "",
                }
                for i, c in enumerate(answer.citations, 1)
            ],
            "refused": answer.refused,
            "unverified": answer.unverified,
            "generated": answer.generated,
        }

    try:
        visible = documents.visible()
    except Exception:  # no index yet: the tools say so when called; no resources to list
        visible = {}
    for doc_id, entry in visible.items():
        server.add_resource(
            FunctionResource(
                uri=f"{URI}{doc_id}",
                name=str(entry.get("title") or entry["source"]),
                description=f"{entry.get('doc_type') or 'Dokument'}: {entry['source']} ({entry['access']})",
                mime_type="text/markdown",
                fn=partial(documents.text, doc_id),
            )
        )
    return server


def serve_stdio(settings: Settings, role: str | None = None) -> None:
    """Run the server on standard input and output until the client closes them."""
    server = build_server(settings, role)
    server.run("stdio")
