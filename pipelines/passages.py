"""What the model reads: the few sentences and table rows of the evidence that answer the question.

Each retrieved chunk is cut into *units*: sentences, list items with the sentence that introduces them
("Die Steuer beträgt:" / "2. für jeden weiteren Hund 216 Euro"), and table rows with their column header
("Grabart: Urnenreihengrab; Gebühr: 1.250,00 €") and the caption line above their table ("**Private
Veranstaltungen**": two tables with the same rows stay apart). Every unit is scored against the
:class:`Question`:

* the question's words it shares (each word weighted by how rare it is among the units of the evidence,
  so a word found in every unit points nowhere), its § heading and lead-in counting less;
* whether it holds a value of the kind asked for (an amount, a date, a period ...);
* the rank of its chunk.

The best units, with their chunk's title, town and § as a label, become the passages the model reads
(:func:`select_passages`), in document order and within a character budget: the prompt stays short
(prompt evaluation dominates the answer time on two cores) and the model sees few distractors.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml
from haystack import Document

from pipelines.components.municipal_splitter import split_sentences
from pipelines.german_terms import expand_suspended_compounds, terms
from pipelines.question import KNOWLEDGE, Question
from pipelines.values import PATTERNS, holds

_TABLE_RULE = re.compile(r"^\|?[\s:|-]*-{3,}[\s:|-]*\|?$")
_LIST_ITEM = re.compile(r"^(?:\d{1,2}\.(?:\d{1,2}\.?)*|[a-z]\)|[-*•])\s")
_FRAGMENT_WORDS = 6  # a sentence of fewer words is a value line or list item: it needs its lead-in
_CAPTION_WORDS = 20  # a line before a table no longer than this and not ending a sentence is its caption


@dataclass
class Unit:
    """One sentence, list item or table row of a retrieved chunk."""

    text: str  # as read (a table row with its header cells: "Grabart: Urnengrab; Gebühr: 1.250,00 €")
    chunk: int  # index of its chunk among the evidence
    raw: str  # verbatim from the chunk (what a citation quotes)
    position: int  # its place in the chunk
    lead: str = ""  # what introduces it: the sentence before a list, the heading row of a table
    row: bool = False
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)

    def shown(self) -> str:
        """The unit as the model reads it: with its lead-in where it is a fragment."""
        if self.lead and (self.row or len(self.text.split()) < _FRAGMENT_WORDS or self.lead.endswith(":")):
            return f"{self.lead} {self.text}"
        return self.text


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def split_units(content: str, chunk: int = 0) -> list[Unit]:
    """The units of a chunk's text, in order."""
    units: list[Unit] = []
    lines = [line.strip() for line in content.split("\n")]
    header: list[str] | None = None
    lead = ""
    caption = ""  # the line just before a table, when it reads as its heading ("**Private Veranstaltungen**")
    in_table = False
    parent: Unit | None = None  # the last row that names its case in the first cell
    for i, line in enumerate(lines):
        if not line:
            in_table, parent = False, None
            continue
        if line.startswith("|"):
            if _TABLE_RULE.match(line):
                continue
            cells = _cells(line)
            following = lines[i + 1] if i + 1 < len(lines) else ""
            # a first line that states an amount is a row that a PDF conversion put above the rule
            heads = not any(PATTERNS["money"].search(c) for c in cells)
            if not in_table and _TABLE_RULE.match(following) and heads:
                header, in_table = cells, True
                continue
            in_table = True
            if header and len(header) == len(cells) and any(header):
                text = "; ".join(
                    f"{h}: {c}" if h and h != c else c for h, c in zip(header, cells, strict=True) if c
                )
            else:
                text = " | ".join(c for c in cells if c)
            if text:
                # a row with an empty first cell continues the row above it ("| 7.9 | für die Grabeinfassung
                # | |" then "| | Doppelgrab | 357,00 € |"): that row is its lead-in, as a merged cell would be
                above = parent.shown() if parent is not None and not cells[0] and len(cells) > 1 else ""
                row = Unit(text, chunk, line, len(units), lead=above or caption or lead, row=True)
                units.append(row)
                if cells[0]:
                    parent = row
            continue
        in_table, header, parent = False, None, None
        caption = line if not line.endswith(".") and len(line.split()) <= _CAPTION_WORDS else ""
        for sentence in split_sentences(line):
            long = len(sentence.split()) >= _FRAGMENT_WORDS
            text = expand_suspended_compounds(sentence, content)  # "Einwegdose, -becher": "…, Einwegbecher"
            lead_in = "" if long and not lead.endswith(":") else lead
            units.append(Unit(text, chunk, sentence, len(units), lead=lead_in))
            if sentence.endswith(":") or (long and not re.search(r"\d", sentence)):
                lead = sentence
            elif long and not (lead.endswith(":") and _LIST_ITEM.match(sentence)):
                lead = ""  # the items of a list ("1. …", "a) …") keep the sentence that introduced them
    return units


