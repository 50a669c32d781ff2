"""Checks a generated reply against the passages the model read and turns it into a cited answer."""

from __future__ import annotations

import logging
import re
from typing import Any

from haystack import Document, component
from haystack.dataclasses import ChatMessage

from pipelines.components.evidence_gate import refusal
from pipelines.components.municipal_splitter import split_sentences
from pipelines.evidence import about_the_question, names_most_of
from pipelines.german_terms import fold
from pipelines.metadata import page_of
from pipelines.question import Question
from pipelines.values import checkable, facts, holds

logger = logging.getLogger(__name__)

_REFUSAL_HINTS = re.compile(
    r"keine Angaben?\b|keine (?:genauen |konkreten )?Informationen|enthalten (?:die (?:Dokumente|Belege|Auszüge) )?keine"
    r"|nicht (?:in den|aus den) (?:Auszügen|Dokumenten|Belegen)|lässt sich (?:den \w+ )?nicht entnehmen",
    re.I,
)
_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_CITE_WITH_SPACE = re.compile(r"\s*" + _CITE.pattern)
_PARAGRAPH_WORD = re.compile(r"\bparagra(?:ph|f)(?:en|s)?\s+(?=\d)", re.I)
_WORD = re.compile(r"[\wäöüß]{4,}", re.I)
_SOURCE_LABEL = re.compile(r"^\s*(?:Belege?|Quellen?|Auszug|Fundstelle)\s*(?:\[\d+\])?\s*:", re.I)
QUOTE_LEAD = "Die Dokumente sagen dazu:"

# why a reply is not taken as it is
INVENTED = "states a figure no passage holds"
NO_VALUE = "asked for a figure, states none of the passages'"
ECHO = "only repeats the question"
SILENT = "says the documents are silent"
ELSEWHERE = "states a figure only a passage about something else holds"


def _facts_of(text: str, question: Question) -> set[str]:
    """The figures of ``text`` a passage must hold: not a lone digit, not a figure the question gave, also
    not with a unit the question left out ("Meine Tochter ist 20": the reply's "20 Jahre" restates it;
    measured: docs/evaluation.md#what-was-tried)."""
    asked = facts(question.text)
    return {f for f in checkable(facts(text)) - asked if f.split(" ")[0] not in asked}


def _passage_facts(passage: Document) -> set[str]:
    return facts(f"{passage.content or ''} {passage.meta.get('section') or ''}") | {
        f.lstrip("§") for f in facts(str(passage.meta.get("section") or ""))
    }


def _without_trailing_refusal(text: str) -> str:
    """Small models answer and then append the refusal formula; after content, refusal sentences and echoed
    source labels ("Beleg [3]: § 7") are dropped. A reply that starts with the refusal stays one."""
    text = "\n".join(line for line in text.split("\n") if not _SOURCE_LABEL.match(line))
    sentences = split_sentences(text.replace("\n", " \n ")) or [text]
    if _REFUSAL_HINTS.search(_CITE.sub("", sentences[0])):
        return text
    kept = [s for s in sentences if not _REFUSAL_HINTS.search(_CITE.sub("", s))]
    return " ".join(kept).replace(" \n ", "\n").strip()


def _echo(bare: str, question: Question) -> bool:
    """The reply only repeats the question: no figure and no word of its own. (One word of its own is an
    answer: "Der Bürgermeister nimmt die Aufgaben wahr." Requiring two, as before, lost two held-out answers:
    docs/evaluation.md#what-was-tried.)"""
    if _facts_of(bare, question):
        return False
    asked = {fold(w) for w in _WORD.findall(question.text)}
    return not {fold(w) for w in _WORD.findall(bare)} - asked


def reply_problem(bare: str, question: Question, passages: list[Document]) -> str | None:
    """Why the reply (without its [n] marks) cannot be the answer, or None."""
    if not bare.strip() or _REFUSAL_HINTS.search(bare):
        return SILENT
    stated = _facts_of(bare, question)
    given = set().union(*(_passage_facts(p) for p in passages)) if passages else set()
    if stated - given:
        return INVENTED  # "figures in no passage": a wrong line or an invented figure
    holding = [p for p in passages if stated and stated <= _passage_facts(p)]
    if holding and not about_the_question(question, holding):
        return ELSEWHERE  # the figure of a passage that names nothing the question is about
    if question.wants_value and not (stated and holds(bare, question.answered_by)):
        return NO_VALUE
    if _echo(bare, question):
        return ECHO
    return None


