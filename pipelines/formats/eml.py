"""E-mails (EML, RFC 822) as Markdown: subject, sender and date, the text (the HTML part through
:mod:`.html` when there is no plain text), then each attachment Auskunft can read, converted as a file of
its type would be, under ``## Anhang: <name>``. Attachments of other types are named, not read.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.formats.html import html_markdown_text

MAX_ATTACHMENTS = 50


def _safe_name(name: str, index: int) -> str:
    base = Path(name.replace("\\", "/")).name.strip() or f"anhang-{index}"
    return "".join(c if c.isprintable() and c not in "/\x00" else "_" for c in base)[:120]


def eml_markdown(
    path: Path, convert_attachment: Callable[[Path], str] | None = None
) -> tuple[str, dict[str, Any]]:
    """``convert_attachment(path) -> text`` reads an attachment saved to a temporary file (the caller's own
    converter, so attachments pass the same checks as files); it raises for a type it cannot read."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    subject = " ".join(str(message.get("subject", "")).split())
    lines = [f"# {subject}"] if subject else []
    for header, label in (("from", "Von"), ("to", "An"), ("date", "Datum")):
        if value := " ".join(str(message.get(header, "")).split()):
            lines.append(f"{label}: {value}")
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        content = body.get_content()
        text = html_markdown_text(content) if body.get_content_type() == "text/html" else content.strip()
    parts = ["\n".join(lines), text] if lines else [text]
    attachments: list[str] = []
    with tempfile.TemporaryDirectory(prefix="auskunft-eml-") as tmp:
        for index, part in enumerate(message.iter_attachments(), start=1):
            if index > MAX_ATTACHMENTS:
                break
            name = _safe_name(part.get_filename() or "", index)
            attachments.append(name)
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes) or convert_attachment is None:
                continue
            file = Path(tmp) / f"{index}-{name}"
            file.write_bytes(payload)
            try:
                converted = convert_attachment(file).strip()
            except Exception as exc:  # an attachment of another type, or broken: named, not read
                parts.append(f"## Anhang: {name}\n\n(nicht gelesen: {str(exc)[:120]})")
                continue
            if converted:
                parts.append(f"## Anhang: {name}\n\n{converted}")
    meta: dict[str, Any] = {"attachments": attachments}
    if subject:
        meta["title"] = subject
    date = message.get("date")
    if date:
        with contextlib.suppress(TypeError, ValueError):
            meta["date"] = email.utils.parsedate_to_datetime(str(date)).date().isoformat()
    return "\n\n".join(p for p in parts if p.strip()), meta
