"""What the model reads of a chunk: the passage that answers the question, not the whole chunk.

A 1.5B model given five chunks of ~1,400 characters copies the wrong line or pastes a whole chunk; given the
few sentences around the words of the question it picks the right figure more often and answers faster
(measured with benchmarks/quality.py). Citations and quotes are still checked against the whole chunk.
"""

from __future__ import annotations

from pipelines.components.municipal_splitter import split_sentences
from pipelines.german_terms import terms

ELLIPSIS = "…"


def _units(text: str) -> list[tuple[str, bool]]:
    """The sentences of ``text``, each with whether it starts a line (list items, table rows)."""
    units: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        for i, sentence in enumerate(split_sentences(line)):
            units.append((sentence, i == 0))
    return units


def _weight(term: str) -> float:
    if term.startswith("~"):
        return 0.3  # character 5-grams: compounds ("Hundesteuer" in "Hundesteuersatzung") count a little
    return 1.0


def focus(question: str, text: str, max_chars: int | None = 600) -> str:
    """The sentences of ``text`` around the one that shares most terms with ``question``, at most about
    ``max_chars`` long, verbatim and in order; "…" marks what was left out. Short texts (and any text
    when ``max_chars`` is None) stay whole."""
    if max_chars is None or len(text) <= max_chars:
        return text
    units = _units(text)
    if len(units) <= 1:
        return text[:max_chars].rsplit(" ", 1)[0] + " " + ELLIPSIS
    asked = {t: _weight(t) for t in terms(question)}
    scores = [sum(asked.get(t, 0.0) for t in terms(sentence)) for sentence, _ in units]
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
