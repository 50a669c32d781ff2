"""What a German question asks for, and whether a text holds such a thing (regular expressions).

One place for the patterns the retrieval and answer steps share: the ranker moves chunks holding an
amount or a date up for questions that want one (``ASKS_AMOUNT`` / ``AMOUNT``, ``ASKS_DATE`` / ``WHEN``:
a date or a time of day);
the passage of a chunk shown to the model prefers the sentence with the amount, date or period asked for
(``ASKS_DEADLINE`` / ``DEADLINE`` add periods and times of day: pipelines/excerpts.py); the answer builder refuses replies that do not give what was asked (``ASKS_FOR_FIGURE``,
``ASKS_FOR_PRICE`` / ``MONEY``; ``periods`` reads "drei Jahre" as "3 Jahren", ``days`` "2. Mai" as "02.05.", ``periods_per`` "pro Jahr"
and "jährlich" as the same period) and names the provision when asked for it
(``ASKS_FOR_PROVISION``).
The patterns differ on purpose: moving a chunk up or choosing a passage is cheap when wrong, refusing an
answer is not, so the refusal patterns are the narrower ones (measured with benchmarks/quality.py).
"""

from __future__ import annotations

import re

# "Wie hoch ist die Hundesteuer?" is answered by "§ 5 Steuersatz ... 110,00 Euro", not by "§ 1 Steuergegenstand"
ASKS_AMOUNT = re.compile(
    r"\b(?:wie ?viel\w*|wie hoch|was kostet|was kosten|was zahl\w*|welche[mnrs]? [\w-]*(?:betrag|satz|gebühr|preis)\w*|"
    r"[\w-]*(?:hebesatz|steuersatz|prozentsatz|höchstsatz|höchstbetrag|kilometerpreis))\b",
    re.I,
)
AMOUNT = re.compile(
    r"\d(?:[\d.,]*\d)?(?:,-|\.-)?\s*(?:€|euro\b|eur\b|%|prozent\b|vom hundert\b|v\.\s?h\.)|(?:€|EUR)\s*\d",
    re.I,
)  # "140.- €" too
ASKS_DATE = re.compile(
    r"\b(?:wann|(?:ab|bis zu) welchem (?:datum|tag|zeitpunkt|termin)|welche[nrs]? frist|fällig\w*)\b", re.I
)
# German month names in order (metadata and the eval read dates with them too)
MONTHS = ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "dezember")  # fmt: skip
_MONTHS = "|".join(MONTHS)
DATE = re.compile(rf"\b\d{{1,2}}\.\s?(?:\d{{1,2}}\.(?:\s?\d{{2,4}})?|(?:{_MONTHS})\b)", re.I)
# what answers "wann" besides a date: a time of day ("von 10 bis 22 Uhr", "bis 7.00 Uhr"; opening hours)
WHEN = re.compile(DATE.pattern + r"|\b\d{1,2}(?:[:.]\d{2})?\s*uhr\b", re.I)
# what answers "bis wann / wie lange / innerhalb welcher Frist": a date, a period ("8 Wochen", "sechs
# Wochen", "fünfzehnten Tag") or a time of day ("18:00 Uhr")
ASKS_DEADLINE = re.compile(
    r"\b(?:wann|wie lange|wie ?viel zeit|wie viele (?:tage|wochen|monate)|(?:ab|bis zu) welchem (?:datum|tag|zeitpunkt|termin)|"
    r"welche[nrs]? frist|innerhalb welche[rs]|fällig\w*)\b",
    re.I,
)
_COUNT = r"(?:\d+|ein\w*|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|\w+zehn\w*|\w+zig\w*|\w+ten|\w+sten)"
DEADLINE = re.compile(
    DATE.pattern
    # an age is not a period: "Kinder unter 3 Jahre", "mind. 2 Jahre alt"
    + rf"|(?<!unter )(?<!über )\b{_COUNT}\s+(?:\w+\s+)?(?:tag|tage|tagen|tages|woche|wochen|monat|monate|monaten|monats|jahr|jahre|jahren|jahres|werktag\w*)\b(?!\s+alt\b)"
    + r"|\b\d{1,2}[:.]\d{2}\s*uhr\b|\b\d{1,2}:\d{2}\b",
    re.I,
)

_MONTH_DAY = re.compile(rf"\b(\d{{1,2}})\.\s?({_MONTHS})\b", re.I)
_NUMERIC_DAY = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.")


