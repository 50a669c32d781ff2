"""OpenDocument text (ODT) and spreadsheets (ODS) as Markdown, read from ``content.xml`` with the standard
library: headings from ``text:h`` (outline level), lists, tables through :mod:`.tables`, pages at the
soft page breaks LibreOffice records, one section per sheet.

The package has already passed ``pipelines.packages.package_refusal``: no DTD (so no entity expansion),
at most ``indexing.max_xml_elements`` elements per member. Repeated empty rows and columns (a sheet
declares a million of them) are not expanded; :data:`MAX_CELLS` caps what a sheet may fill.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

from pipelines.formats.tables import markdown_table

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}
MAX_CELLS = 1_000_000


class TooLarge(ValueError):
    """A sheet that repeats filled cells beyond :data:`MAX_CELLS`."""


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _inline_text(element: ET.Element) -> str:
    """The text of a paragraph or heading: spans, links, spaces (``text:s``), tabs and line breaks."""
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.tag == _q("text:s"):
            parts.append(" " * int(node.get(_q("text:c"), "1")))
        elif node.tag in (_q("text:tab"), _q("text:line-break")):
            parts.append(" ")
        elif node.tag in (_q("text:note"), _q("office:annotation")):
            return  # footnotes and comments would break the sentence they stand in
        else:
            parts.append(node.text or "")
            for child in node:
                walk(child)
        if node is not element:
            parts.append(node.tail or "")

    walk(element)
    return " ".join("".join(parts).split())


def _has_page_break(element: ET.Element) -> bool:
    return element.find(f".//{_q('text:soft-page-break')}") is not None


def _cells(row: ET.Element, budget: list[int]) -> list[str]:
    cells: list[str] = []
    for cell in row:
        if cell.tag not in (_q("table:table-cell"), _q("table:covered-table-cell")):
            continue
        text = " ".join(_inline_text(p) for p in cell.iter(_q("text:p")))
        repeat = int(cell.get(_q("table:number-columns-repeated"), "1"))
        if not text.strip():
            cells.extend([""] * min(repeat, 1))  # trailing empty columns are not expanded
            continue
        budget[0] -= repeat
        if budget[0] < 0:
            raise TooLarge(f"a sheet with more than {MAX_CELLS} filled cells")
        cells.extend([text] * repeat)
    return cells


def _table_rows(table: ET.Element, budget: list[int]) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.iter(_q("table:table-row")):
        cells = _cells(row, budget)
        repeat = int(row.get(_q("table:number-rows-repeated"), "1"))
        if not any(cells):
            rows.append(cells)  # empty rows are not expanded either
            continue
        budget[0] -= len(cells) * (repeat - 1)
        if budget[0] < 0:
            raise TooLarge(f"a sheet with more than {MAX_CELLS} filled cells")
        rows.extend([cells] * repeat)
    return rows


def _content(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as package:
        return ET.fromstring(package.read("content.xml"))


def _title(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as package:
            meta = ET.fromstring(package.read("meta.xml"))
    except (KeyError, ET.ParseError):
        return None
    node = meta.find(f".//{_q('dc:title')}")
    return (node.text or "").strip() or None if node is not None else None


def odt_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of an ODT (pages separated by form feeds where LibreOffice laid them out)."""
    body = _content(path).find(f".//{_q('office:text')}")
    pages: list[list[str]] = [[]]
    budget = [MAX_CELLS]

    def add(block: str, element: ET.Element) -> None:
        if _has_page_break(element) and pages[-1]:
            pages.append([])
        if block:
            pages[-1].append(block)

    def walk(container: ET.Element, list_depth: int = 0) -> None:
        for element in container:
            tag = element.tag
            if tag == _q("text:h"):
                level = min(int(element.get(_q("text:outline-level"), "1")), 6)
                text = _inline_text(element)
                add(f"{'#' * level} {text}" if text else "", element)
            elif tag == _q("text:p"):
                add(_inline_text(element), element)
            elif tag == _q("text:list"):
                for item in element.iter(_q("text:list-item")):
                    for paragraph in item.findall(_q("text:p")) + item.findall(_q("text:h")):
                        text = _inline_text(paragraph)
                        add(f"- {text}" if text else "", paragraph)
            elif tag == _q("table:table"):
                add(markdown_table(_table_rows(element, budget)), element)
            elif tag == _q("text:soft-page-break"):
                if pages[-1]:
                    pages.append([])
            elif tag in (_q("text:section"), _q("text:index-body"), _q("text:table-of-content")):
                walk(element, list_depth)

    if body is not None:
        walk(body)
    meta: dict[str, Any] = {"pages": len(pages)}
    if title := _title(path):
        meta["title"] = title
    return "\f".join("\n\n".join(blocks) for blocks in pages), meta


def ods_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    """Every sheet as a section ``## <sheet name>`` holding its table (header row repeated, see
    :mod:`.tables`)."""
    body = _content(path).find(f".//{_q('office:spreadsheet')}")
    sections: list[str] = []
    budget = [MAX_CELLS]
    for sheet in body.findall(_q("table:table")) if body is not None else []:
        table = markdown_table(_table_rows(sheet, budget))
        if table:
            sections.append(f"## {sheet.get(_q('table:name'), 'Tabelle')}\n\n{table}")
    meta: dict[str, Any] = {"sheets": len(sections)}
    if title := _title(path):
        meta["title"] = title
    return "\n\n".join(sections), meta
