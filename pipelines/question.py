"""The question, understood once: what it asks for, about which town and time, and its key words.

:func:`understand` turns the raw question into a :class:`Question`; every later stage (ranking, the
evidence gate, reading, the checks after generation) reads this object and never parses the question
again. What a question asks for comes from data (pipelines/knowledge/question_kinds.yaml); the towns from
the index's own municipalities and the GeoNames gazetteer (pipelines/places.py); today's date is an input.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.german_terms import STOP_WORDS, fold, stem, terms
from pipelines.places import places_named
from pipelines.values import MONTHS

KNOWLEDGE = Path(__file__).parent / "knowledge"
KINDS = ("vote", "period", "time", "amount", "date", "count", "who", "yesno", "what")


@dataclass(frozen=True)
class Question:
    """What a question asks, read once (:func:`understand`)."""

    text: str
    kind: str  # one of KINDS, "what" when no question word says more
    answered_by: tuple[str, ...]  # value types (pipelines/values.py) a sentence must hold to answer it
    asks_provision: bool  # asked where a rule stands ("in welchem Paragraphen")
    towns: frozenset[str]  # municipalities of the index the question names
    places_elsewhere: frozenset[str]  # German places it names that the index has no documents for
    years: frozenset[str]  # years it names ("2026")
    meeting_months: frozenset[str]  # months it dates a meeting by, "YYYY-MM"
    asks_past: bool  # about an earlier state ("früher", "vor der Erhöhung", "ursprünglich")
    asks_before: bool  # names the time the wanted version ended ("vor der Erhöhung 2026", "bis Ende 2025")
    as_of: str | None  # the last day a past question asks about, ISO; None if it names none
    levies: frozenset[str]  # levies it names, folded without linking s ("hundesteuer")
    nouns: frozenset[str] = (
        frozenset()
    )  # what it is about: its nouns, folded, without towns and generic words
    terms: dict[str, float] = field(default_factory=dict)  # keyword terms (pipelines/german_terms) -> weight
    today: str = ""  # ISO date the question was asked

    @property
    def instruction(self) -> str:
        """How the model should answer this kind of question: one line of the prompt, from data."""
        return instruction_for(self.kind, self.asks_provision)

    @property
    def example(self) -> dict[str, Any] | None:
        """A worked example of this kind of question for the prompt (question_kinds.yaml), or None."""
        return example_for(self.kind, self.asks_provision)

    @property
    def wants_value(self) -> bool:
        """Whether the answer is a figure (amount, date, period, time, count, vote) a sentence must hold."""
        return bool(self.answered_by)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            out[name] = sorted(value) if isinstance(value, frozenset) else value
        return out


@functools.cache
def _kinds_data() -> dict[str, Any]:
    return yaml.safe_load((KNOWLEDGE / "question_kinds.yaml").read_text(encoding="utf-8"))


def instruction_for(kind: str, asks_provision: bool) -> str:
    """The line the answer prompt adds after a question of ``kind`` (question_kinds.yaml), or ""."""
    data = _kinds_data()
    lines = [(data["kinds"].get(kind) or {}).get("instruction") or ""]
    if asks_provision:
        lines.append(data["provision"].get("instruction") or "")
    return " ".join(line for line in lines if line)


def example_for(kind: str, asks_provision: bool) -> dict[str, Any] | None:
    """The worked example for a question of ``kind`` (its passages, question, instruction line and answer),
    or None: the provision example when the question asks where a rule stands, else its kind's."""
    data = _kinds_data()
    if asks_provision:
        example = data["provision"].get("example")
        if example:
            return {**example, "instruction": instruction_for(example["kind"], True)}
    example = (data["kinds"].get(kind) or {}).get("example")
    if not example:
        return None
    return {**example, "instruction": instruction_for(kind, False)}


@functools.cache
def _kinds() -> tuple[list[tuple[str, tuple[str, ...], re.Pattern[str]]], re.Pattern[str]]:
    data = _kinds_data()
    kinds = [
        (name, tuple(spec.get("answered_by") or ()), re.compile("|".join(spec["cues"]), re.I))
        for name, spec in data["kinds"].items()
    ]
    provision = re.compile("|".join(data["provision"]["cues"]), re.I)
    return kinds, provision