def days(text: str) -> set[str]:
    """The calendar days of ``text`` as facts, however written: "2. Mai", "02.05." and "2.5.2026" are all
    "02.05." (a lone "2" of "2. Mai" proves nothing; the day does)."""
    found = {f"{int(d):02d}.{MONTHS.index(m.lower()) + 1:02d}." for d, m in _MONTH_DAY.findall(text)}
    found |= {f"{int(d):02d}.{int(m):02d}." for d, m in _NUMERIC_DAY.findall(text) if 1 <= int(m) <= 12}
    return {f for f in found if 1 <= int(f[:2]) <= 31}


_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eines": 1, "zwei": 2, "drei": 3, "vier": 4,
    "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "fünfzehn": 15, "zwanzig": 20, "dreißig": 30,
}  # fmt: skip
# ordinals that count days to a deadline ("bis zum fünfzehnten Tag nach Ablauf", "am dritten Werktag")
_ORDINAL_WORDS = {
    "ersten": 1, "zweiten": 2, "dritten": 3, "vierten": 4, "fünften": 5, "sechsten": 6, "siebten": 7,
    "achten": 8, "neunten": 9, "zehnten": 10, "elften": 11, "zwölften": 12, "vierzehnten": 14,
    "fünfzehnten": 15, "zwanzigsten": 20, "dreißigsten": 30,
}  # fmt: skip
# a period with its count in digits or words (stricter than DEADLINE, which only chooses a passage)
_PERIOD = re.compile(
    r"\b(\d+|" + "|".join(_NUMBER_WORDS) + r")\s+(stunde|tag|woche|monat|jahr)(?:e|en|es|n|s)?\b", re.I
)
_ORDINAL_DAY = re.compile(r"\b(" + "|".join(_ORDINAL_WORDS) + r")\s+(tag|werktag)(?:e|en|es|s)?\b", re.I)


def periods(text: str) -> set[str]:
    """The periods of ``text`` as facts: "drei Jahre" and "3 Jahren" are both "3 jahr"; the day a deadline
    counts to as well ("bis zum fünfzehnten Tag" is "15 tag")."""
    found = {
        f"{count if count.isdigit() else _NUMBER_WORDS[count.lower()]} {unit.lower()}"
        for count, unit in _PERIOD.findall(text)
    }
    return found | {f"{_ORDINAL_WORDS[n.lower()]} {unit.lower()}" for n, unit in _ORDINAL_DAY.findall(text)}


# what a figure is per: "pro Sitzung", "je angefangene Stunde", "im Kalenderjahr", "je Beförderungsmonat",
# "jährlich" ("im Jahr 2026" is a year, not a period)
_PER_PERIOD = re.compile(
    r"\b(?:pro|je|im|jede[nrs]?)\s+(?:[\wäöüß]+\s+)?[\wäöüß]*?"
    r"(sitzung|stunde|tag|woche|monat|quartal|vierteljahr|jahr)\b(?!\s*\d)"
    r"|\b(stünd|täg|wöchent|monat|vierteljähr|jähr)lich",
    re.I,
)
_PERIOD_OF_ADVERB = {"stünd": "stunde", "täg": "tag", "wöchent": "woche", "monat": "monat", "jähr": "jahr"}


def periods_per(text: str) -> set[str]:
    """The periods ``text`` counts per: "5000 Euro pro Jahr" and "jährlich" are both {"jahr"}."""
    found = set()
    for m in _PER_PERIOD.finditer(text):
        word = (m.group(1) or m.group(2)).lower()
        found.add("quartal" if word.startswith("viertelj") else _PERIOD_OF_ADVERB.get(word, word))
    return found


