"""DOCX (Word) as Markdown: headings from the paragraph styles, tables through :mod:`.tables`, pages where
Word recorded them (page breaks and the breaks Word writes on saving, ``lastRenderedPageBreak``).

The package has already passed ``pipelines.packages.package_refusal`` (ZIP and XML bombs).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipelines.formats.tables import markdown_table

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING = re.compile(r"^(?:heading|überschrift|berschrift)\s*(\d)$", re.I)


def heading_level(style: str | None) -> int | None:
    """``"Heading 2"`` / ``"Überschrift 2"`` -> 2; ``"Title"``/``"Titel"`` -> 1; else ``None``."""
    name = (style or "").strip()
    if name.lower() in {"title", "titel"}:
        return 1
    match = _HEADING.match(name)
    return int(match.group(1)) if match else None


def _page_breaks(element: Any) -> int:
    breaks = 0
    for node in element.iter(f"{_W}br", f"{_W}lastRenderedPageBreak"):
        if node.tag == f"{_W}lastRenderedPageBreak" or node.get(f"{_W}type") == "page":
            breaks += 1
    return breaks


def _paragraph_text(paragraph: Any) -> str:
    return "".join(node.text or "" for node in paragraph.iter(f"{_W}t", f"{_W}tab")).strip()


def _blocks(body: Any) -> Any:
    """Paragraphs and tables in document order, also inside content controls (``w:sdt``)."""
    for element in body.iterchildren():
        if element.tag == f"{_W}sdt":
            for content in element.iterchildren(f"{_W}sdtContent"):
                yield from _blocks(content)
        else:
            yield element


def docx_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of a DOCX (pages separated by form feeds) and what it says about itself (title, pages)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    pages: list[list[str]] = [[]]
    title = (document.core_properties.title or "").strip()
    for element in _blocks(document.element.body):
        if element.tag == f"{_W}p":
            paragraph = Paragraph(element, document)
            for _ in range(_page_breaks(element)):
                if pages[-1]:
                    pages.append([])
            text = _paragraph_text(element)
            if not text:
                continue
            level = heading_level(paragraph.style.name if paragraph.style is not None else None)
            pages[-1].append(f"{'#' * level} {text}" if level else text)
        elif element.tag == f"{_W}tbl":
            table = Table(element, document)
            rows = [[cell.text for cell in row.cells] for row in table.rows]
            if text := markdown_table(rows):
                pages[-1].append(text)
    meta: dict[str, Any] = {"pages": len(pages)}
    if title:
        meta["title"] = title
    return "\f".join("\n\n".join(blocks) for blocks in pages), meta