def kind_of(text: str) -> tuple[str, tuple[str, ...], bool]:
    """(kind, value types answering it, asks for the provision) of a question text."""
    kinds, provision = _kinds()
    asks_provision = bool(provision.search(text))
    for name, answered_by, cues in kinds:
        if cues.search(text):
            return name, answered_by, asks_provision
    return "what", (), asks_provision


# -- towns -------------------------------------------------------------------------------------------


def _town_pattern(town: str) -> re.Pattern[str]:
    """A town name as written in questions: "Zell u.A." also matches "Zell unter Aichelberg", "Karlsruhe"
    also "Karlsruher"."""
    parts = []
    for token in re.findall(r"[^\s.]+\.?", town):
        if token.endswith(".") and len(token) <= 3:  # an abbreviation: u. / a. / St.
            parts.append(re.escape(token[:-1]) + r"\w*\.?")
        else:
            parts.append(re.escape(token))
    # "Karlsruher Gemeinderat", "Konstanzer Altstadt", "Erlanger Innenstadt" (-en -> -er), "Karlsruhes":
    # the adjective and the genitive name the town too
    if re.search(r"[a-zäöüß]en$", parts[-1]):
        parts[-1] = parts[-1][:-1] + "[nr]"
    return re.compile(r"\b" + r"\s*".join(parts) + r"(?:(?<=e)r|er|s)?(?!\w)", re.I)


def without_towns(text: str, towns: set[str] | frozenset[str]) -> str:
    """``text`` with the names of ``towns`` (and their adjectives: "Karlsruher") blanked out."""
    for town in sorted(towns, key=len, reverse=True):
        text = _town_pattern(town).sub(" ", text)
    return text


def named_towns(text: str, towns: set[str] | frozenset[str]) -> set[str]:
    """The towns ``text`` names; a name inside a longer one ("Aichelberg" in "Zell unter Aichelberg",
    "Göppingen" in "Landkreis Göppingen") does not count."""
    spans = {}
    for town in towns:
        match = _town_pattern(town).search(text)
        if match:
            spans[town] = match.span()
    return {
        t
        for t, (a, b) in spans.items()
        if not any(o != t and oa <= a and b <= ob and (ob - oa) > (b - a) for o, (oa, ob) in spans.items())
    }


# -- time --------------------------------------------------------------------------------------------

_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
# the question asks about an earlier state: "vor der Erhöhung", "früher", "ursprüngliche Fassung", "bis Ende 2025"
_PAST = re.compile(
    r"\b(vor der|vor dem|vorher|früher|bisher|bis ende|bis zum|ursprünglich\w*|alte[nrs]?|damals|galt|gegolten)\b",
    re.I,
)
_BEFORE = re.compile(r"\b(vor der|vor dem|bis ende|bis zum)\b", re.I)
# the time the past question asks about, named right after "vor der ..." / "bis Ende" ("vor der Erhöhung zum
# 1. Januar 2026", "vor der Änderung 2026", "bis Ende 2025"); "vor der letzten Anpassung" names none
_BEFORE_WHEN = re.compile(
    rf"\b(vor de[rm]|bis ende|bis zum)\b[^.?!]{{0,40}}?(?:\b(\d{{1,2}})\.\s?(?:({'|'.join(MONTHS)})|(\d{{1,2}})\.)\s?)?"
    r"\b((?:19|20)\d\d)\b",
    re.I,
)
_MONTH_YEAR = re.compile(rf"\b({'|'.join(MONTHS)})\s+(\d{{4}})\b", re.I)
_NUMERIC_DATE = re.compile(r"\b\d{1,2}\.(\d{1,2})\.(\d{4})\b")


def asked_as_of(text: str, today: datetime.date) -> str | None:
    """The last day a past question asks about ("vor der Erhöhung 2026" -> "2025-12-31", "vor der Erhöhung
    zum 1. Januar 2026" -> "2025-12-31", "bis Ende 2025" -> "2025-12-31"); None if it names no such time
    or that day is not before ``today`` ("bis zum 31.01.2027 abgeben" is a deadline ahead)."""
    match = _BEFORE_WHEN.search(text)
    if not match:
        return None
    cue, day, month_name, month_number, year = match.groups()
    if cue.lower().startswith("bis ende"):
        as_of = f"{year}-12-31"
    elif day:
        month = MONTHS.index(month_name.lower()) + 1 if month_name else int(month_number)
        try:
            named = datetime.date(int(year), month, int(day))
        except ValueError:
            return None
        # "vor dem 1. Januar 2026": the day before; "bis zum 31. Dezember 2025": that day
        as_of = (named - datetime.timedelta(days=1) if cue.lower().startswith("vor") else named).isoformat()
    else:
        as_of = f"{int(year) - 1}-12-31" if cue.lower().startswith("vor") else f"{year}-12-31"
    return as_of if as_of < today.isoformat() else None


