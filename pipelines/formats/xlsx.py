"""XLSX (Excel) as Markdown: every sheet a section ``## <sheet name>`` with its table (header row repeated,
see :mod:`.tables`). Values as Excel shows them after the last save (``data_only``), read row by row.

The package has already passed ``pipelines.packages.package_refusal`` (ZIP and XML bombs).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from pipelines.formats.odf import MAX_CELLS, TooLarge
from pipelines.formats.tables import markdown_table


def cell_text(value: Any) -> str:
    """A cell as a person reads it in German: ``1.5`` -> ``1,5``; dates as ``31.12.2025``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        text = f"{value:.2f}" if round(value, 2) != round(value) else str(int(value))
        return text.replace(".", ",")
    return str(value)


def xlsx_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    sections: list[str] = []
    budget = MAX_CELLS
    try:
        for sheet in workbook.worksheets:
            rows: list[list[str]] = []
            for row in sheet.iter_rows(values_only=True):
                budget -= len(row)
                if budget < 0:
                    raise TooLarge(f"a workbook with more than {MAX_CELLS} cells")
                rows.append([cell_text(v) for v in row])
            if table := markdown_table(rows):
                sections.append(f"## {sheet.title}\n\n{table}")
        title = (workbook.properties.title or "").strip()
    finally:
        workbook.close()
    meta: dict[str, Any] = {"sheets": len(sections)}
    if title:
        meta["title"] = title
    return "\n\n".join(sections), meta