def _own_heading(doc: Document) -> str:
    return str(doc.meta.get("heading") or "").rsplit(">", 1)[-1].strip()


def in_context(unit: Unit, chunks: list[Document]) -> str:
    """The unit with its § heading, as it is embedded for the dense feature ("§ 7 Särge: (2) Särge aus …")."""
    heading = _own_heading(chunks[unit.chunk])
    return f"{heading}: {unit.shown()}" if heading else unit.shown()


@functools.cache
def learned_weights() -> dict[str, float]:
    """The feature weights of pipelines/knowledge/passage_weights.yaml (learned, with their provenance)."""
    data = yaml.safe_load((KNOWLEDGE / "passage_weights.yaml").read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in data["weights"].items()}


_NUMBER = re.compile(r"\d+(?:,\d+)?")


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", ".")) for n in _NUMBER.findall(text)]


def _zscores(values: list[float]) -> list[float]:
    if len(values) < 2:
        return [0.0] * len(values)
    mean = sum(values) / len(values)
    spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return [(v - mean) / (spread + 1e-6) for v in values]


def score_units(
    question: Question,
    chunks: list[Document],
    weights: dict[str, float] | None = None,
    similarity: Callable[[list[str]], list[float]] | None = None,
    dense_candidates: int = 16,
) -> list[Unit]:
    """Every unit of ``chunks`` with its score for ``question``, best first.

    Features (each unit's ``features``): ``words`` the question's words it holds, each weighted by the
    index (pipelines/term_weights.py) and divided by how many units of the evidence hold it; ``context``
    the same for its § heading and lead-in; ``kind`` it holds a value of the kind asked for; ``rank``
    1 / (1 + its chunk's rank); ``label`` the question's words in a table row's first cell; ``inrange`` a
    number of the question lies in a range the unit states ("60 PS" in "51 – 75 PS"); ``row``;
    ``chunkdense`` its chunk's similarity to the question (z-score among the chunks' units); ``length``;
    ``dense`` (only with ``similarity``, for the ``dense_candidates`` best units by the other features)
    the similarity of question and unit in context (z-score). The score is the weighted sum, weights from
    :func:`learned_weights` unless given."""
    w = weights or learned_weights()
    units = [u for i, doc in enumerate(chunks) for u in split_units(doc.content or "", i)]
    if not units:
        return []
    asked = question.terms
    own = [set(terms(u.text)) & asked.keys() for u in units]
    context = [
        set(terms(f"{_own_heading(chunks[u.chunk])} {u.lead}")) & asked.keys() - found
        for u, found in zip(units, own, strict=True)
    ]
    # a word of the question found in one unit points there; one found in every unit does not
    spread = Counter(t for found in own for t in found)
    spread_context = Counter(t for found in context for t in found)
    lexical = [sum(asked[t] / spread[t] for t in found) for found in own]
    lexical_context = [sum(asked[t] / spread_context[t] for t in found) for found in context]
    labels = [
        sum(asked.get(t, 0.0) for t in set(terms(u.text.split(";")[0]))) if u.row else 0.0 for u in units
    ]
    top, top_context, top_label = max(lexical) or 1.0, max(lexical_context) or 1.0, max(labels) or 1.0
    asked_numbers = _numbers(question.text)
    chunk_similarity = _zscores([float(chunks[u.chunk].meta.get("dense_score") or 0.0) for u in units])
    for i, unit in enumerate(units):
        numbers = _numbers(unit.shown())
        unit.features = {
            "words": lexical[i] / top,
            "context": lexical_context[i] / top_context,
            "kind": float(question.wants_value and holds(unit.text, question.answered_by)),
            "rank": 1.0 / (1 + unit.chunk),
            "label": labels[i] / top_label,
            "inrange": float(
                any(
                    lo <= x <= hi
                    for x in asked_numbers
                    for lo, hi in zip(numbers, numbers[1:], strict=False)
                    if lo < hi
                )
            ),
            "row": float(unit.row),
            "chunkdense": chunk_similarity[i],
            "length": min(len(unit.shown()), 400) / 400,
        }
        unit.score = sum(w.get(name, 0.0) * value for name, value in unit.features.items())
    ranked = sorted(units, key=lambda u: (-u.score, u.chunk, u.position))
    if similarity is not None and w.get("dense"):
        candidates = ranked[:dense_candidates]
        for unit, z in zip(
            candidates, _zscores(similarity([in_context(u, chunks) for u in candidates])), strict=True
        ):
            unit.features["dense"] = z
            unit.score += w["dense"] * z
        ranked = sorted(candidates, key=lambda u: (-u.score, u.chunk, u.position)) + ranked[dense_candidates:]
    return ranked


