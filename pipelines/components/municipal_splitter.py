"""Structure-aware splitting of statutes (§), minutes (TOP) and Markdown into retrievable chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from haystack import Document, component

from pipelines.metadata import SENTENCE_GOES_ON

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_PARAGRAPH_HEADING = re.compile(r"^(§{1,2}\s*\d+[a-z]?)\b\.?\s*(.{0,120})$")
_ARTICLE_HEADING = re.compile(r"^((?:Artikel|Art\.)\s*\d+[a-z]?)\b\.?\s*(.{0,120})$")
_TOP_HEADING = re.compile(r"^((?:TOP|Tagesordnungspunkt)\s*\d+(?:\.\d+)*)\b[:.]?\s*(.{0,160})$", re.I)
_ABBREVIATIONS = (
    "Abs",
    "Nr",
    "Ziff",
    "lit",
    "bzw",
    "ggf",
    "vgl",
    "z. B",
    "z.B",
    "u. a",
    "S",
    "Art",
    "Buchst",
    "Satz",
    "i. V. m",
    "i.V.m",
    "d. h",
    "ca",
    "evtl",
    "inkl",
    "Str",
    "Tel",
    "Dr",
    "Prof",
    "gem",
    "usw",
    "etc",
    "Bd",
)
_TOC = re.compile(r"^(Inhaltsverzeichnis|Inhaltsübersicht|Inhalt|Übersicht)\s*$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÄÖÜ(§„\"0-9])")


def split_sentences(text: str) -> list[str]:
    """German sentences; does not split after common legal abbreviations (Abs., Nr., z. B.) or ordinals.

    Line breaks inside ``text`` (list items) always end a sentence.
    """
    if "\n" in text:
        return [s for line in text.split("\n") for s in split_sentences(line)]
    pieces = _SENTENCE_END.split(text)
    sentences: list[str] = []
    for piece in pieces:
        if sentences:
            prev = sentences[-1]
            tail = prev.rstrip(".:;").rsplit(" ", 2)
            last_word = tail[-1] if tail else ""
            two_words = " ".join(tail[-2:]) if len(tail) >= 2 else last_word
            if prev.endswith(".") and (
                last_word in _ABBREVIATIONS
                or two_words in _ABBREVIATIONS
                or last_word.isdigit()
                or len(last_word) == 1
            ):
                sentences[-1] = f"{prev} {piece}"
                continue
        sentences.append(piece)
    return [s.strip() for s in sentences if s.strip()]


_LIST_ITEM = re.compile(r"^(?:\d{1,2}\.|[-*•]|\(\d{1,2}[a-z]?\)|[a-z]\))\s")


def _join_lines(lines: list[str]) -> str:
    """Lines of one paragraph: list items keep their own line, wrapped lines are joined."""
    text = lines[0]
    for line in lines[1:]:
        text += ("\n" if _LIST_ITEM.match(line) else " ") + line
    return text


_TABLE_RULE = re.compile(r"^\|?[\s:|-]*-{3,}[\s:|-]*\|?$")


def _table_header(rows: list[str]) -> str:
    """The header of a Markdown table (its first row and the rule under it), or "" when it has none."""
    if len(rows) >= 3 and _TABLE_RULE.match(rows[1].strip()):
        return f"{rows[0]}\n{rows[1]}"
    return ""


@dataclass
class _Block:
    text: str
    page: int
    table: bool = False


@dataclass
class _Section:
    path: list[str]
    label: str | None
    blocks: list[_Block] = field(default_factory=list)

    def words(self) -> int:
        return sum(len(b.text.split()) for b in self.blocks)


def _heading_of(line: str) -> tuple[int, str, str | None] | None:
    """(level, heading text, section label) for heading lines, else None."""
    if m := _MD_HEADING.match(line):
        text = m.group(2).strip()
        label = None
        if (
            inner := _PARAGRAPH_HEADING.match(text)
            or _ARTICLE_HEADING.match(text)
            or _TOP_HEADING.match(text)
        ):
            label = re.sub(r"\s+", " ", inner.group(1))
        return len(m.group(1)), text, label
    if len(line) > 140:
        return None
    for pattern in (_PARAGRAPH_HEADING, _ARTICLE_HEADING, _TOP_HEADING):
        if (m := pattern.match(line)) and not line.rstrip().endswith((",", ";")):
            rest = m.group(2)
            # "§ 5 Abs. 2 gilt entsprechend." is a sentence, not a heading
            if rest and (
                rest[:1].islower()
                or rest[:1] in ",;"
                or re.match(r"(Abs|Satz|Nr|gilt|ist|wird|findet)\b", rest)
            ):
                return None
            label = re.sub(r"\s+", " ", m.group(1))
            return 7, f"{label} {rest}".strip(), label
    return None


def _continues(previous: str, heading: tuple[int, str, str | None]) -> bool:
    """A "§ 5 …" / "Artikel 105 …" line that goes on with the sentence of the line before it: "… erfolgt
    als Aufwandsteuer gemäß" / "Artikel 105 Grundgesetz, die an den Aufwand …". After such a line a heading
    still stands when it reads like a title: no comma, no full stop at its end, at most six words
    ("… folgende Satzung beschlossen" / "§ 1 Steuergegenstand")."""
    level, text, label = heading
    if level != 7 or not label or not SENTENCE_GOES_ON.search(previous):
        return False
    title = text[len(label) :].strip()
    return "," in title or title.endswith(".") or len(title.split()) > 6


def parse_sections(content: str) -> list[_Section]:
    """Cut a document into sections at headings, keeping the heading path and each block's page."""
    sections: list[_Section] = [_Section(path=[], label=None)]
    stack: list[tuple[int, str]] = []
    paragraph: list[str] = []
    table: list[str] = []
    page = 1

    def flush() -> None:
        if paragraph:
            sections[-1].blocks.append(_Block(_join_lines(paragraph), page))
            paragraph.clear()
        if table:
            sections[-1].blocks.append(_Block("\n".join(table), page, table=True))
            table.clear()

    for page_index, page_text in enumerate(content.split("\f"), start=1):
        flush()
        page = page_index
        for raw in page_text.split("\n"):
            line = raw.strip()
            if not line:
                flush()
                continue
            if line.startswith("|"):
                if paragraph:
                    sections[-1].blocks.append(_Block(_join_lines(paragraph), page))
                    paragraph.clear()
                table.append(line)
                continue
            if table:
                flush()
            heading = _heading_of(line)
            if heading and paragraph and _continues(paragraph[-1], heading):
                heading = None
            if heading:
                flush()
                level, text, label = heading
                while stack and (stack[-1][0] >= level or _TOC.match(stack[-1][1])):
                    stack.pop()
                stack.append((level, text))
                inherited = label or next(
                    (s.label for s in reversed(sections) if s.label and level > 6), None
                )
                sections.append(
                    _Section(path=[t for _, t in stack], label=label or (inherited if level == 7 else None))
                )
                continue
            paragraph.append(line)
    flush()
    return [s for s in sections if s.blocks]


