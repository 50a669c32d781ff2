"""HTML as Markdown, main content only: what stands in ``<main>``, ``<article>`` or ``role="main"`` (else the
body), without navigation, header, footer, sidebars, forms, scripts and cookie banners; headings as
``#``, lists as ``-`` lines, tables through :mod:`.tables`.

>>> page = "<nav><a href='/'>Startseite</a></nav><main><h1>Hundesteuer</h1><p>Die Steuer beträgt 120 Euro.</p></main>"
>>> html_markdown_text(page)
'# Hundesteuer\\n\\nDie Steuer beträgt 120 Euro.'
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipelines.formats.tables import markdown_table

DROP = ["script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg"]
SITE_PARTS = ["header", "footer"]  # the site's banner and footer; inside <main> or <article> they are content
_BOILERPLATE = re.compile(
    r"(^|[-_ ])(nav|navigation|menu|menue|breadcrumb|cookie|banner|footer|sidebar|skip)($|[-_ ])", re.I
)
_BLOCKS = {"p", "li", "dd", "dt", "blockquote", "pre", "address", "figcaption", "caption"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}


def _text(node: Any) -> str:
    return " ".join(node.get_text(" ").split())


def _main(soup: Any) -> Any:
    for selector in ("main", "[role=main]", "article", "#content", "#main", ".content"):
        if (found := soup.select_one(selector)) is not None and _text(found):
            return found
    return soup.body or soup


def _drop_boilerplate(root: Any) -> None:
    for tag in root.find_all(DROP):
        tag.decompose()
    for tag in root.find_all(SITE_PARTS):
        if not any(p.name in {"main", "article"} or p.get("role") == "main" for p in tag.parents):
            tag.decompose()
    for tag in root.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        marks = " ".join([tag.get("id") or "", *(tag.get("class") or []), tag.get("role") or ""])
        if marks.strip() and (_BOILERPLATE.search(marks) or tag.get("role") in {"navigation", "banner"}):
            tag.decompose()


def _blocks(root: Any) -> list[str]:
    out: list[str] = []
    for node in root.find_all(True):
        if node.decomposed or any(p.name in _BLOCKS | set(_HEADINGS) | {"table"} for p in node.parents):
            continue  # its text is part of an enclosing block already
        name = node.name
        if name in _HEADINGS and (text := _text(node)):
            out.append(f"{'#' * _HEADINGS[name]} {text}")
        elif name == "table":
            rows = [[_text(c) for c in tr.find_all(["th", "td"])] for tr in node.find_all("tr")]
            if table := markdown_table(rows):
                out.append(table)
        elif name in _BLOCKS and (text := _text(node)):
            out.append(f"- {text}" if name == "li" else text)
        elif (
            name == "div"
            and not node.find(list(_BLOCKS | set(_HEADINGS) | {"table", "div"}))
            and (text := _text(node))
        ):
            out.append(text)  # a div that holds only text (no paragraphs inside)
    return out


def html_markdown_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    root = _main(soup)
    _drop_boilerplate(root)
    return "\n\n".join(_blocks(root))


def html_title(markup: str) -> str | None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ") if soup.title else ""
    return " ".join(title.split()) or None


def html_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    raw = path.read_bytes()
    match = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", raw[:4096], re.I)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        markup = raw.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        markup = raw.decode("cp1252", errors="replace")
    meta: dict[str, Any] = {}
    if title := html_title(markup):
        # "Hundesteuer | Stadt Konstanz": the page's own title without the site's name
        meta["title"] = re.split(r"\s+[|–—-]\s+", title)[0] if re.search(r"\s[|–—-]\s", title) else title
    return html_markdown_text(markup), meta