# questions whose answer is an amount, a date or a period: an answer without a figure does not answer them
ASKS_FOR_FIGURE = re.compile(
    r"\b(?:wie ?viele?|wie hoch|was kostet|was kosten|welche[mnrs]? (?:\w+e[mnrs]? )?[\w-]*(?:betrag|hebesatz|gebühr|satz|anteil)|"
    r"(?:ab|bis|seit) wann|wann|wie lange)\b",
    re.I,
)
# questions for a price: the answer must state an amount of money ("kostet 6 Jahre" does not answer it)
ASKS_FOR_PRICE = re.compile(r"\bwas (?:kostet|kosten|zahlt|zahle|zahlen)\b|\bwie teuer\b", re.I)
# questions for a sum of money or a rate by its noun ("bis zu welchem Jahresbetrag", "welche Gebühr", "welcher
# monatliche Eigenanteil", "wie hoch ist die Hundesteuer"): the answer must state an amount (money or a
# percentage), not a date
ASKS_FOR_SUM = re.compile(
    r"\bwelche[mnrs]? (?:\w+e[mnrs]? )?[\w-]*(?:betrag|beträge|gebühr|gebühren|preis|preise|entgelt|eigenanteil)\b|"
    r"\bwie hoch (?:ist|sind|war|waren) (?:die|der|das) [\w-]*(?:steuer|gebühr|gebühren|beitrag|betrag|entgelt|preis)\b",
    re.I,
)
# questions for the outcome of a vote: "wie ist … abgestimmt worden", "mit welchem Ergebnis", "Stimmenverhältnis",
# "wie hat der Gemeinderat … entschieden", "was ist aus dem Antrag geworden"
ASKS_FOR_VOTE = re.compile(
    r"abgestimmt|stimmenverhältnis|abstimmungsergebnis|mit welchem ergebnis|\bentschieden\b|"
    r"was ist .{0,120}\bgeworden\b",
    re.I,
)
# what answers it: counts of votes, "einstimmig", "mehrheitlich", or the outcome itself
VOTE = re.compile(
    r"\d+\s*(?:ja|nein)\b|\d+\s*(?:ja-|gegen)?stimmen|einstimmig\w*|mehrheitlich\w*|ohne gegenstimme\w*|"
    r"vertagt|zurückgestellt|zurückgezogen|abgelehnt|zugestimmt|angenommen|zustimmung|ablehnung",
    re.I,
)
MONEY = re.compile(r"\d(?:[\d.,]*\d)?(?:,-|\.-)?\s*(?:€|euro\b|eur\b)|(?:€|EUR)\s*\d", re.I)
# questions that ask where a rule stands: "in welchem Paragraphen", "Bitte mit Paragraph", "welche Vorschrift",
# "Wo in der GemO steht, dass …"
ASKS_FOR_PROVISION = re.compile(
    r"paragra(?:ph|f)\w*|§|vorschrift\w*|rechtsgrundlage\w*|wo (?:steht|ist) (?:das|dies)\w*|welche[mnrs]? (?:gesetz|satzung|artikel)|"
    r"\bwo (?:in|im) [^?.,]{0,60}\b(?:steht|stehen|geregelt)\b",
    re.I,
)

# asked how long or how soon ("Wie schnell soll ich die Informationen bekommen?", "Innerhalb welcher Frist",
# "Wie viele Wochen im Jahr"): answered by a period ("innerhalb eines Monats", "10 Wochen", "drei Monaten")
ASKS_PERIOD = re.compile(
    r"\b(?:wie (?:lange|schnell|früh|bald)|wie ?viel zeit|wie viele (?:tage|wochen|monate|jahre|werktage)|"
    r"innerhalb welche[rs]|welche[nrs]? frist)\b",
    re.I,
)
PERIOD = re.compile(
    rf"\b{_COUNT}\s+(?:\w+\s+)?(?:tag|tage|tagen|tages|woche|wochen|monat|monate|monaten|monats|jahr|jahre|jahren|jahres|werktag\w*)\b",
    re.I,
)

# asked what follows a breach ("Was droht, wenn …", "Welches Bußgeld", "Welche Strafe"): answered by the
# provision on fines ("Zuwiderhandlungen können mit einer Geldbuße bis zu 50.000 Euro geahndet werden")
ASKS_SANCTION = re.compile(
    r"\b(?:was droht|droht mir|welche[ns]? (?:strafe|sanktion|bußgeld|geldbuße)|wie hoch ist das bußgeld)",
    re.I,
)
SANCTION = re.compile(
    r"\b(?:geldbußen?|bußgeld\w*|ordnungswidrig\w*|zwangsgeld\w*|freiheitsstrafe|geldstrafe)\b", re.I
)

# asked when a rule takes effect ("Ab wann gelten die höheren Parkgebühren?", "Seit wann gilt die neue Satzung?",
# "Wann tritt … in Kraft?"): the date of a sentence saying so answers, not the date of the last amendment
ASKS_IN_FORCE = re.compile(
    r"\b(?:ab|seit) wann (?:gilt|gelten|ist|sind)\b|\bwann tr(?:itt|eten)\b.{0,80}\bin kraft\b", re.I | re.S
)
IN_FORCE = re.compile(
    r"\bin kraft\b|\binkrafttreten\b|\bgilt ab\b|\bgelten ab\b|\bgültig ab\b|\bwirksam\b", re.I
)
