"""What the model reads of a chunk: the passage that answers the question, not the whole chunk.

A 1.5B model given five chunks of ~1,400 characters copies the wrong line or pastes a whole chunk; given the
few sentences around the words of the question it picks the right figure more often and answers faster
(measured with benchmarks/quality.py). Citations and quotes are still checked against the whole chunk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from haystack import Document

from pipelines.components.municipal_splitter import split_sentences
from pipelines.german_terms import expand_suspended_compounds, terms
from pipelines.question_kinds import AMOUNT, ASKS_AMOUNT, ASKS_DEADLINE, DEADLINE, MONTHS

ELLIPSIS = "…"
# a sentence holding what the question asks for (an amount, a date or period) counts as much as this many
# shared words
ANSWER_TYPE_WEIGHT = 2.0
# words the whole chunk is about (its title, its town) tell little about which of its sentences answers
KNOWN_WEIGHT = 0.25


_MONTH_STEMS = frozenset(t for month in MONTHS for t in terms(month))


def _units(text: str) -> list[tuple[str, bool]]:
    """The sentences of ``text``, each with whether it starts a line (list items, table rows)."""
    units: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        for i, sentence in enumerate(split_sentences(line)):
            units.append((sentence, i == 0))
    return units


def _weight(term: str, known: Collection[str] = ()) -> float:
    weight = 0.3 if term.startswith("~") else 1.0  # character 5-grams: compounds count a little
    # the question's own dates and numbers ("am 21. Oktober 2025") name the document, found already; in
    # minutes they stand in the header, not in the sentence that answers
    dated = term.startswith("#") or term in _MONTH_STEMS
    return weight * KNOWN_WEIGHT if term in known or dated else weight


def focus(question: str, text: str, max_chars: int | None = 600, about: str = "") -> str:
    """The sentences of ``text`` around the one that shares most terms with ``question``, at most about
    ``max_chars`` long, verbatim and in order; "…" marks what was left out. Short texts (and any text
    when ``max_chars`` is None) stay whole. ``about``: what the whole text is about (title, town); its
    words count little, and a sentence holding the amount or date the question asks for counts more."""
    if max_chars is None or len(text) <= max_chars:
        return text
    units = _units(text)
    if len(units) <= 1:
        return text[:max_chars].rsplit(" ", 1)[0] + " " + ELLIPSIS
    known = set(terms(about)) if about else set()
    asked = {t: _weight(t, known) for t in terms(question)}
    wanted = [p for asks, p in ((ASKS_AMOUNT, AMOUNT), (ASKS_DEADLINE, DEADLINE)) if asks.search(question)]
    unit_terms = [set(terms(sentence)) & asked.keys() for sentence, _ in units]
    # a word of the question found in one sentence of the chunk points there; one found in every sentence
    # ("Beförderungskosten" all through a statute on them) does not: it counts 1 / sentences holding it
    spread = Counter(t for found in unit_terms for t in found)
    scores = [
        sum(asked[t] / spread[t] for t in found)
        + (ANSWER_TYPE_WEIGHT if any(p.search(sentence) for p in wanted) else 0.0)
        for found, (sentence, _) in zip(unit_terms, units, strict=True)
    ]
    best = max(range(len(units)), key=lambda i: (scores[i], -i))
    first = last = best
    size = len(units[best][0])
    # grow the window one sentence at a time, towards the better-scoring neighbour first
    while True:
        left = scores[first - 1] if first > 0 else None
        right = scores[last + 1] if last + 1 < len(units) else None
        if left is None and right is None:
            break
        take_right = left is None or (right is not None and right >= left)
        index = last + 1 if take_right else first - 1
        if size + len(units[index][0]) + 1 > max_chars:
            break
        size += len(units[index][0]) + 1
        first, last = min(first, index), max(last, index)
    if size > max_chars:  # one very long sentence: its start
        return units[best][0][:max_chars].rsplit(" ", 1)[0] + " " + ELLIPSIS
    passage = ""
    for sentence, starts_line in units[first : last + 1]:
        passage = f"{passage}{chr(10) if starts_line else ' '}{sentence}" if passage else sentence
    return (ELLIPSIS + " " if first > 0 else "") + passage + (" " + ELLIPSIS if last + 1 < len(units) else "")


def as_shown(question: str, document: Document, max_chars: int | None = 600) -> str:
    """What the model reads of a retrieved chunk: suspended compounds written out ("Einwegdose, -becher"
    -> "..., Einwegbecher") and the passage around the question (:func:`focus`, its title and town as
    ``about``). Citations and quotes are checked against the chunk as stored."""
    about = f"{document.meta.get('title') or ''} {document.meta.get('municipality') or ''}"
    return focus(question, expand_suspended_compounds(document.content or ""), max_chars, about=about)
