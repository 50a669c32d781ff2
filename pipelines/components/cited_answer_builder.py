"""Turns a generated reply into an answer whose every citation points to a retrieved chunk that supports it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from haystack import Document, component
from haystack.dataclasses import ChatMessage

from pipelines.components.municipal_splitter import split_sentences
from pipelines.evidence import names_most_of
from pipelines.excerpts import focus
from pipelines.german_terms import fold, heading_overlap, terms
from pipelines.places import places_named
from pipelines.question_kinds import (
    AMOUNT,
    ASKS_DEADLINE,
    ASKS_FOR_FIGURE,
    ASKS_FOR_PRICE,
    ASKS_FOR_PROVISION,
    ASKS_FOR_SUM,
    ASKS_FOR_VOTE,
    ASKS_IN_FORCE,
    ASKS_PERIOD,
    DEADLINE,
    IN_FORCE,
    MONEY,
    VOTE,
    WHEN,
    days,
    periods,
    periods_per,
)

logger = logging.getLogger(__name__)

REFUSAL = "Dazu enthalten die Dokumente keine Angabe."
ECHO = "the answer repeats the question"
NO_FIGURE = "asked for a figure, none given"
NO_SUM = "asked for a sum of money or a rate, none given"
NO_PERIOD = "asked how long or how soon, no period or date given"
NOT_IN_FORCE = "asked when a rule takes effect, its date stands in no sentence saying so"
NO_PRICE = "asked for a price, no amount of money given"
OFF_TOPIC_FIGURE = "its figures stand in no excerpt sentence about the question"
# asked for a figure, the reply missed it: the excerpts' own passage with a figure may still answer
_FIGURE_MISSED = (ECHO, NO_FIGURE, NO_SUM, NO_PRICE, NO_PERIOD, OFF_TOPIC_FIGURE, NOT_IN_FORCE)
NO_VOTE = "asked how a vote went, no result given"
_REFUSAL_HINTS = re.compile(
    r"keine Angaben?\b|keine (?:genauen |konkreten )?Informationen|enthalten (?:die Dokumente |die Auszüge )?keine"
    r"|nicht (?:in den|aus den) (?:Auszügen|Dokumenten)|lässt sich (?:den Auszügen )?nicht entnehmen",
    re.I,
)
_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_CITE_WITH_SPACE = re.compile(r"\s*" + _CITE.pattern)  # removing a mark must not leave "Euro ." behind
_PARAGRAPH_WORD = re.compile(r"\bparagra(?:ph|f)(?:en|s)?\s+(?=\d)", re.I)
_FACT = re.compile(r"§+\s*\d+[a-z]?|\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[\wäöüß]{4,}", re.I)


def _facts(text: str) -> set[str]:
    """Amounts, dates, § numbers ("§§ 30 - 34" names § 30), periods ("zwei Wochen" = "2 Wochen") and
    calendar days ("2. Mai" = "02.05.") of ``text``, normalised."""
    text = _PARAGRAPH_WORD.sub("§ ", text)  # the model writes "Paragraph 12" for the "§ 12" it read
    found = {re.sub(r"\s+", "", f).replace("§§", "§").rstrip(".,") for f in _FACT.findall(text)}
    return found | periods(text) | days(text)


def _checkable_facts(text: str, query: str | None = None) -> set[str]:
    """The facts of ``text`` a chunk can be checked against: a lone digit ("Absatz 4", "1 Jahr") occurs in
    nearly every chunk and proves nothing, and a figure the question gave ("im Januar 2020") is the
    question's, not a claim the excerpt must carry (minutes name their month in the metadata only)."""
    asked = _facts(query) if query else set()
    return {f for f in _facts(text) if not re.fullmatch(r"\d", f)} - asked


def _label_facts(doc: Document) -> set[str]:
    """The § / TOP label of a chunk as facts, with and without "§": the model writes "Absatz 17" or
    "Paragraph 17" for the "§ 17" it read in the excerpt's header."""
    facts = _facts(str(doc.meta.get("section") or ""))
    return facts | {f.lstrip("§") for f in facts}


