"""Follow-up questions: an elliptic question ("Und für den zweiten Hund?") is asked together with its topic."""

from __future__ import annotations

import re

# a question that opens like a continuation of the previous one
_CONTINUES = re.compile(
    r"^(?:und|aber|auch|oder|sowie|was ist mit|wie ist es mit|wie sieht es mit|wie verhält es sich mit"
    r"|gilt das|gilt dies|und wenn|was gilt|was passiert|and|what about|how about)\b",
    re.I,
)
# words that point back to something said before
_POINTS_BACK = re.compile(
    r"\b(?:dafür|dazu|davon|darauf|daran|darüber|dagegen|hierfür|dort|ebenfalls|derselben?|dieselben?"
    r"|diese[rsmn]?)\b",
    re.I,
)
# a few words that start with a preposition: "Für Kampfhunde?", "Ab 2026?"
_SHORT_PREPOSITIONAL = re.compile(r"^(?:für|bei|mit|im|in|ab|bis|ohne|nach|vor|seit|statt)\b", re.I)


def is_follow_up(question: str) -> bool:
    """True for a question that only makes sense after the previous one.

    >>> is_follow_up("Und für den zweiten Hund?"), is_follow_up("Wie hoch ist die Hundesteuer in Konstanz?")
    (True, False)
    """
    q = question.strip()
    short = len(q.split()) <= 4
    return bool(_CONTINUES.match(q) or _POINTS_BACK.search(q) or (short and _SHORT_PREPOSITIONAL.match(q)))


def follow_up_query(question: str, topic: str | None) -> tuple[str, str]:
    """The text to retrieve and answer with, and the conversation's topic after this question.

    A follow-up is asked as "<topic> <question>" so retrieval (and the municipality named earlier) keeps
    the subject; any other question starts a new topic. The topic is the last self-contained question,
    so a chain of follow-ups does not grow.

    >>> follow_up_query("Und für den zweiten Hund?", "Wie hoch ist die Hundesteuer in Konstanz?")
    ('Wie hoch ist die Hundesteuer in Konstanz? Und für den zweiten Hund?', 'Wie hoch ist die Hundesteuer in Konstanz?')
    """
    question = " ".join(question.split())
    if topic and is_follow_up(question):
        return f"{topic} {question}", topic
    return question, question