def _label(doc: Document) -> str:
    title = str(doc.meta.get("title") or "Dokument")
    short = m.group(1) if (m := re.search(r"\(([^()]{3,40})\)\s*$", title)) else " ".join(title.split()[:8])
    parts = [short]
    if doc.meta.get("section"):
        parts.append(str(doc.meta["section"]))
    if (town := doc.meta.get("municipality")) and str(town) not in short:
        parts.append(str(town))
    return ", ".join(parts)


def _once(units: list[Unit]) -> list[str]:
    """The units of one passage as read, a lead-in written once: before the first unit it introduces, and
    not at all where it is itself one of the units (a list's introducing sentence chosen with its items)."""
    shown: list[str] = []
    read: set[str] = set()
    for unit in units:
        full = unit.shown()
        shown.append(unit.text if full != unit.text and unit.lead in read else full)
        read.update((unit.raw, full))
        if full != unit.text:
            read.add(unit.lead)
    return shown


def select_passages(
    question: Question,
    chunks: list[Document],
    max_chars: int = 700,
    max_units: int = 4,
    weights: dict[str, float] | None = None,
    similarity: Callable[[list[str]], list[float]] | None = None,
) -> list[Document]:
    """The passages the model reads: the best units (:func:`score_units`), grouped by chunk in document
    order, each passage a Document with the chunk's metadata, its label and the units it holds."""
    ranked = score_units(question, chunks, weights, similarity)
    chosen: list[Unit] = []
    size = 0
    for unit in ranked:
        shared = any(c.chunk == unit.chunk and unit.lead in (c.lead, c.raw, c.shown()) for c in chosen)
        length = len(unit.text if shared else unit.shown()) + 1  # a lead-in is read once per passage
        if chosen and (size + length > max_chars or len(chosen) >= max_units):
            continue
        chosen.append(unit)
        size += length
        if len(chosen) >= max_units:
            break
    passages: list[Document] = []
    for chunk in sorted(
        {u.chunk for u in chosen}, key=lambda c: min(ranked.index(u) for u in chosen if u.chunk == c)
    ):
        units = sorted((u for u in chosen if u.chunk == chunk), key=lambda u: u.position)
        doc = chunks[chunk]
        text = " ".join(_once(units))
        passages.append(
            Document(
                content=text,
                meta={
                    **doc.meta,
                    "label": _label(doc),
                    "chunk": chunk,
                    "units": [u.shown() for u in units],
                    "quotes": [u.raw for u in units],
                    "unit_scores": [round(u.score, 3) for u in units],
                },
                score=doc.score,
            )
        )
    return passages