def _best_quote(doc: Document, claim: str) -> str:
    """The sentence of ``doc`` that shares the most facts and words with ``claim`` (verbatim)."""
    sentences = split_sentences((doc.content or "").replace("\n", " \n "))
    if not sentences:
        return (doc.content or "")[:300]
    claim_words = {w.lower() for w in _WORD.findall(claim)}
    claim_facts = _facts(claim)

    def score(sentence: str) -> float:
        words = {w.lower() for w in _WORD.findall(sentence)}
        return 3 * len(claim_facts & _facts(sentence)) + len(claim_words & words)

    best = max(sentences, key=score)
    return best[:400]


def _echo(answer: str, query: str) -> bool:
    """True when the answer only repeats the question ("Ja, Kinder zahlen auch die Übernachtungsteuer"):
    no figure and fewer than two words that the question does not contain."""
    if _facts(answer) - _facts(query):
        return False  # "Konstanz verlangt für ein Einwegbesteck 0,20 €": the figure is the answer
    asked = {fold(w) for w in _WORD.findall(query)}
    said = {fold(w) for w in _WORD.findall(answer)}
    return len(said - asked) < 2


# words every amount question shares with any amount sentence; they show nothing about the topic ("ab 2026"
# asked, "ab Klassenstufe 5" in a school-bus paper's sentence with its "50.000 Euro pro Jahr")
_GENERIC_TERMS = frozenset("euro pro jahr jahrlich monat tag woch stund kost zahl betrag hoch ab".split())


# units a tariff writes short and a question in full ("Fahrpreis pro km 1,60 €" / "pro Kilometer")
_UNIT_ABBREVIATIONS = ((re.compile(r"\bkm\b"), "Kilometer"), (re.compile(r"\bqm\b|\bm²"), "Quadratmeter"))


def _topic_terms(text: str) -> set[str]:
    """Word stems and compound 5-grams of ``text`` (no numbers, § or dates): what it is about."""
    for abbreviation, word in _UNIT_ABBREVIATIONS:
        text = abbreviation.sub(word, text)
    return {t for t in terms(text) if t[0] not in "#§" and not t[0].isdigit()} - _GENERIC_TERMS


_PER_REACH = 30  # characters after a figure in which its "pro Jahr" stands ("5000 Euro pro Jahr")


def _per_another_period(query: str) -> Callable[[str], set[str]]:
    """Asked "Sitzungsgeld … pro Sitzung", the sentence "pro Stadtteilbeirat 5000 Euro pro Jahr" does not
    answer: the facts of a text that are followed by another period than the one the question asks for
    (none when the question asks for no period)."""
    asked = periods_per(query)

    def facts(text: str) -> set[str]:
        if not asked:
            return set()
        return {
            fact
            for m in _FACT.finditer(text)
            if (per := periods_per(text[m.end() : m.end() + _PER_REACH])) and not per & asked
            for fact in _facts(m.group(0))
        }

    return facts


_FRAGMENT_WORDS = 6  # a "sentence" of fewer words is a value line or list item: "4,00 Euro (Vier Euro)."


def _with_lead_in(sentences: list[str]) -> list[tuple[str, str, set[str]]]:
    """Each sentence with what introduces it when it is a fragment (the nearest earlier sentence of six
    words or more without a figure: "Die Übernachtungsteuer beträgt pro Übernachtung und
    Beherbergungsgast" for "(2) Für den Zeitraum vom 01.01.2026 …" / "4,00 Euro (Vier Euro).") and its
    :func:`_facts`."""
    lead, out = "", []
    for sentence in sentences:
        facts = _facts(sentence)
        long = len(sentence.split()) >= _FRAGMENT_WORDS
        out.append((sentence, "" if long else lead, facts))
        if long and not facts:
            lead = sentence
    return out


