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

from pipelines.components.municipal_ranker import asked_as_of, in_force_only_after, named_towns, without_towns
from pipelines.german_terms import expand_suspended_compounds, fold, stem
from pipelines.places import places_named
from pipelines.question_kinds import MONTHS

_LEVY_ENDING = "(?:steuer|gebuhr|abgabe|beitrag)"
_LINKING_S = re.compile(rf"s(?={_LEVY_ENDING})")
# a compound naming a levy: at least three letters before the ending ("hundesteuer", not "steuer")
_LEVY = re.compile(rf"\b[a-z]{{3,}}{_LEVY_ENDING}")


def _levy_text(text: str) -> str:
    """Folded, and "Übernachtungssteuer" written like "Übernachtungsteuer" (no linking s)."""
    return _LINKING_S.sub("", fold(text))


def levies_asked(question: str) -> set[str]:
    """The levies a question names, normalised: {"hundesteuer", "verpackungsteuer"}."""
    return set(_LEVY.findall(_levy_text(question)))


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


def places_not_indexed(question: str, municipalities: set[str]) -> frozenset[str]:
    """The German places ``question`` names when it names none of ``municipalities`` ("in Tübingen")."""
    return frozenset() if named_towns(question, municipalities) else places_named(question)


def select_evidence(question: str, documents: list[Document], municipalities: set[str]) -> list[Document]:
    """The chunks of ``documents`` that may answer ``question``; [] means the answer is a refusal.

    ``municipalities``: every town the index knows (a town missing from the retrieved chunks is still
    recognised in the question).
    """
    towns = municipalities | {str(d.meta["municipality"]) for d in documents if d.meta.get("municipality")}
    named = named_towns(question, towns)
    if named:
        documents = [d for d in documents if _belongs_to(d, named)]
    elif elsewhere := places_not_indexed(question, towns):
        # a town the index does not know: no town's or district's statute answers for it
        documents = [d for d in documents if _is_federal_or_state(d) or _names_a_place(d, elsewhere)]
    if as_of := asked_as_of(question):
        # "bis Ende 2025": a version in force only from 2026 on states the new rate, not the one asked for
        documents = [d for d in documents if not in_force_only_after(d, as_of)]
    levies = levies_asked(question)
    if levies and documents:
        text = " ".join(
            _levy_text(f"{d.meta.get('title', '')} {expand_suspended_compounds(d.content or '')}")
            for d in documents
        )
        if not all(levy in text for levy in levies):
            return []
    return documents


# nouns of a question: capitalised words of six letters or more ("Turnhalle", "Gewerbesteuer-Hebesatz" in
# two); words every chunk of a statute shares say nothing about its topic
_NOUN = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]{5,}\b")
_GENERIC_NOUNS = frozenset(
    "welche welcher welches welchen welchem gemeinde landkreis satzung gesetz paragraph paragraphen vorschrift "
    "gebuhr".split()  # "Welche Gebühr verlangt …" is answered by any fee schedule of the town
)


# what a citizen says and what the statute says: "beim Bürgerbüro anmelden" is answered by "bei der
# Meldebehörde anzumelden" (§ 17 BMG), "die Mülltonne an die Straße stellen" by "Die zugelassenen
# Abfallbehälter sind … am Rand des Gehwegs bereitzustellen", "Kneipe" by "Schankwirtschaft"
_LAW_WORDS = {
    **{
        fold(office): ("meldebehord",)
        for office in (
            "Bürgerbüro",
            "Bürgeramt",
            "Bürgerservice",
            "Einwohnermeldeamt",
            "Meldeamt",
            "Bürgerbüros",
        )
    },
    **{
        fold(bin_): ("abfallbehalt", "mullbehalt", "restmullbehalt")
        for bin_ in ("Mülltonne", "Mülltonnen", "Abfalltonne", "Abfalltonnen", "Mülleimer")
    },
    **{fold(pub): ("schankwirtschaft", "gaststatt") for pub in ("Kneipe", "Kneipen")},
}


