"""Turns OParl 1.x JSON objects (Paper, Meeting, File, Organization ...) into readable German documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from haystack import Document, component

from pipelines.places import place_of_url


def _kind(obj: dict[str, Any]) -> str:
    return str(obj.get("type", "")).rstrip("/").rsplit("/", 1)[-1]


def _date(value: Any) -> str:
    return str(value)[:10] if value else ""


def _meeting_text(obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    lines = [f"Sitzung: {obj.get('name', '')}"]
    if obj.get("start"):
        lines.append(f"Beginn: {str(obj['start']).replace('T', ' ')[:16]}")
    location = obj.get("location")
    if isinstance(location, dict) and location.get("description"):
        lines.append(f"Ort: {location['description']}")
    items = obj.get("agendaItem") or []
    non_public = 0
    if items:
        lines.append("")
        lines.append("Tagesordnung:")
    for item in items:
        if not isinstance(item, dict):
            continue
        public = item.get("public", True)
        if not public:
            non_public += 1
        number = item.get("number", "?")
        # unnumbered items are group headings ("ANTRÄGE"), not "TOP :"
        line = f"- TOP {number}: {item.get('name', '')}" if number else f"- {item.get('name', '')}"
        line += "" if public else " (nichtöffentlich)"
        if item.get("result"):
            line += f" – Ergebnis: {item['result']}"
        if item.get("resolutionText"):
            line += f" – Beschluss: {item['resolutionText']}"
        lines.append(line)
    meta = {
        "doc_type": "Niederschrift"
        if obj.get("resultsProtocol") or obj.get("verbatimProtocol")
        else "Einladung",
        "date": _date(obj.get("start")),
        "body": str(obj.get("name", "")).split("(")[0].strip() or None,
        "non_public_items": non_public,
    }
    return "\n".join(lines), meta


def _paper_text(obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    lines = [f"{obj.get('paperType', 'Vorlage')} {obj.get('reference', '')}: {obj.get('name', '')}".strip()]
    if obj.get("date"):
        lines.append(f"Datum: {_date(obj['date'])}")
    for consultation in obj.get("consultation") or []:
        if isinstance(consultation, dict) and consultation.get("role"):
            lines.append(f"Beratung: {consultation['role']}")
    files = [
        f.get("name") for f in (obj.get("mainFile"), *(obj.get("auxiliaryFile") or [])) if isinstance(f, dict)
    ]
    if files:
        lines.append("Anlagen: " + "; ".join(str(f) for f in files if f))
    meta = {
        "doc_type": "Beschlussvorlage" if "vorlage" in str(obj.get("paperType", "")).lower() else "Antrag",
        "reference": obj.get("reference"),
        "date": _date(obj.get("date")),
    }
    return "\n".join(lines), meta


def _generic_text(obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = _kind(obj)
    lines = [f"{kind}: {obj.get('name') or obj.get('title') or obj.get('id', '')}"]
    for key in (
        "shortName",
        "classification",
        "organizationType",
        "description",
        "website",
        "license",
        "text",
    ):
        if obj.get(key):
            lines.append(f"{key}: {obj[key]}")
    return "\n".join(lines), {"doc_type": "Sonstiges"}


def oparl_object_to_document(obj: dict[str, Any], source: str) -> Document | None:
    """One OParl object as a Document; ``None`` for objects that carry no readable content."""
    kind = _kind(obj)
    if obj.get("deleted"):
        return None
    if kind == "Meeting":
        text, meta = _meeting_text(obj)
    elif kind == "Paper":
        text, meta = _paper_text(obj)
    elif kind == "File" and obj.get("text"):
        text, meta = str(obj["text"]), {"doc_type": "Sonstiges", "date": _date(obj.get("date"))}
    else:
        text, meta = _generic_text(obj)
    title = str(obj.get("name") or obj.get("title") or kind)
    # the town: the host of its body's address (web1.karlsruhe.de); a crawl's sidecar names it from the
    # body itself and wins (MunicipalFileConverter applies sidecars after this)
    meta["municipality"] = place_of_url(str(obj.get("body") or obj.get("id") or ""))
    meta = {k: v for k, v in meta.items() if v not in (None, "")}
    meta.update({"source": source, "title": title, "oparl_type": kind, "oparl_id": obj.get("id")})
    return Document(content=text, meta=meta)


@component
class OParlConverter:
    """
    Converts OParl JSON files (one object, a list of objects, or a ``{"data": [...]}`` page) into Documents.

    Usage example:
    ```python
    docs = OParlConverter().run(sources=["karlsruhe-oparl/meetings/10054.json"])["documents"]
    ```
    """

    def __init__(self) -> None:
        pass

    @component.output_types(documents=list[Document])
    def run(self, sources: list[str | Path]) -> dict[str, Any]:
        documents: list[Document] = []
        for source in sources:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
            objects = data.get("data") if isinstance(data, dict) and "data" in data else data
            if isinstance(objects, dict):
                objects = [objects]
            converted = [
                oparl_object_to_document(o, str(source)) for o in objects or [] if isinstance(o, dict)
            ]
            parts = [p for p in converted if p is not None]
            if len(parts) == 1:
                documents.append(parts[0])
            elif parts:
                content = "\n\n".join(p.content or "" for p in parts)
                documents.append(
                    Document(
                        content=content,
                        meta={
                            "source": str(source),
                            "title": Path(source).stem,
                            "doc_type": "Sonstiges",
                            "oparl_type": "list",
                        },
                    )
                )
        return {"documents": documents}