def _figure_on_topic(answer: str, query: str, documents: list[Document]) -> bool:
    """Asked "Was kostet ein Reisepass?", a 1.5B model answers with the nearest amount of any excerpt
    (1,50 Euro of a school-bus statute). A figure answers the question only where it stands in a sentence
    (or under a heading, or, for a value line, under the sentence introducing it: :func:`_with_lead_in`)
    that shares a word with the question, or a long compound part ("Einwegbecher" /
    "Einweggetränkeverpackung"); the town's name does not count."""
    figures = _checkable_facts(answer, query)
    if not figures:
        return True
    on_topic = _on_topic(query, documents)
    places = places_named(query)
    per_another_period = _per_another_period(query)
    for doc in documents:
        heading = str(doc.meta.get("heading") or "")
        beside = _beside_other_places(doc, places)
        for sentence, lead, facts in _with_lead_in(
            split_sentences((doc.content or "").replace("\n", " \n "))
        ):
            stated_here = figures & (facts - per_another_period(sentence))
            if (
                stated_here
                and on_topic(f"{heading}\n{lead}\n{sentence}")
                and (beside is None or stated_here & beside)
            ):
                return True
    return False


_BESIDE_A_PLACE = 60  # characters after a place's name that belong to it (a row of a comparison table)


def _beside_other_places(doc: Document, places: frozenset[str]) -> set[str] | None:
    """Asked about Stuttgart, a Karlsruhe council paper answers only with its comparison table's row
    "Stuttgart 108,00 Euro", not with Karlsruhe's own 144,00 Euro: the facts standing right after the
    places the question names that are not the document's own town (None: no such place, or a law
    without a town, which holds everywhere)."""
    own = fold(
        f"{doc.meta.get('municipality') or ''} {doc.meta.get('title') or ''} {doc.meta.get('body') or ''}"
    )
    other = [p for p in places if fold(p) not in own]
    if not other or not doc.meta.get("municipality"):
        return None
    text = doc.content or ""
    return {
        fact
        for place in other
        for match in re.finditer(rf"\b{re.escape(place)}\b", text, re.I)
        for fact in _facts(text[match.end() : match.end() + _BESIDE_A_PLACE])
    }


def _on_topic(query: str, documents: list[Document]) -> Callable[[str], bool]:
    """Whether a text is about the question: it shares a word with it (not the excerpts' town), five
    5-grams of a compound, or a compound's head ("Zweitwohnungssteuer" / "Die Steuer beträgt")."""
    towns = set().union(*(_topic_terms(str(d.meta.get("municipality") or "")) for d in documents))
    asked = _topic_terms(query) - towns
    words = {fold(w) for w in _WORD.findall(query)}

    def on_topic(text: str) -> bool:
        shared = asked & _topic_terms(text)
        grams = sum(1 for t in shared if t.startswith("~"))
        return len(shared) > grams or grams >= 5 or _shares_a_head(words, text)

    return on_topic


# heads that every levy or tariff sentence carries: "Gebühr" asked does not make "Benutzungsgebühr" the topic
_GENERIC_HEADS = frozenset(
    fold(w)
    for w in ("gebühr", "gebühren", "steuer", "betrag", "beträge", "preis", "preise", "kosten", "entgelt")
)


def _shares_a_head(question_words: set[str], text: str) -> bool:
    """A compound of the question ends with a word of ``text`` ("Zweitwohnungssteuer" / "Die Steuer
    beträgt"), or a word of the question ends a compound of ``text`` ("Gewerbe" / "Gaststättengewerbe",
    "Hundesteuer" / "Zwingerhundesteuer"), not with a head every tariff has ("Gebühr"); heads shorter than
    5 letters ("Büro") say too little."""
    words = {fold(w) for w in _WORD.findall(text) if len(w) >= 5}
    compounds = {q for q in question_words if len(q) >= 8}
    heads = {q for q in question_words if len(q) >= 5} - _GENERIC_HEADS
    return any(q != w and q.endswith(w) for q in compounds for w in words) or any(
        q != w and w.endswith(q) for q in heads for w in words
    )


_SOURCE_LABEL = re.compile(r"^\s*(?:Belege?|Quellen?|Auszug|Fundstelle)\s*(?:\[\d+\])?\s*:(.*)$", re.I | re.S)