_WORD = re.compile(r"[a-zß]+")


def _names(text: str, noun: str) -> bool:
    """``text`` (folded) names ``noun``: its Snowball stem occurs ("Turnhallen" -> "turnhall"), or, for a
    long compound, its first seven letters ("Altglascontainer" / "Altglas") or its last part
    (:func:`_names_the_head`), a compound split without a dictionary; a citizen's name of an office counts
    where the law's name stands ("Bürgerbüro" / "Meldebehörde", "Mülltonne" / "Abfallbehälter")."""
    root = stem(_levy_text(noun))
    if any(word in text for word in _LAW_WORDS.get(noun, ())):
        return True
    # a compound's first part that is a generic noun names nothing: "Gemeindebücherei" is not "Gemeinde"
    head = "" if any(g.startswith(root[:7]) for g in _GENERIC_NOUNS) else root[:7]
    return root in text or (len(root) >= 12 and ((head and head in text) or _names_the_head(text, root)))


def _names_the_head(text: str, root: str) -> bool:
    """A word of ``text`` that ends like the compound ``root`` (its last six letters) and is the compound's
    tail ("Reisepass" names a "Kinderreisepass") or begins like it ("Balkonsolarkraftwerk" names a
    "Balkonkraftwerk"); a sibling compound does not: "Ersatzausweis" names no "Bewohnerparkausweis"
    (measured on the evaluation sets: this refuses that held-out unanswerable question, and none of the
    107 answerable questions whose answer the excerpts hold)."""
    tail = root[-6:]
    return tail in text and any(
        (at := word.find(tail)) >= 0 and (root.endswith(word[: at + len(tail)]) or word[:5] == root[:5])
        for word in _WORD.findall(text)
    )


def question_nouns(question: str, towns: set[str]) -> set[str]:
    """The nouns of ``question`` that say what it is about: no town or place names ("in Tübingen"), no
    generic words."""
    text = without_towns(question, towns | places_named(question))
    return {fold(w) for w in _NOUN.findall(text)} - _GENERIC_NOUNS


def about_the_question(question: str, documents: list[Document], towns: set[str]) -> bool:
    """Whether ``documents`` (the excerpts the model will read) name at least one noun of ``question``.
    A question without such nouns ("Was gilt hier?") passes. Measured on the evaluation set (scratch
    script, index of b3ae3c9's code, 2026-12-03): of the 104 answerable questions whose answer stands in
    the two excerpts read, none fails it (at a00fb03 1 of 107 did: "Bürgerbüro" for the federal law's
    "Meldebehörde", since read as the same office)."""
    nouns = question_nouns(question, towns)
    if not nouns:
        return True
    texts = [
        _levy_text(
            f"{d.meta.get('title', '')} {d.meta.get('section') or ''} {d.meta.get('heading') or ''} "
            f"{expand_suspended_compounds(d.content or '')}"
        )
        for d in documents
    ]
    return any(_names(text, noun) for noun in nouns for text in texts)


_FIRST_WORD = re.compile(r"(?:^|(?<=[.?!:]))\s*\S+")


def names_most_of(question: str, text: str, towns: set[str]) -> bool:
    """``text`` names more than half of the nouns of ``question``: what a verbatim passage must do to be
    given as the answer ("Brauche ich eine Genehmigung, um eine Eiche auf meinem Grundstück zu fällen?" is
    not answered by a sentence on grave markers that shares "Genehmigung"). The first word of each
    sentence ("Brauche", "Zahlen") and month names are not nouns here."""
    nouns = question_nouns(_FIRST_WORD.sub(" ", question), towns) - set(MONTHS)
    folded = _levy_text(expand_suspended_compounds(text))
    return bool(nouns) and 2 * sum(_names(folded, noun) for noun in nouns) > len(nouns)
