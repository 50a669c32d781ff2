"""Which retrieved chunks may answer a question, decided before the model is asked.

The shipped 1.5B model cannot be trusted to refuse by itself: told to refuse when the excerpts are silent,
it refuses nearly everything (measured on the evaluation set); told only to answer, it answers from the
nearest text, e.g. another town's dog tax. So the refusal is decided here, from facts a person could check:

* the question names a municipality: other towns' chunks are not evidence (federal laws, district
  statutes and chunks whose title or body names the place stay);
* the question names a German place the index does not know ("in Tübingen"): only federal and state law
  and chunks that name the place stay (pipelines/places.py);
* the question asks about a levy ("Hundesteuer", "Säumnisgebühr"): some remaining chunk must name it;
* the excerpts the model will read must name at least one noun of the question (:func:`about_the_question`):
  asked about a "Turnhalle", the model otherwise answers with the dog tax of the same town.
"""

from __future__ import annotations

import re

from haystack import Document

from pipelines.components.municipal_ranker import in_force_only_after
from pipelines.german_terms import expand_suspended_compounds, fold, stem
from pipelines.question import LEVY_ENDING, Question, levy_text, named_towns
from pipelines.term_weights import TermWeights


def _is_federal_or_state(doc: Document) -> bool:
    town = str(doc.meta.get("municipality") or "")
    return not town or town.lower().startswith("bund")


def _is_district_or_federal(doc: Document) -> bool:
    town = str(doc.meta.get("municipality") or "")
    return _is_federal_or_state(doc) or town.lower().startswith(("landkreis", "lkr", "kreis"))


def _names_a_place(doc: Document, places: frozenset[str]) -> bool:
    text = fold(f"{doc.meta.get('title', '')} {doc.meta.get('body', '')} {doc.content or ''}")
    return any(re.search(rf"\b{re.escape(fold(place))}\b", text) for place in places)


def _belongs_to(doc: Document, towns: set[str]) -> bool:
    """A chunk of one of ``towns``, of a town part named in its title or body ("Stadtteilbeirat Büchenbach"
    of Erlangen), or of a district or federal law."""
    if doc.meta.get("municipality") in towns or _is_district_or_federal(doc):
        return True
    label = f"{doc.meta.get('title', '')} {doc.meta.get('body', '')}"
    return bool(named_towns(label, towns))


def select_evidence(question: Question, documents: list[Document]) -> list[Document]:
    """The chunks of ``documents`` that may answer ``question``; [] means the answer is a refusal."""
    if question.towns:
        documents = [d for d in documents if _belongs_to(d, set(question.towns))]
    elif question.places_elsewhere:
        # a town the index does not know: no town's or district's statute answers for it
        documents = [
            d for d in documents if _is_federal_or_state(d) or _names_a_place(d, question.places_elsewhere)
        ]
    if question.as_of:
        # "bis Ende 2025": a version in force only from 2026 on states the new rate, not the one asked for
        documents = [d for d in documents if not in_force_only_after(d, question.as_of)]
    if question.levies and documents:
        texts = [
            levy_text(f"{d.meta.get('title', '')} {expand_suspended_compounds(d.content or '')}")
            for d in documents
        ]
        if not all(any(names_levy(text, levy) for text in texts) for levy in question.levies):
            return []
    return documents


_LEVY_HEAD = re.compile(rf"{LEVY_ENDING}$")


def names_levy(text: str, levy: str) -> bool:
    """``text`` (:func:`levy_text`) names ``levy``: the compound itself ("abwassergebuhr"), or, within one
    sentence, a word that starts with its head ("Gebühren") and one that starts with the rest of it
    ("Abwasserbeseitigung"): "die Gebühren für die Abwasserbeseitigung" name the Abwassergebühr. The head
    inside another word does not count ("Gewerbetreibende" and "Zweitwohnungsteuer" name no Gewerbesteuer),
    nor do parts in two sentences (measured: docs/evaluation.md#what-was-tried)."""
    if levy in text:
        return True
    head = _LEVY_HEAD.search(levy)
    if head is None:
        return False
    rest = levy[: head.start()]
    return any(
        re.search(rf"\b{head.group()}", sentence) and re.search(rf"\b{rest}", sentence)
        for sentence in re.split(r"[.;:!?\n]", text)
    )


_WORD = re.compile(r"[a-zß]+")


def _names(text: str, noun: str, idf: TermWeights | None = None) -> bool:
    """``text`` (folded) names ``noun``: its Snowball stem occurs ("Turnhallen" -> "turnhall"), or, for a
    long compound, its first seven letters ("Altglascontainer" / "Altglas") unless those are a word most
    chunks share ("Gemeindebücherei" is not "Gemeinde"), or its last part (:func:`_names_the_head`), a
    compound split without a dictionary. (A list of citizens' words for the statute's, grown from the tuning
    set, was removed: it changed nothing on the held-out set, README *Qualität*.)"""
    root = stem(levy_text(noun))
    head = root[:7] if idf is None or not idf.generic(stem(root[:7])) else ""
    return root in text or (len(root) >= 12 and ((head and head in text) or _names_the_head(text, root)))


def _names_the_head(text: str, root: str) -> bool:
    """A word of ``text`` that ends like the compound ``root`` (its last six letters) and is the compound's
    tail ("Reisepass" names a "Kinderreisepass") or begins like it ("Balkonsolarkraftwerk" names a
    "Balkonkraftwerk"); a sibling compound does not: "Ersatzausweis" names no "Bewohnerparkausweis"."""
    tail = root[-6:]
    return tail in text and any(
        (at := word.find(tail)) >= 0 and (root.endswith(word[: at + len(tail)]) or word[:5] == root[:5])
        for word in _WORD.findall(text)
    )


def _evidence_text(doc: Document) -> str:
    return levy_text(
        f"{doc.meta.get('title', '')} {doc.meta.get('section') or ''} {doc.meta.get('heading') or ''} "
        f"{expand_suspended_compounds(doc.content or '')}"
    )


def about_the_question(question: Question, documents: list[Document], idf: TermWeights | None = None) -> bool:
    """Whether ``documents`` name at least one noun of ``question`` (asked about a "Turnhalle", the model
    otherwise answers with the dog tax of the same town). A question without such nouns passes."""
    if not question.nouns:
        return True
    texts = [_evidence_text(d) for d in documents]
    return any(_names(text, noun, idf) for noun in question.nouns for text in texts)


def names_most_of(question: Question, text: str, idf: TermWeights | None = None) -> bool:
    """``text`` names more than half of the nouns of ``question``: what a verbatim passage must do to be
    given as the answer ("Brauche ich eine Genehmigung, um eine Eiche auf meinem Grundstück zu fällen?" is
    not answered by a sentence on grave markers that shares "Genehmigung")."""
    folded = levy_text(expand_suspended_compounds(text))
    nouns = question.nouns
    return bool(nouns) and 2 * sum(_names(folded, noun, idf) for noun in nouns) > len(nouns)