def _is_source_label(line: str) -> bool:
    """A line "Beleg [3]: § 7 (Konstanz) [2]" echoes the prompt's excerpt header; the citations show it."""
    m = _SOURCE_LABEL.match(line)
    return m is not None and len(_WORD.findall(_CITE.sub("", m.group(1)))) < 3


_YES_OR_NO = re.compile(r"^\W*(?:ja|nein)\b", re.I)
QUOTE_CHARS = 420  # the passage a yes/no question is answered with (two or three sentences)


def _quoted_answer(
    query: str,
    documents: list[Document],
    holds: Callable[[str], bool] | None = None,
    in_a_section: bool = False,
) -> tuple[str, int] | None:
    """Asked "Zahlen Kinder auch die Übernachtungsteuer?", the 1.5B model echoes "Ja, Kinder zahlen …"
    whatever the excerpt says. Instead of that echo: the passage of the excerpts around the question's
    words, verbatim ("Ausgenommen … ist die Beherbergung von Kindern … bis zum vollendeten 18.
    Lebensjahr."), when its chunk (with its document's title) names most of the question's nouns (the
    passage of "dürfen nicht in das Inland eingeführt" stops before the chunk's "aus dem Ausland") and ``holds``
    what was asked (:func:`_holds_a_figure`, :func:`_holds_a_vote`); ``in_a_section``: only chunks labelled
    with their § / Artikel (asked where a rule stands, the answer's "Fundstelle" names it). Returns the
    answer and the number of the excerpt quoted, or None."""
    towns = {str(d.meta["municipality"]) for d in documents if d.meta.get("municipality")}
    asked = _topic_terms(query)
    best: tuple[int, int, str] | None = None  # (shared words, excerpt number, passage)
    for number, doc in enumerate(documents, 1):
        about = f"{doc.meta.get('title') or ''} {doc.meta.get('municipality') or ''}"
        passage = re.sub(r"\s+", " ", focus(query, doc.content or "", QUOTE_CHARS, about=about)).strip()
        shared = len(asked & _topic_terms(passage))
        label = f"{doc.meta.get('title') or ''} {doc.meta.get('heading') or ''}"  # what the passage is about
        if (holds is not None and not holds(passage)) or (in_a_section and not doc.meta.get("section")):
            continue
        if names_most_of(query, f"{label} {doc.content or ''}", towns) and (
            best is None or shared >= best[0]
        ):
            best = (shared, number, passage)  # ties: the later excerpt, read closest to the question
    if best is None:
        return None
    return f"Die Dokumente sagen dazu: „{best[2]}“", best[1]


# "Wann ist die Sitzung?" asks for a day or an hour; "Bis wann", "wie lange", "Frist" may be answered by a period
_AT_A_TIME = re.compile(r"^(?!.*\b(?:bis wann|wie lange|frist\w*|innerhalb)\b).*\bwann\b", re.I | re.S)


def _holds_a_figure(query: str) -> Callable[[str], bool]:
    """A passage answers a figure question when it holds a figure the question did not give: money if a
    price was asked, money or a percentage if a sum was, a date or time of day if "wann" was, or a period
    if "bis wann" / "wie lange" was ("die 2. Sitzung im Jahr 2023" or "innerhalb von acht Tagen" do not say
    when a meeting is); a figure per another period than asked ("5000 Euro pro Jahr" for "pro Sitzung")
    does not count."""
    per_another_period = _per_another_period(query)
    return lambda passage: bool(
        _checkable_facts(passage, query) - per_another_period(passage)
        and (MONEY.search(passage) or not ASKS_FOR_PRICE.search(query))
        and (AMOUNT.search(passage) or not ASKS_FOR_SUM.search(query))
        and (
            WHEN.search(passage)
            or not (ASKS_DEADLINE.search(query) or ASKS_PERIOD.search(query))
            or (DEADLINE.search(passage) and not _AT_A_TIME.search(query))
        )
    )


def _holds_a_vote(passage: str) -> bool:
    """A passage answers "wie ist abgestimmt worden" when it holds a result ("Mehrheitliche Zustimmung (41 Ja,
    6 Nein)", "vertagt")."""
    return bool(VOTE.search(passage))


