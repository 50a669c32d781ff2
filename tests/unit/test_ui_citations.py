"""ui.citations: the quoted passage marked in its chunk, the source line to hand out, the PDF page."""

from __future__ import annotations

import io

from haystack import Document
from PIL import Image, ImageChops

from tests.conftest import CORPUS
from ui.citations import (
    enrich,
    find_quote,
    handout_text,
    highlight,
    markdown_text,
    page_of,
    render_page,
    source_line,
)

CHUNK = "§ 4 Steuersatz\nDie Steuer beträgt für\n3. jedes Einwegbesteck (-set)  0,20 €\n§ 5 Entstehung"
PDF = CORPUS / "linsengericht" / "hundesteuersatzung-2017-03-21-original.pdf"


def test_quote_is_found_across_line_breaks_and_marked_once() -> None:
    html, found = highlight(CHUNK, "Die Steuer beträgt für 3. jedes Einwegbesteck (-set) 0,20 €")
    assert found
    assert html.count("<mark") == 1
    marked = html.split("<mark", 1)[1].split(">", 1)[1].split("</mark>")[0]
    assert marked.startswith("Die Steuer") and marked.endswith("0,20 €")
    assert html.startswith("§ 4 Steuersatz<br>") and html.endswith("§ 5 Entstehung")


def test_text_is_escaped_and_a_missing_quote_is_reported() -> None:
    html, found = highlight("<script>alert(1)</script> Gebühr", "steht nicht drin")
    assert not found and "<mark" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert find_quote("a b", "") is None


def test_citation_gets_its_chunk_date_and_body() -> None:
    docs = [
        Document(content="anderes", meta={"source": "a.md"}),
        Document(content=CHUNK, meta={"source": "b.md", "date": "2024-06-03", "body": "Gemeinderat"}),
    ]
    cited = enrich([{"source": "b.md", "quote": "jedes Einwegbesteck (-set) 0,20 €"}], docs)
    assert (
        cited[0]["context"] == CHUNK
        and cited[0]["date"] == "2024-06-03"
        and cited[0]["body"] == "Gemeinderat"
    )
    assert "context" not in enrich([{"source": "c.md", "quote": "x"}], docs)[0]


def test_source_line_names_title_section_page_and_date() -> None:
    pdf = {
        "source": "/x/satzung.pdf",
        "title": "Hundesteuersatzung",
        "section": "§ 5",
        "page": 2,
        "doc_type": "Satzung",
        "municipality": "Linsengericht",
        "date": "2017-03-21",
    }
    assert source_line(pdf) == "Hundesteuersatzung, § 5, S. 2 (Satzung, Linsengericht, Stand 21.03.2017)"
    markdown = {**pdf, "source": "/x/satzung.md"}  # no pages in Markdown: none is named
    assert page_of(markdown) is None and "S. " not in source_line(markdown)
    text = handout_text("Was kostet ein Hund?", "96 € [1].", [pdf], "Qwen")
    assert text.splitlines()[0] == "Ihre Frage: Was kostet ein Hund?"
    assert "[1] Hundesteuersatzung, § 5, S. 2" in text and "KI-Modells erstellt (Qwen)" in text
    quoted = handout_text("Was kostet ein Hund?", "„96 €“ [1].", [pdf], "Qwen", generated=False)
    assert "Wortlaut der genannten Quelle wieder" in quoted and "KI" not in quoted and "Qwen" not in quoted


def test_markdown_shows_a_quote_literally() -> None:
    assert markdown_text("3. jedes *Einweg*besteck\n [1]") == r"3\. jedes \*Einweg\*besteck \[1\]"


def test_pdf_page_is_rendered_with_the_quote_framed() -> None:
    plain = render_page(PDF, 2)
    quote = "Die Steuerpflicht entsteht mit dem 1. des Monats, in dem ein Hund in einen Haushalt aufgenommen wird."
    marked = render_page(PDF, 2, quote)
    assert plain and marked and plain.startswith(b"\x89PNG")
    a, b = Image.open(io.BytesIO(plain)), Image.open(io.BytesIO(marked))
    assert a.size == b.size and a.size[0] > 500
    assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is not None  # something framed
    assert render_page(PDF, 99) is None
    assert render_page(CORPUS / "konstanz" / "KON_Satzung_Hundesteuer.md", 1) is None