def meeting_months(text: str) -> set[str]:
    """The months a question dates its meeting by, as "YYYY-MM": "im Januar 2020" -> {"2020-01"}."""
    named = {f"{y}-{MONTHS.index(m.lower()) + 1:02d}" for m, y in _MONTH_YEAR.findall(text)}
    return named | {f"{y}-{int(m):02d}" for m, y in _NUMERIC_DATE.findall(text) if 1 <= int(m) <= 12}


# -- levies ------------------------------------------------------------------------------------------

LEVY_ENDING = "(?:steuer|gebuhr|abgabe|beitrag)"
_LINKING_S = re.compile(rf"s(?={LEVY_ENDING})")
# a compound naming a levy: at least three letters before the ending ("hundesteuer", not "steuer")
_LEVY = re.compile(rf"\b[a-z]{{3,}}{LEVY_ENDING}")


def levy_text(text: str) -> str:
    """Folded, and "Übernachtungssteuer" written like "Übernachtungsteuer" (no linking s)."""
    return _LINKING_S.sub("", fold(text))


def levies_asked(text: str) -> set[str]:
    """The levies a question names, normalised: {"hundesteuer", "verpackungsteuer"}."""
    return set(_LEVY.findall(levy_text(text)))


# -- nouns -------------------------------------------------------------------------------------------

# nouns of a question: capitalised words of six letters or more ("Turnhalle", "Gewerbesteuer-Hebesatz" in
# two); the first word of a sentence is capitalised whatever it is ("Brauche", "Zahlen", "Welche")
_NOUN = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]{5,}\b")
_FIRST_WORD = re.compile(r"(?:^|(?<=[.?!:]))\s*\S+")
# interrogatives are capitalised at a sentence's start and inflect beyond the stop list ("Welchen")
_INTERROGATIVE = re.compile(r"^(?:welch|wievie|weshalb|wieso|warum|wodurch|wofür|womit|worauf)", re.I)


def nouns_of(text: str, idf: Any = None) -> frozenset[str]:
    """The folded nouns of ``text`` (towns already blanked out) that say what it is about: not the first
    word of a sentence, no interrogative or stop word, and not a word most chunks of the index share
    (:meth:`TermWeights.generic`: "Gemeinde", "Satzung" in an index of statutes)."""
    words = {fold(w) for w in _NOUN.findall(_FIRST_WORD.sub(" ", text)) if not _INTERROGATIVE.match(w)}
    words = {w for w in words if w not in STOP_WORDS and w not in _MONTH_WORDS}
    if idf is not None:
        words = {w for w in words if not idf.generic(stem(w))}
    return frozenset(words)


_MONTH_WORDS = frozenset(fold(m) for m in MONTHS)


# -----------------------------------------------------------------------------------------------------


def understand(
    text: str,
    today: datetime.date,
    municipalities: set[str] | frozenset[str] = frozenset(),
    idf: Any = None,
) -> Question:
    """The :class:`Question` of ``text`` asked on ``today``; ``municipalities``: every town the index knows;
    ``idf``: the index's term weights (:class:`pipelines.term_weights.TermWeights`), or None (all 1)."""
    kind, answered_by, asks_provision = kind_of(text)
    towns = frozenset(named_towns(text, municipalities))
    elsewhere = frozenset() if towns else frozenset(places_named(text))
    asked = without_towns(text, towns | elsewhere)
    weights = {
        t: (0.3 if t.startswith("~") else 1.0) * (idf.weight(t) if idf is not None else 1.0)
        for t in terms(asked)
    }
    return Question(
        text=text,
        kind=kind,
        answered_by=answered_by,
        asks_provision=asks_provision,
        towns=towns,
        places_elsewhere=elsewhere,
        years=frozenset(_YEAR.findall(text)),
        meeting_months=frozenset(meeting_months(text)),
        asks_past=bool(_PAST.search(text)),
        asks_before=bool(_BEFORE.search(text)),
        as_of=asked_as_of(text, today),
        levies=frozenset(levies_asked(text)),
        nouns=nouns_of(asked, idf),
        terms=weights,
        today=today.isoformat(),
    )