def _without_trailing_refusal(text: str) -> str:
    """Small models often answer and then append the refusal formula ("... 0,20 € [3]. Dazu enthalten die
    Dokumente keine Angabe."). An answer that *starts* with the refusal stays a refusal; after content,
    refusal sentences are dropped and the content is checked like any other answer."""
    text = "\n".join(line for line in text.split("\n") if not _is_source_label(line))
    sentences = split_sentences(text.replace("\n", " \n ")) or [text]
    if not sentences or _REFUSAL_HINTS.search(_CITE.sub("", sentences[0])):
        return text
    kept = [s for s in sentences if not _REFUSAL_HINTS.search(_CITE.sub("", s))]
    return " ".join(kept).replace(" \n ", "\n").strip()


def _supports(doc: Document, claim: str, query: str | None = None) -> bool:
    """A chunk supports a claim when every amount, date or § number the claim states occurs in it."""
    facts = _checkable_facts(claim, query)
    if not facts:
        return True
    content = _facts(doc.content or "") | _label_facts(doc)
    return facts <= content or len(facts & content) >= max(1, len(facts) - 1)


def _closest_in_words(claim: str, cited: list[int], documents: list[Document]) -> list[int]:
    """A claim without figures ("Ein Kinderreisepass ist ein Jahr gültig") cites the excerpt that shares
    its words: a cited excerpt sharing less than half the words the best excerpt shares gives way to it.
    An excerpt's words include its title and heading: a chunk that repeats its page header ("Satzung über die
    Erhebung einer Hundesteuer im Gebiet der Gemeinde Linsengericht") must not win by the header alone over
    the chunk "§ 10 Meldepflicht" the model cited."""
    words = {fold(w) for w in _WORD.findall(claim)}

    def shared(n: int) -> int:
        doc = documents[n - 1]
        text = f"{doc.meta.get('title') or ''} {doc.meta.get('heading') or ''} {doc.content or ''}"
        return len(words & {fold(w) for w in _WORD.findall(text)})

    best = max(range(1, len(documents) + 1), key=shared)
    if all(2 * shared(n) < shared(best) for n in cited):
        return [best]
    return cited


def _headed_as_asked(query: str, cited: list[int], documents: list[Document]) -> list[int]:
    """Asked where a rule stands ("In welchem Paragraphen ... ist die Meldepflicht geregelt?"), a claim
    without a figure cites the excerpt whose own heading names what was asked ("§ 10 Meldepflicht") when
    the cited ones' headings name less of it (the 1.5B model cites [1], whichever excerpt that is)."""

    def overlap(n: int) -> int:
        meta = documents[n - 1].meta
        return heading_overlap(query, str(meta.get("heading") or "")) if meta.get("section") else 0

    best = max(range(1, len(documents) + 1), key=overlap)
    if overlap(best) > max(overlap(n) for n in cited):
        return [best]
    return cited


def _dated_in_force(answer: str, documents: list[Document]) -> bool:
    """A calendar day of ``answer`` stands in an excerpt sentence saying that something takes effect ("Die
    letzte Änderung … tritt am 1. Juni 2026 in Kraft", "gültig ab 01.06.2026"); an answer without a day
    passes (the other checks judge it)."""
    wanted = days(answer)
    return not wanted or any(
        IN_FORCE.search(sentence) and days(sentence) & wanted
        for d in documents
        for sentence in split_sentences(d.content or "")
    )


