"""RTF as plain text (``striprtf``): paragraphs kept, table cells separated by ``|``."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def rtf_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    from striprtf.striprtf import rtf_to_text

    raw = path.read_bytes()
    if not raw.lstrip().startswith(b"{\\rtf"):
        raise ValueError("not an RTF file (no {\\rtf header)")
    text = rtf_to_text(raw.decode("latin-1"), encoding="cp1252", errors="replace")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(lines).strip(), {}