@component
class MunicipalDocumentSplitter:
    """
    Splits documents at their structure: Markdown headings, "§ 5 Steuersatz", "Artikel 2", "TOP 3".
    Inside a section it packs whole sentences up to ``split_words`` words (never more than
    ``max_words``); Markdown tables stay whole where they fit. Every chunk carries ``heading``
    (the path, e.g. "II. Steuerpflicht > § 5 Steuersatz"), ``section`` ("§ 5"), ``page_number``
    and ``split_id``, plus the parent's metadata.

    Usage example:
    ```python
    splitter = MunicipalDocumentSplitter(split_words=160)
    chunks = splitter.run(documents=[Document(content="§ 1 Steuergegenstand\\nDie Gemeinde erhebt ...")])
    ```
    """

    def __init__(
        self, split_words: int = 160, max_words: int = 260, overlap_sentences: int = 1, min_words: int = 25
    ) -> None:
        self.split_words = split_words
        self.max_words = max_words
        self.overlap_sentences = overlap_sentences
        self.min_words = min_words

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        chunks: list[Document] = []
        for doc in documents:
            chunks.extend(self._split(doc))
        return {"documents": chunks}

    def _split(self, doc: Document) -> list[Document]:
        sections = self._merge_small(parse_sections(doc.content or ""))
        out: list[Document] = []
        for section in sections:
            for text, page in self._pack(section):
                meta = {k: v for k, v in doc.meta.items() if k not in {"pages", "first_heading"}}
                meta.update(
                    {
                        "heading": " > ".join(section.path),
                        "section": section.label or "",
                        "page_number": page,
                        "split_id": len(out),
                    }
                )
                out.append(Document(content=text, meta=meta))
        return out

    def _merge_small(self, sections: list[_Section]) -> list[_Section]:
        merged: list[_Section] = []
        carry: _Section | None = None
        for section in sections:
            if carry is not None:
                section = _Section(
                    path=section.path,
                    label=section.label or carry.label,
                    blocks=[
                        _Block(
                            " > ".join(carry.path[-1:]) + ": " + " ".join(b.text for b in carry.blocks),
                            carry.blocks[0].page,
                        )
                    ]
                    + section.blocks
                    if carry.path
                    else carry.blocks + section.blocks,
                )
                carry = None
            if (
                section.words() < self.min_words
                and not section.label
                and not any(b.table for b in section.blocks)
            ):
                carry = section
                continue
            merged.append(section)
        if carry is not None:
            merged.append(carry)
        return merged

    def _pack(self, section: _Section) -> list[tuple[str, int]]:
        units: list[tuple[str, int]] = []
        # the column header of a table too long for one chunk, by its first data row: every chunk that
        # starts inside the table repeats it, so that "| 2.1 | Urnengrab | 1.250,00 |" keeps saying what
        # its columns are (in the index and in what the model reads)
        headers: dict[int, str] = {}
        for block in section.blocks:
            if block.table and len(block.text.split()) <= self.max_words:
                units.append((block.text, block.page))
            elif block.table:
                rows = block.text.split("\n")
                header = _table_header(rows)
                units.extend((row, block.page) for row in rows)
                if header:
                    for i in range(len(units) - len(rows) + header.count("\n") + 1, len(units)):
                        headers[i] = header
            else:
                for sentence in split_sentences(block.text):
                    words = sentence.split()
                    for i in range(0, len(words), self.max_words):
                        units.append((" ".join(words[i : i + self.max_words]), block.page))
        chunks: list[tuple[str, int]] = []
        current: list[tuple[str, int]] = []
        count = 0
        for index, unit in enumerate(units):
            n = len(unit[0].split())
            if current and count + n > self.split_words:
                chunks.append(self._join(current))
                keep = current[-self.overlap_sentences :] if self.overlap_sentences else []
                keep = [
                    u for u in keep if not u[0].startswith("|") and len(u[0].split()) < self.split_words // 3
                ]
                current, count = list(keep), sum(len(u[0].split()) for u in keep)
                if count + n > self.max_words:  # no overlap where it would push the chunk over max_words
                    current, count = [], 0
                if index in headers:
                    current.append((headers[index], unit[1]))
                    count += len(headers[index].split())
            current.append(unit)
            count += n
        if current:
            chunks.append(self._join(current))
        return chunks

    @staticmethod
    def _join(units: list[tuple[str, int]]) -> tuple[str, int]:
        text = ""
        for unit, _ in units:
            sep = "\n" if unit.startswith("|") or text.endswith("|") or _LIST_ITEM.match(unit) else " "
            text = f"{text}{sep}{unit}" if text else unit
        return text, units[0][1]