def _marks(text: str) -> list[int]:
    """The passage numbers of the [n] marks in ``text`` ("[1]", "[2, 3]"), in order."""
    return [int(n) for group in _CITE.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


def _best_unit(
    question: Question, passages: list[Document], among: list[int] | None = None
) -> tuple[int, str] | None:
    """The passage number and verbatim unit that may stand for the answer as a quote: the best-scored unit
    (passages list their units best first within the budget) that holds the value asked for and whose
    passage, with its title and heading, names most of what the question is about. ``among``: only the
    passages of these numbers."""
    candidates: list[tuple[float, int, str, str]] = []
    for number, passage in enumerate(passages, 1):
        if among is not None and number not in among:
            continue
        context = (
            f"{passage.meta.get('title') or ''} {passage.meta.get('heading') or ''} {passage.content or ''}"
        )
        if question.nouns and not names_most_of(question, context):
            continue
        for shown, quote, score in zip(
            passage.meta.get("units", []),
            passage.meta.get("quotes", []),
            passage.meta.get("unit_scores", []),
            strict=False,
        ):
            if question.wants_value and not holds(shown, question.answered_by):
                continue
            candidates.append((float(score), number, shown, quote))
    if not candidates:
        return None
    _, number, shown, _ = max(candidates, key=lambda c: c[0])
    return number, shown


def _quote_of(passage: Document, claim: str) -> str:
    """The verbatim unit of ``passage`` that shares the most figures and words with ``claim``."""
    quotes = list(passage.meta.get("quotes") or []) or [passage.content or ""]
    claim_facts = facts(claim)
    claim_words = {fold(w) for w in _WORD.findall(claim)}

    def overlap(quote: str) -> int:
        return 3 * len(claim_facts & facts(quote)) + len(
            claim_words & {fold(w) for w in _WORD.findall(quote)}
        )

    return max(quotes, key=overlap)[:400]


@component
class AnswerChecker:
    """
    Turns the model's reply into the answer, checked against the passages it read:

    * every figure the reply states (amount, date, period, §) must stand in a passage, and a question
      for a figure must be answered with one of the passages' figures of that kind;
    * a reply that fails (a figure from nowhere, no figure, the question echoed, "keine Angabe") gives
      way to the best passage unit holding what was asked (of the passage the reply cited, where it has
      one), quoted verbatim and said to be a quote (``generated=False``); with no such unit the answer is
      the fixed refusal;
    * each [n] must name a passage that holds the figures of its sentence, else it moves to one that
      does; citations are renumbered in order and carry a verbatim quote of their chunk;
    * asked where a rule stands, the answer ends with the passages' § labels ("Fundstelle: …"), and a
      versioned statute cited names its version ("Verwendete Fassung: …").

    Usage example:
    ```python
    checker = AnswerChecker()
    checker.run(question=question, replies=[ChatMessage.from_assistant("Sie beträgt 0,20 € [1].")],
                passages=passages)["answer"]
    ```
    """

    def __init__(self) -> None:
        pass

    @component.output_types(answer=dict[str, Any])
    def run(self, question: Question, replies: list[ChatMessage], passages: list[Document]) -> dict[str, Any]:
        raw = (replies[0].text or "").strip() if replies else ""
        logger.debug("model reply: %r", raw)
        text = _PARAGRAPH_WORD.sub("§ ", _without_trailing_refusal(raw))  # "Paragraph 12" as "§ 12"
        bare = _CITE.sub("", text)
        if problem := reply_problem(bare, question, passages):
            return {"answer": self._quoted(question, passages, problem, _marks(text))}
        return {"answer": self._cited(question, text, passages)}

    @staticmethod
    def _quoted(
        question: Question, passages: list[Document], problem: str, cited: list[int]
    ) -> dict[str, Any]:
        # the passage the reply cited comes first: the model points to the right passage more often than the
        # selector's scores do, even where its sentence fails the checks (docs/evaluation.md#what-was-tried)
        best = next(
            (b for n in cited if (b := _best_unit(question, passages, among=[n])) is not None), None
        ) or _best_unit(question, passages)
        if best is None:
            return refusal(f"the reply {problem}; no passage holds what was asked")
        number, shown = best
        logger.debug("reply replaced by a quote (%s)", problem)
        passage = passages[number - 1]
        citation = citation_of(passage, _quote_of(passage, shown))
        notes = [provision_note([citation]) if question.asks_provision else "", version_note([citation])]
        text = "\n\n".join(x for x in (f"{QUOTE_LEAD} „{shown}“ [1]", *notes) if x)
        return {
            "answer": text,
            "citations": [citation],
            "refused": False,
            "unverified": False,
            "generated": False,
            "reason": problem,
        }

    @staticmethod
    def _cited(question: Question, text: str, passages: list[Document]) -> dict[str, Any]:
        order: list[int] = []
        rebuilt: list[str] = []
        unverified = False
        for sentence in split_sentences(text.replace("\n", " \n ")) or [text]:
            cited = _marks(sentence)
            claim = _CITE_WITH_SPACE.sub("", sentence).strip()
            if not claim:
                continue
            claimed = _facts_of(claim, question)
            valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
            supported = [n for n in valid if claimed <= _passage_facts(passages[n - 1])]
            if claimed and not supported:
                # the figures stand in another passage than the one cited (or none was cited)
                holding = [i for i, p in enumerate(passages, 1) if claimed <= _passage_facts(p)]
                supported = holding[:1]
                unverified = unverified or not supported
            elif not claimed:
                supported = valid
            marks = ""
            for n in supported:
                if n not in order:
                    order.append(n)
                marks += f"[{order.index(n) + 1}]"
            rebuilt.append(_place_marks(claim, marks))
        if not order and passages:
            # no usable citation: the passage that shares most with the answer
            words = {fold(w) for w in _WORD.findall(text)}
            best = max(
                range(len(passages)),
                key=lambda i: len(words & {fold(w) for w in _WORD.findall(passages[i].content or "")}),
            )
            order.append(best + 1)
            rebuilt[-1] = _place_marks(rebuilt[-1], "[1]") if rebuilt else "[1]"
        answer_text = " ".join(s for s in rebuilt if s).replace(" \n ", "\n").strip()
        citations = []
        for n in order:
            passage = passages[n - 1]
            claims = _CITE.sub("", " ".join(s for s in rebuilt if f"[{order.index(n) + 1}]" in s))
            citations.append(citation_of(passage, _quote_of(passage, claims or answer_text)))
        notes = [provision_note(citations) if question.asks_provision else "", version_note(citations)]
        if notes := [n for n in notes if n]:
            answer_text = f"{answer_text}\n\n" + "\n".join(notes)
        return {
            "answer": answer_text,
            "citations": citations,
            "refused": False,
            "unverified": unverified,
            "generated": True,
            "reason": "",
        }


def _place_marks(claim: str, marks: str) -> str:
    if not marks:
        return claim
    if claim and claim[-1] in ".!?:;":
        return f"{claim[:-1]} {marks}{claim[-1]}"
    return f"{claim} {marks}"


_VERSIONED_TYPES = {"satzung", "verordnung", "gesetz"}


def _german_date(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{day}.{month}.{year}"


def version_note(citations: list[dict[str, Any]]) -> str:
    """Which version of a statute the answer used: "Verwendete Fassung: <title>, gültig ab 01.01.2025 [1]."."""
    versions: dict[str, str] = {}
    for number, c in enumerate(citations, 1):
        valid_from = str(c.get("valid_from") or "")
        if str(c.get("doc_type") or "").lower() in _VERSIONED_TYPES and re.fullmatch(
            r"\d{4}-\d\d-\d\d.*", valid_from
        ):
            version = f"{c['title']}, gültig ab {_german_date(valid_from)}"
            versions[version] = versions.get(version, "") + f"[{number}]"
    parts = [f"{version} {marks}" for version, marks in versions.items()]
    return f"Verwendete Fassung: {'; '.join(parts)}." if parts else ""


def provision_note(citations: list[dict[str, Any]]) -> str:
    """Where the cited rules stand, from the chunks' own § / Artikel / TOP labels (a small model misreads
    "§ 13" as "Abs. 3"): "Fundstelle: Polizeiverordnung, § 13 [1]; Paßgesetz, § 5 [2]."."""
    places: dict[str, str] = {}
    for number, c in enumerate(citations, 1):
        if c.get("section"):
            place = f"{c.get('title') or 'Dokument'}, {c['section']}"
            places[place] = places.get(place, "") + f"[{number}]"
    return f"Fundstelle: {'; '.join(f'{p} {marks}' for p, marks in places.items())}." if places else ""


def citation_of(doc: Document, quote: str) -> dict[str, Any]:
    meta = doc.meta
    return {
        "source": meta.get("source", ""),
        "title": meta.get("title", ""),
        "page": page_of(meta),
        "quote": quote,
        "section": meta.get("section") or None,
        "heading": meta.get("heading") or None,
        "doc_type": meta.get("doc_type"),
        "municipality": meta.get("municipality"),
        "date": meta.get("date"),
        "valid_from": meta.get("valid_from"),
        "score": round(float(doc.score), 4) if doc.score is not None else None,
    }
