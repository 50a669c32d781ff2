"""What a citation shows: the passage highlighted in its chunk, the facts about the document, the PDF page."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

# shown in the page: the passage marked without relying on colour alone (bold, underlined, framed)
MARK_STYLE = (
    "background:#fff3a3;color:#111;font-weight:600;text-decoration:underline;"
    "outline:1px solid #8a6d00;border-radius:2px;padding:0 1px"
)


def _quote_pattern(quote: str) -> re.Pattern[str] | None:
    words = quote.split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(w) for w in words))


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text`` (whitespace may differ: line breaks, double spaces)."""
    pattern = _quote_pattern(quote)
    match = pattern.search(text) if pattern else None
    return (match.start(), match.end()) if match else None


def highlight(text: str, quote: str) -> tuple[str, bool]:
    """HTML of ``text`` (escaped, line breaks kept) with ``quote`` in a ``<mark>``; and whether it was found.

    >>> html, found = highlight("§ 4 Steuersatz\\nDie Steuer\\nbeträgt 0,20 €.", "Die Steuer beträgt 0,20 €.")
    >>> found, html.startswith("§ 4 Steuersatz<br><mark"), "0,20 €.</mark>" in html
    (True, True, True)
    """
    where = find_quote(text, quote)
    if where is None:
        return _html_text(text), False
    start, end = where
    marked = f'<mark style="{MARK_STYLE}">{_html_text(text[start:end])}</mark>'
    return _html_text(text[:start]) + marked + _html_text(text[end:]), True


def _html_text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def document_of(citation: dict[str, Any], documents: list[Any]) -> Any | None:
    """The retrieved chunk a citation quotes (same source, quote inside); ``None`` if none is left."""
    same_source = [d for d in documents if d.meta.get("source") == citation.get("source")]
    for doc in same_source:
        if find_quote(doc.content or "", citation.get("quote") or ""):
            return doc
    return same_source[0] if same_source else None


def enrich(citations: list[dict[str, Any]], documents: list[Any]) -> list[dict[str, Any]]:
    """Citations plus what the page shows with them: the chunk text (``context``), date and body."""
    out = []
    for citation in citations:
        doc = document_of(citation, documents)
        extra: dict[str, Any] = {}
        if doc is not None:
            meta = doc.meta
            extra = {
                "context": doc.content or "",
                "date": meta.get("date"),
                "valid_from": meta.get("valid_from"),
                "body": meta.get("body"),
            }
        out.append({**citation, **{k: v for k, v in extra.items() if v}})
    return out


def german_date(iso: str | None) -> str | None:
    """``2024-06-03`` -> ``03.06.2024`` (other text unchanged)."""
    if not iso:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2}).*", str(iso))
    return f"{match.group(3)}.{match.group(2)}.{match.group(1)}" if match else str(iso)


# formats whose pages Auskunft knows: PDF, ODT as LibreOffice laid it out, a presentation's slides
PAGED = (".pdf", ".odt", ".pptx")


def page_of(citation: dict[str, Any]) -> int | None:
    """The cited page where pages exist (PDF, ODT, PPTX slides); Markdown, text, HTML, spreadsheets and OParl
    texts have none (nor DOCX, whose pages only Word knows)."""
    page = citation.get("page")
    if not page or not str(citation.get("source", "")).lower().endswith(PAGED):
        return None
    try:
        return int(page)
    except (TypeError, ValueError):
        return None


