"""Repairs the text damage that breaks German retrieval: hyphenation, OCR'd "§", stray whitespace."""

from __future__ import annotations

import re
from typing import Any

from haystack import Document, component

_HYPHEN_BREAK = re.compile(r"(\w)-\n[ \t]*([a-zäöüß])")
_OCR_PARAGRAPH = re.compile(r"^(?:8|\$|S)\s?(\d{1,3}[a-z]?)(\s+[A-ZÄÖÜ(])", re.M)
# "83" alone on a line above a short heading is an OCR'd "§ 3"
_OCR_PARAGRAPH_LINE = re.compile(r"^(?:8|\$)\s?(\d{1,2}[a-z]?)\n(?=[A-ZÄÖÜ][^\n.]{3,70}\n)", re.M)
_OCR_PARAGRAPH_DOUBLE = re.compile(r"^(?:88|\$\$|SS)\s?(\d{1,3})", re.M)
_SPACES = re.compile(r"[ \t\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def clean_german_text(text: str, ocr: bool = False) -> str:
    """Normalise whitespace, join words hyphenated across lines and, for OCR text, restore "§"."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _OCR_PARAGRAPH_LINE.sub(r"§ \1 ", text)
    if ocr or not text.count("§"):
        text = _OCR_PARAGRAPH_DOUBLE.sub(r"§§ \1", text)
        text = _OCR_PARAGRAPH.sub(r"§ \1\2", text)
    pages = []
    for page in text.split("\f"):
        lines = [_SPACES.sub(" ", line).strip() for line in page.split("\n")]
        pages.append(_MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip("\n"))
    return "\f".join(pages)


@component
class GermanTextCleaner:
    """
    Cleans converted German documents while keeping line structure and page breaks (``\\f``), which
    the structure-aware splitter needs (Haystack's DocumentCleaner collapses them).

    Usage example:
    ```python
    GermanTextCleaner().run(documents=[Document(content="Hunde-\\nsteuer\\n8 5 Steuersatz")])
    # -> "Hundesteuer\\n§ 5 Steuersatz"
    ```
    """

    def __init__(self) -> None:
        pass

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        cleaned = []
        for doc in documents:
            text = clean_german_text(doc.content or "", ocr=bool(doc.meta.get("ocr")))
            cleaned.append(Document(id=doc.id, content=text, meta=dict(doc.meta)))
        return {"documents": cleaned}
