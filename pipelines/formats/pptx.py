"""PPTX (PowerPoint) as Markdown: one page per slide (form feeds), the slide title as a heading, text
frames and tables in reading order, speaker notes after the slide's text.

The package has already passed ``pipelines.packages.package_refusal`` (ZIP and XML bombs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.formats.tables import markdown_table


def _shape_blocks(shape: Any) -> list[str]:
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
        return [markdown_table(rows)]
    if getattr(shape, "shape_type", None) is not None and hasattr(shape, "shapes"):  # a group
        return [b for child in shape.shapes for b in _shape_blocks(child)]
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        lines = [" ".join(p.text.split()) for p in shape.text_frame.paragraphs]
        return ["\n".join(line for line in lines if line)]
    return []


def pptx_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    import pptx

    presentation = pptx.Presentation(str(path))
    pages: list[str] = []
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        title = " ".join(title_shape.text.split()) if title_shape is not None else ""
        blocks = [f"## {title}" if title else f"## Folie {number}"]
        for shape in slide.shapes:
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            blocks.extend(b for b in _shape_blocks(shape) if b.strip())
        if slide.has_notes_slide and (notes := slide.notes_slide.notes_text_frame.text.strip()):
            blocks.append(notes)
        pages.append("\n\n".join(blocks))
    meta: dict[str, Any] = {"pages": len(pages)}
    if title := (presentation.core_properties.title or "").strip():
        meta["title"] = title
    return "\f".join(pages), meta