def markdown_text(text: str) -> str:
    """``text`` shown literally by Markdown (a quote like "3. jedes Einwegbesteck" is no list item)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~$])", r"\\\1", " ".join(text.split()))


def where_in_document(citation: dict[str, Any], page_word: str = "Seite") -> str:
    """``§ 4 Steuersatz · Seite 2`` (what is known of both)."""
    page = page_of(citation)
    parts = [citation.get("section"), f"{page_word} {page}" if page else None]
    return " · ".join(str(p) for p in parts if p)


def source_line(citation: dict[str, Any]) -> str:
    """The exact source to hand to a citizen, in German: title, §, page, municipality, date."""
    page = page_of(citation)
    where = ", ".join(str(p) for p in (citation.get("section"), f"S. {page}" if page else None) if p)
    about = ", ".join(
        str(p)
        for p in (
            citation.get("doc_type"),
            citation.get("municipality"),
            f"Stand {german_date(citation['date'])}" if citation.get("date") else None,
        )
        if p
    )
    line = str(citation.get("title") or Path(str(citation.get("source", ""))).name)
    if where:
        line += f", {where}"
    if about:
        line += f" ({about})"
    return line


def handout_text(
    question: str, answer: str, citations: list[dict[str, Any]], model: str, *, generated: bool = True
) -> str:
    """What the service desk copies or prints for the citizen (German, plain text). ``generated``: the
    language model wrote the answer; otherwise it is a verbatim quote and the sheet names no AI model."""
    lines = [f"Ihre Frage: {question}", "", f"Auskunft: {answer}", ""]
    if citations:
        lines.append("Quelle:" if len(citations) == 1 else "Quellen:")
        lines += [f"[{i}] {source_line(c)}" for i, c in enumerate(citations, 1)]
        lines.append("")
    made = (
        f"Diese Auskunft wurde mit Hilfe eines KI-Modells erstellt ({model})."
        if generated
        else "Diese Auskunft gibt den Wortlaut der genannten Quelle wieder."
    )
    lines.append(f"{made} Rechtsverbindlich ist allein der Wortlaut der genannten Quelle.")
    return "\n".join(lines)


def print_page(text: str, button: str, title: str = "Auskunft") -> str:
    """A small HTML page: a print button; printing shows only ``text`` (the iframe prints itself)."""
    return f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{margin:0;font-family:"Source Sans Pro",sans-serif}}
button{{font:inherit;font-size:1rem;padding:.35rem .9rem;border:1px solid #0b4f8a;background:#0b4f8a;color:#fff;
border-radius:.4rem;cursor:pointer}}
button:hover{{background:#083b68}}
button:focus-visible{{outline:3px solid #111;outline-offset:2px}}
#sheet{{display:none}}
@media print{{button{{display:none}}#sheet{{display:block;white-space:pre-wrap;font:12pt/1.5 serif;color:#000}}}}
</style></head><body>
<button type="button" onclick="window.print()">{html.escape(button)}</button>
<div id="sheet"><h1 style="font-size:16pt">{html.escape(title)}</h1>{html.escape(text)}</div>
</body></html>"""


def render_page(path: str | Path, page: int, quote: str | None = None, scale: float = 1.6) -> bytes | None:
    """PNG of one PDF page (1-based) with the quoted passage framed where the PDF's text layer has it.

    ``None`` when the file is no PDF, the page does not exist, or pdfium cannot read the file.
    """
    try:
        import pypdfium2 as pdfium
        from PIL import Image, ImageDraw
    except ImportError:  # pypdfium2 comes with sentence-transformers-haystack; without it: no preview
        return None
    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception:  # not a PDF, encrypted, broken: the download still works
        return None
    try:
        if not 1 <= page <= len(pdf):
            return None
        pdf_page = pdf[page - 1]
        image = pdf_page.render(scale=scale).to_pil().convert("RGB")
        boxes = _quote_boxes(pdf_page, quote) if quote else []
        if boxes:
            height = pdf_page.get_height()
            overlay = image.copy()
            draw = ImageDraw.Draw(overlay)

            def pixels(box: tuple[float, float, float, float], pad: float) -> tuple[float, ...]:
                left, bottom, right, top = box  # PDF points, origin bottom left
                return (
                    left * scale - pad,
                    (height - top) * scale - pad,
                    right * scale + pad,
                    (height - bottom) * scale + pad,
                )

            for box in boxes:
                draw.rectangle(pixels(box, 2), fill=(255, 230, 80))
            image = Image.blend(image, overlay, 0.45)
            draw = ImageDraw.Draw(image)
            for box in boxes:  # a frame as well: not by colour alone
                draw.rectangle(pixels(box, 3), outline=(138, 90, 0), width=2)
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()
    finally:
        pdf.close()


def _quote_boxes(pdf_page: Any, quote: str) -> list[tuple[float, float, float, float]]:
    """Rectangles (PDF points) of the quote on the page: found by its first and last words."""
    words = quote.split()
    if len(words) < 2:
        return []
    textpage = pdf_page.get_textpage()
    try:
        start = _search(textpage, words[: min(5, len(words))], 0)
        if start is None:
            return []
        end_words = words[-min(4, len(words)) :]
        end = _search(textpage, end_words, start[0])
        last = end[0] + end[1] if end else start[0] + start[1]
        count = max(last - start[0], start[1])
        n = textpage.count_rects(start[0], count)
        return [tuple(textpage.get_rect(i)) for i in range(n)]
    finally:
        textpage.close()


def _search(textpage: Any, words: list[str], index: int) -> tuple[int, int] | None:
    """First occurrence at or after ``index`` of the words, trying fewer words if a line break splits them."""
    for n in range(len(words), 0, -1):
        phrase = " ".join(words[:n])
        if len(phrase) < 6:
            break
        searcher = textpage.search(phrase, index=index, match_case=True)
        try:
            found = searcher.get_next()
        finally:
            searcher.close()
        if found:
            return int(found[0]), int(found[1])
    return None