def _refusal_reason(bare: str, query: str | None, documents: list[Document]) -> str | None:
    """Why the reply (without its [n] marks) must become the fixed refusal, or None: the refusals decided
    in code after generation (the shipped 1.5B model does not refuse by itself)."""
    # "Der Tageshöchstsatz ist 50,00 €." is content: one long word and a figure
    words = len(_WORD.findall(bare)) + (1 if _checkable_facts(bare, query) else 0)
    if not documents or words < 2 or _REFUSAL_HINTS.search(bare):
        return "no usable content or the model says the excerpts are silent"
    if query:
        if _echo(bare, query):
            return ECHO
        asks_for_figure = ASKS_FOR_FIGURE.search(query)
        if asks_for_figure and not _facts(bare):
            # asked "wie viel", "wann" or "wie lange", answered without any figure: the excerpts did not have it
            return NO_FIGURE
        if ASKS_FOR_PRICE.search(query) and not MONEY.search(bare):
            return NO_PRICE
        if ASKS_FOR_SUM.search(query) and not AMOUNT.search(bare):
            return NO_SUM  # "bis zu welchem Jahresbetrag" answered "bis zum 31.07."
        if ASKS_PERIOD.search(query) and not (periods(bare) or DEADLINE.search(bare)):
            return NO_PERIOD  # "Innerhalb welcher Frist muss ich die Zweitwohnung melden?" answered "unverzüglich"
        if ASKS_FOR_VOTE.search(query) and not VOTE.search(bare):
            return NO_VOTE  # "Die Erhöhung wurde am 21. Oktober 2025 über die Vorbemerkung Kenntnis und beschließt"
        if asks_for_figure and not _figure_on_topic(bare, query, documents):
            return OFF_TOPIC_FIGURE  # "890,00 € für eine Grabstätte" asked about the church-leaving fee
        if ASKS_IN_FORCE.search(query) and not _dated_in_force(bare, documents):
            return NOT_IN_FORCE  # "gelten ab dem 26. Januar 2021": the paper's "zuletzt geändert am 26. Januar 2021"
    stated = _checkable_facts(bare, query)
    given = set().union(*(_facts(d.content or "") | _label_facts(d) for d in documents))
    if stated and not stated & given:
        # every amount, date and § the answer states is missing from all excerpts: invented
        return "figures in no excerpt"
    return None


