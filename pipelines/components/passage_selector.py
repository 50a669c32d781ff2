"""Chooses the few sentences and table rows of the evidence that the model reads."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.passages import select_passages
from pipelines.question import Question


@component
class PassageSelector:
    """
    Cuts the evidence chunks into sentences, list items and table rows, scores each against the question
    and keeps the best within ``max_chars`` / ``max_units`` (pipelines/passages.py). Each passage is a
    Document with its chunk's metadata plus ``label`` (title, §, town), ``units`` and ``quotes``.

    Usage example:
    ```python
    selector = PassageSelector(max_chars=700, max_units=4)
    selector.run(question=question, evidence=chunks)["passages"]
    ```
    """

    def __init__(self, max_chars: int = 700, max_units: int = 4) -> None:
        self.max_chars = max_chars
        self.max_units = max_units

    @component.output_types(passages=list[Document])
    def run(self, question: Question, evidence: list[Document]) -> dict[str, Any]:
        return {"passages": select_passages(question, evidence, self.max_chars, self.max_units)}
