"""German keyword terms for the sparse (keyword) side of hybrid search.

Terms are: Snowball stems of words after case and umlaut folding; character 5-grams of long words, so
that a compound like "Hundesteuersatzung" shares terms with "Hundesteuer"; § and Absatz references
("§ 4 Abs. 2" -> "§4", "§4abs2"); amounts and numbers as written ("0,20", "2025"); ISO dates from German
dates ("16.05.2024" -> "2024-05-16"). Terms are hashed into a fixed index space; Qdrant applies IDF.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from functools import lru_cache

import snowballstemmer

INDEX_SPACE = 2**31 - 1
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "é": "e"})
_WORD = re.compile(r"[a-zäöüß]+", re.I)
_PARAGRAPH = re.compile(
    r"§{1,2}\s*(\d+[a-z]?)(?:\s*(?:Abs\.?|Absatz)\s*(\d+))?(?:\s*(?:S\.|Satz)\s*(\d+))?", re.I
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_DATE = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\b")
_STOP = frozenset(
    """aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch auf aus bei
    bin bis bist da damit dann das dass dasselbe dazu dein dem den denn der des desselben dessen dich die dies diese
    dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines er es euer
    für hat hatte hier hin ich ihr im in ist ja jede jedem jeden jeder jedes kann kein mit muss nach nicht noch nun
    nur ob oder ohne sehr sein seine sich sie sind so solche soll sondern sowie über um und uns unter vom von vor war
    was weil welche wenn werden wie wieder will wir wird wo zu zum zur zwar zwischen wieviel viel wer wann welcher
    welches gibt gilt darf dürfen muss müssen mir mich mein meine meinem meinen habe haben ich""".split()
)
STOP_WORDS = frozenset(fold_word for w in _STOP for fold_word in (w, w.translate(_FOLD)))
_stemmer = snowballstemmer.stemmer("german")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower case without umlauts and ß ("Übernachtungsteuer" -> "ubernachtungsteuer")."""
    return text.lower().translate(_FOLD)


def stem(word: str) -> str:
    """The Snowball German stem of a folded word ("turnhalle" -> "turnhall")."""
    return str(_stemmer.stemWord(word))


def _term_id(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) % INDEX_SPACE


def terms(text: str) -> Counter[str]:
    """The keyword terms of ``text`` with their counts."""
    counts: Counter[str] = Counter()
    for m in _PARAGRAPH.finditer(text):
        counts[f"§{m.group(1).lower()}"] += 1
        if m.group(2):
            counts[f"§{m.group(1).lower()}abs{m.group(2)}"] += 1
    for m in _DATE.finditer(text):
        counts[f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"] += 1
    for number in _NUMBER.findall(text):
        counts[f"#{number}"] += 1
    for raw in _WORD.findall(text):
        word = raw.lower()
        if len(word) < 2 or word in _STOP:
            continue
        folded = word.translate(_FOLD)
        counts[stem(folded)] += 1
        if len(folded) >= 9:
            for i in range(len(folded) - 4):
                counts[f"~{folded[i : i + 5]}"] += 1
    return counts


def sparse_vector(text: str, query: bool = False) -> tuple[list[int], list[float]]:
    """Hashed term ids and weights: saturated term frequency for documents (BM25-like), 1 for queries."""
    counts = terms(text)
    merged: dict[int, float] = {}
    for term, tf in counts.items():
        weight = 1.0 if query else tf * 2.2 / (tf + 1.2)
        if term.startswith("~"):
            weight *= 0.3  # n-grams help compounds match but must not outweigh whole words
        index = _term_id(term)
        merged[index] = merged.get(index, 0.0) + weight
    indices = sorted(merged)
    return indices, [merged[i] for i in indices]


_SUSPENDED = re.compile(
    r"\b([A-ZÄÖÜ][a-zäöüß]{4,})((?:(?:,\s*|\s+(?:und|oder|bzw\.|sowie)\s+)-[a-zäöüß]{3,})+)"
)


def expand_suspended_compounds(text: str, context: str | None = None) -> str:
    """Writes out German suspended compounds: "Einwegdose, -flasche, -becher" -> "Einwegdose, Einwegflasche,
    Einwegbecher", so that a question about an "Einwegbecher" finds its word in the text.

    The shared first part is the longest prefix of the first word that other words of ``text`` continue in at
    least two different ways ("Einweg" in Einwegdose, Einweggeschirr, Einwegbesteck); without such evidence
    the text stays as it is. ``context``: a longer text the evidence may come from (the chunk of a sentence).
    """
    if " -" not in text:
        return text
    words = {w.lower() for w in _WORD.findall(context or text)}

    def prefix_of(first: str) -> str | None:
        lower = first.lower()
        for end in range(len(lower) - 3, 2, -1):
            stem = lower[:end]
            continuations = {w[end] for w in words if len(w) > end and w.startswith(stem)}
            if len(continuations) >= 2:
                return first[:end]
        return None

    def expand(m: re.Match[str]) -> str:
        prefix = prefix_of(m.group(1))
        if prefix is None:
            return m.group(0)
        tails = re.sub(r"-([a-zäöüß]{3,})", lambda t: prefix + t.group(1), m.group(2))
        return m.group(1) + tails

    return _SUSPENDED.sub(expand, text)


# words of a § heading that say nothing about what its § rules
_HEADING_NOISE = frozenset(
    stem(w)
    for w in "abschnitt vorschrift vorschriften satzung gesetz welche welcher paragraph paragraphen".split()
)


def _content_stems(text: str) -> set[str]:
    words = (w for w in re.findall(r"[a-zäöüß]{5,}", text.lower()) if w not in _STOP)
    return {stem(fold(w)) for w in words} - _HEADING_NOISE


def heading_overlap(query: str, heading: str) -> int:
    """How many words of a chunk's own heading (the last part of "BMG > Abschnitt 3 > § 17 Anmeldung,
    Abmeldung") the question shares, by stem."""
    own = heading.rsplit(">", 1)[-1]
    return len(_content_stems(query) & _content_stems(re.sub(r"§+\s*\d+\w*", " ", own)))