@component
class CitedAnswerBuilder:
    """
    Checks and renumbers the [n] citations of a generated answer.

    * a citation must name one of the excerpts the model was given, else it is removed;
    * a cited excerpt must contain the amounts, dates and § numbers of the sentence citing it, else
      the citation moves to an excerpt that does, or is removed and the answer marked ``unverified``;
    * citations are renumbered 1..n in order of appearance, each with a verbatim quote from its chunk;
    * an answer that says the documents are silent becomes the fixed refusal with ``refused=True``.

    Usage example:
    ```python
    builder = CitedAnswerBuilder()
    result = builder.run(replies=[ChatMessage.from_assistant("Die Steuer beträgt 0,20 € [1].")], documents=docs)
    result["answer"]["citations"][0]["quote"]
    ```
    """

    def __init__(self) -> None:
        pass

    @component.output_types(answer=dict[str, Any])
    def run(
        self, replies: list[ChatMessage], documents: list[Document], query: str | None = None
    ) -> dict[str, Any]:
        raw = (replies[0].text or "").strip() if replies else ""
        logger.debug("model reply: %r", raw)
        # "Paragraph 12" as statutes write it: "§ 12"
        text = _PARAGRAPH_WORD.sub("§ ", _without_trailing_refusal(raw))
        bare = _CITE.sub("", text)
        if reason := _refusal_reason(bare, query, documents):
            # the model echoed the question or gave no figure: the excerpts' own words, where they answer
            if not query:
                quoted = None
            elif reason == ECHO and _YES_OR_NO.match(bare):
                quoted = _quoted_answer(query, documents, in_a_section=bool(ASKS_FOR_PROVISION.search(query)))
            elif reason == NOT_IN_FORCE:
                quoted = _quoted_answer(query, documents, lambda p: bool(IN_FORCE.search(p) and days(p)))
            elif reason in _FIGURE_MISSED and (ASKS_FOR_FIGURE.search(query) or ASKS_PERIOD.search(query)):
                quoted = _quoted_answer(query, documents, _holds_a_figure(query))
            elif reason == NO_VOTE or (reason == ECHO and ASKS_FOR_VOTE.search(query)):
                quoted = _quoted_answer(query, documents, _holds_a_vote)
            else:
                quoted = None
            if quoted is None:
                return {"answer": refusal(reason)}
            logger.debug("reply %r (%s) replaced by a quote", bare, reason)
            passage, number = quoted
            doc = documents[number - 1]
            citations = [citation_of(doc, _best_quote(doc, passage))]
            note = provision_note(citations) if ASKS_FOR_PROVISION.search(query or "") else ""
            answer_text = "\n\n".join(x for x in (f"{passage} [1]", note, version_note(citations)) if x)
            return {
                "answer": {
                    "answer": answer_text,
                    "citations": citations,
                    "refused": False,
                    "unverified": False,
                    "generated": False,  # the documents' own words, picked in code
                }
            }
        sentences = split_sentences(text.replace("\n", " \n ")) or [text]
        order: list[int] = []
        unverified = False
        rebuilt: list[str] = []
        for sentence in sentences:
            cited = [int(n) for group in _CITE.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)]
            claim = _CITE_WITH_SPACE.sub("", sentence).strip()
            valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(documents)]
            claimed = _checkable_facts(claim, query)
            if valid and claim and not claimed:
                valid = _closest_in_words(claim, valid, documents)
                if query and ASKS_FOR_PROVISION.search(query):
                    valid = _headed_as_asked(query, valid, documents)
            supported = [n for n in valid if _supports(documents[n - 1], claim, query)]
            if valid and not supported:
                alternatives = [
                    i + 1 for i, d in enumerate(documents) if claimed and _supports(d, claim, query)
                ]
                supported = alternatives[:1]
                unverified = unverified or not supported
            if not cited and claimed and claim:
                alternatives = [i + 1 for i, d in enumerate(documents) if _supports(d, claim, query)]
                supported = alternatives[:1]
            marks = ""
            for n in supported:
                if n not in order:
                    order.append(n)
                marks += f"[{order.index(n) + 1}]"
            rebuilt.append(self._place_marks(claim, marks))
        if not order:
            # the model gave no usable citation: attach the excerpt that best supports the answer
            best = max(
                range(len(documents)),
                key=lambda i: (
                    len(_facts(text) & _facts(documents[i].content or "")) * 3
                    + len(
                        {w.lower() for w in _WORD.findall(text)}
                        & {w.lower() for w in _WORD.findall(documents[i].content or "")}
                    )
                ),
            )
            order.append(best + 1)
            rebuilt[-1] = rebuilt[-1] + " [1]"
        answer_text = " ".join(s for s in rebuilt if s).replace(" \n ", "\n").strip()
        citations = []
        for n in order:
            doc = documents[n - 1]
            claims = _CITE.sub("", " ".join(s for s in rebuilt if f"[{order.index(n) + 1}]" in s))
            citations.append(citation_of(doc, _best_quote(doc, claims or answer_text)))
        notes = [version_note(citations)]
        if query and ASKS_FOR_PROVISION.search(query):
            notes.insert(0, provision_note(citations))
        if notes := [n for n in notes if n]:
            answer_text = f"{answer_text}\n\n" + "\n".join(notes)
        return {
            "answer": {
                "answer": answer_text,
                "citations": citations,
                "refused": False,
                "unverified": unverified,
                "generated": True,
            }
        }

    @staticmethod
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
    versions: dict[str, str] = {}  # "<title>, gültig ab <date>" -> "[1][2]" (one document cited twice)
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
    places: dict[str, str] = {}  # "<title>, <section>" -> "[1][2]"
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
        "page": meta.get("page_number"),
        "quote": quote,
        "section": meta.get("section") or None,
        "heading": meta.get("heading") or None,
        "doc_type": meta.get("doc_type"),
        "municipality": meta.get("municipality"),
        "date": meta.get("date"),
        "valid_from": meta.get("valid_from"),
        "score": round(float(doc.score), 4) if doc.score is not None else None,
    }


def refusal(reason: str = "", note: str = "") -> dict[str, Any]:
    """The fixed refusal; ``note``: a sentence for the reader after it (why the documents are silent)."""
    if reason:
        logger.debug("refused: %s", reason)
    answer = f"{REFUSAL} {note}" if note else REFUSAL
    return {"answer": answer, "citations": [], "refused": True, "unverified": False, "generated": False}
