"""Reads a question once into a :class:`pipelines.question.Question` for every later stage."""

from __future__ import annotations

import datetime
from typing import Any

from haystack import component

from pipelines.question import Question, understand
from pipelines.term_weights import TermWeights


@component
class QuestionAnalyzer:
    """
    Turns the question text into a :class:`Question`: what is asked (amount, date, period, time, §, count,
    yes/no, who/what, vote), the towns and the time it names, its key words weighted by the index.
    ``today`` (an ISO date) is an input, so that the same question on the same day is understood the same way;
    a string, so that Haystack can write it into a pipeline snapshot when a later stage fails.

    Usage example:
    ```python
    analyzer = QuestionAnalyzer()
    question = analyzer.run(text="Wie hoch ist die Hundesteuer in Bad Boll?", today="2026-12-06",
                            municipalities=["Bad Boll"])["question"]
    question.kind, question.towns  # ("amount", frozenset({"Bad Boll"}))
    ```
    """

    def __init__(self) -> None:
        pass

    @component.output_types(question=Question)
    def run(
        self,
        text: str,
        today: str,
        municipalities: list[str] | None = None,
        term_weights: TermWeights | None = None,
    ) -> dict[str, Any]:
        return {
            "question": understand(
                text, datetime.date.fromisoformat(today), set(municipalities or ()), term_weights
            )
        }
