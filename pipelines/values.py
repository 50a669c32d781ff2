"""The values a sentence states, by type: money, percentages, measures, periods, dates, times of day,
numbers, vote results, § labels. A parser of German number and date notation, not a list of questions.

Used to see whether a sentence can answer a question of some kind (pipelines/question.py ``answered_by``)
and to check that every figure an answer states stands in the evidence it cites (normalised: "zwei
Wochen" = "2 Wochen", "1. März 2026" = "01.03.2026", "1.500,00 €" = "1500,00").
"""

from __future__ import annotations

import re

MONTHS = ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "dezember")  # fmt: skip
_MONTHS = "|".join(MONTHS)
NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eines": 1, "zwei": 2, "drei": 3, "vier": 4,
    "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16, "achtzehn": 18, "zwanzig": 20,
    "dreißig": 30, "vierzig": 40, "fünfzig": 50, "hundert": 100,
}  # fmt: skip
ORDINAL_WORDS = {
    "ersten": 1, "zweiten": 2, "dritten": 3, "vierten": 4, "fünften": 5, "sechsten": 6, "siebten": 7,
    "achten": 8, "neunten": 9, "zehnten": 10, "elften": 11, "zwölften": 12, "vierzehnten": 14,
    "fünfzehnten": 15, "sechzehnten": 16, "achtzehnten": 18, "zwanzigsten": 20, "dreißigsten": 30,
}  # fmt: skip
_NUM = r"\d+(?:[.,]\d+)*(?:,-)?"
_COUNT = rf"(?:\d+(?:,\d+)?|{'|'.join(NUMBER_WORDS)})"

PATTERNS: dict[str, re.Pattern[str]] = {
    "money": re.compile(rf"{_NUM}\s*(?:€|euro\b|eur\b)|(?:€|\beur)\s*{_NUM}", re.I),
    "percent": re.compile(rf"{_NUM}\s*(?:%|prozent\b|v\.\s?h\.|vom hundert\b|von hundert\b)", re.I),
    "measure": re.compile(
        rf"{_NUM}\s*(?:m²|m³|m2|m3|qm|cm|mm|km|kw|ps|ha|kg|liter\b|meter\b|quadratmeter\b|kubikmeter\b|"
        r"m\b|t\b|db\b|dezibel\b)",
        re.I,
    ),
    "period": re.compile(
        rf"\b{_COUNT}\s+(?:\w+\s+)?(?:minute|minuten|stunde|stunden|tag|tage|tagen|tages|werktag\w*|kalendertag\w*|"
        r"woche|wochen|monat|monate|monaten|monats|jahr|jahre|jahren|jahres|lebensjahr\w*)\b"
        rf"|\b(?:{'|'.join(ORDINAL_WORDS)}|\d+\.)\s+(?:tag|werktag|lebensjahr)\w*\b"
        r"|\b(?:unverzüglich|sofort|jederzeit|täglich|wöchentlich|monatlich|jährlich|halbjährlich|vierteljährlich)\b",
        re.I,
    ),
    "date": re.compile(
        rf"\b\d{{1,2}}\.\s?(?:\d{{1,2}}\.(?:\s?\d{{2,4}})?|(?:{_MONTHS})\b(?:\s+\d{{4}})?)"
        rf"|\b(?:{_MONTHS})\s+\d{{4}}\b|\b(?:19|20)\d\d\b",
        re.I,
    ),
    "time": re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s*uhr\b|\b\d{1,2}:\d{2}\b", re.I),
    "number": re.compile(rf"\d|\b(?:{'|'.join(NUMBER_WORDS)})\b", re.I),
    "vote": re.compile(
        r"\d+\s*(?:ja|nein)\b|\d+\s*(?:ja-|gegen)?stimmen|einstimmig\w*|mehrheitlich\w*|ohne gegenstimme\w*|"
        r"\benthaltung\w*|vertagt|zurückgestellt|zurückgezogen|abgelehnt|zugestimmt|angenommen|"
        r"beschlossen|zustimmung|ablehnung",
        re.I,
    ),
}


def holds(text: str, types: tuple[str, ...] | list[str] | frozenset[str]) -> bool:
    """Whether ``text`` states a value of one of ``types`` (empty: any text holds)."""
    return not types or any(PATTERNS[t].search(text) for t in types)


_FIGURE = re.compile(r"§+\s*\d+[a-z]?|\d+(?:[.,]\d+)*")
_MONTH_DAY = re.compile(rf"\b(\d{{1,2}})\.\s?({_MONTHS})\b", re.I)
_NUMERIC_DAY = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.")
_PERIOD = re.compile(
    rf"\b(\d+|{'|'.join(NUMBER_WORDS)})\s+(minute|stunde|tag|werktag|woche|monat|jahr)(?:e|en|es|n|s)?\b",
    re.I,
)
_ORDINAL_DAY = re.compile(rf"\b({'|'.join(ORDINAL_WORDS)})\s+(tag|werktag)(?:e|en|es|s)?\b", re.I)
_PARAGRAPH_WORD = re.compile(r"\bparagra(?:ph|f)(?:en|s)?\s+(?=\d)", re.I)


_TIME = re.compile(r"\b(\d{1,2})(?:[:.,](\d{2}))?\s*uhr\b|\b(\d{1,2}):(\d{2})\b", re.I)


def _time_of_day(m: re.Match[str]) -> str:
    hours, minutes = (m[1], m[2]) if m[1] else (m[3], m[4])
    return f"{int(hours)}:{minutes or '00'} uhr"


def facts(text: str) -> set[str]:
    """The figures of ``text`` as comparable facts: amounts and numbers as written ("0,20", "1.500"),
    § labels ("§5"), calendar days however written ("2. Mai" = "02.05."), periods ("zwei Wochen" =
    "2 woche"), times of day ("22.00 Uhr" = "22 Uhr" = "22:00" -> "22:00 uhr", not the numbers 22 and 00)."""
    text = _PARAGRAPH_WORD.sub("§ ", text)
    found = {_time_of_day(m) for m in _TIME.finditer(text)}
    text = _TIME.sub(" ", text)
    found |= {re.sub(r"\s+", "", f).replace("§§", "§").rstrip(".,") for f in _FIGURE.findall(text)}
    found |= {f"{int(d):02d}.{MONTHS.index(m.lower()) + 1:02d}." for d, m in _MONTH_DAY.findall(text)}
    found |= {f"{int(d):02d}.{int(m):02d}." for d, m in _NUMERIC_DAY.findall(text) if 1 <= int(m) <= 12}
    found |= {
        f"{n if n.isdigit() else NUMBER_WORDS[n.lower()]} {unit.lower()}" for n, unit in _PERIOD.findall(text)
    }
    found |= {f"{ORDINAL_WORDS[n.lower()]} {unit.lower()}" for n, unit in _ORDINAL_DAY.findall(text)}
    return found


def checkable(found: set[str]) -> set[str]:
    """The facts that prove something when found in a text: a lone digit ("Absatz 4") is in every chunk."""
    return {f for f in found if not re.fullmatch(r"\d", f)}
