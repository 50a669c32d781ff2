"""Tables as Markdown that keep every row with its column headers, however the splitter cuts them.

A fee schedule of 40 rows is longer than a chunk. :func:`markdown_table` writes it as several Markdown
tables of a few rows each, every one under the same header row, separated by blank lines: each is a
block the splitter keeps whole, so a chunk never holds "| Urnenwahlgrab | 2.265,00 € |" without
"| Gebührenart | Betrag |" above it.

>>> print(markdown_table([["Gebührenart", "Betrag"], ["Urnenwahlgrab", "2.265,00 €"]]))
| Gebührenart | Betrag |
|---|---|
| Urnenwahlgrab | 2.265,00 € |
"""

from __future__ import annotations

# words per block of rows: well under the splitter's split_words (160), so header + rows stay one unit
BLOCK_WORDS = 100


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "/")


def clean_rows(rows: list[list[str]]) -> list[list[str]]:
    """Rows without empty rows and without columns that are empty in every row, all of one width."""
    rows = [[_cell(c) for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    keep = [i for i in range(width) if any(row[i] for row in rows)]
    return [[row[i] for i in keep] for row in rows]


def header_index(rows: list[list[str]]) -> int:
    """The header row: the first row that fills at least as many cells as most rows do (the lines above
    it are a sheet's title or notes)."""
    if not rows:
        return 0
    widths = sorted(sum(bool(c) for c in row) for row in rows)
    typical = widths[len(widths) // 2]
    for i, row in enumerate(rows):
        if sum(bool(c) for c in row) >= max(2, typical):
            return i
    return 0


def markdown_table(rows: list[list[str]], block_words: int = BLOCK_WORDS) -> str:
    """``rows`` (the first is the header) as Markdown: lines before a full header row become plain text,
    long tables become several tables under the same header. A one-column table is plain lines."""
    rows = clean_rows(rows)
    if not rows:
        return ""
    start = header_index(rows)
    lead = [" ".join(c for c in row if c) for row in rows[:start]]
    header, body = rows[start], rows[start + 1 :]
    if len(header) < 2:
        return "\n".join(lead + [row[0] for row in rows[start:] if row[0]])
    header = [h or f"Spalte {i + 1}" for i, h in enumerate(header)]
    head = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    blocks: list[list[str]] = []
    words = block_words + 1
    for row in body:
        line = "| " + " | ".join(row) + " |"
        n = len(line.split())
        if words + n > block_words and (not blocks or len(blocks[-1]) > 2):
            blocks.append(list(head))
            words = len(head[0].split())
        blocks[-1].append(line)
        words += n
    if not blocks:
        blocks = [head]
    parts = ["\n".join(lead)] if lead else []
    parts += ["\n".join(block) for block in blocks]
    return "\n\n".join(parts)
