"""Office and web formats as Markdown text for the indexing pipeline: one small module per format.

Each ``<format>_markdown(path) -> (text, meta)`` returns the text (pages separated by form feeds where the
format has pages; headings as ``#`` so the splitter finds sections; tables as Markdown tables that keep
every row with its column headers, :mod:`pipelines.formats.tables`) and metadata the file states about
itself (title, pages, sheets). They are called by ``MunicipalFileConverter`` inside its per-file child
process (time and memory budget), after the zip checks of ``pipelines.packages``.

>>> sorted(FORMATS)
['.docx', '.eml', '.htm', '.html', '.ods', '.odt', '.pptx', '.rtf', '.xlsx']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

# suffix -> (module, function); modules are imported when a file of the type is converted
FORMATS: dict[str, tuple[str, str]] = {
    ".docx": ("pipelines.formats.docx", "docx_markdown"),
    ".odt": ("pipelines.formats.odf", "odt_markdown"),
    ".ods": ("pipelines.formats.odf", "ods_markdown"),
    ".xlsx": ("pipelines.formats.xlsx", "xlsx_markdown"),
    ".pptx": ("pipelines.formats.pptx", "pptx_markdown"),
    ".rtf": ("pipelines.formats.rtf", "rtf_markdown"),
    ".eml": ("pipelines.formats.eml", "eml_markdown"),
    ".html": ("pipelines.formats.html", "html_markdown"),
    ".htm": ("pipelines.formats.html", "html_markdown"),
}
# the Python package each format needs (reported with its install command when missing)
PACKAGES = {".docx": "python-docx", ".xlsx": "openpyxl", ".pptx": "python-pptx", ".rtf": "striprtf"}


def converter(suffix: str) -> Callable[..., tuple[str, dict[str, Any]]]:
    module, function = FORMATS[suffix]
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def convert(
    path: Path, convert_attachment: Callable[[Path], str] | None = None
) -> tuple[str, dict[str, Any]]:
    """``(text, meta)`` of an office or web file, chosen by its suffix."""
    suffix = path.suffix.lower()
    function = converter(suffix)
    if suffix == ".eml":
        return function(path, convert_attachment)
    return function(path)
