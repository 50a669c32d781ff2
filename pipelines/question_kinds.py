"""What a German question asks for, and whether a text holds such a thing (regular expressions).

One place for the patterns the retrieval and answer steps share: the ranker moves chunks holding an
amount or a date up for questions that want one (``ASKS_AMOUNT`` / ``AMOUNT``, ``ASKS_DATE`` / ``DATE``);
the answer builder refuses replies that do not give what was asked (``ASKS_FOR_FIGURE``,
``ASKS_FOR_PRICE`` / ``MONEY``) and names the provision when asked for it (``ASKS_FOR_PROVISION``).
The patterns differ on purpose: moving a chunk up is cheap when wrong, refusing an answer is not, so
the refusal patterns are the narrower ones (measured with benchmarks/quality.py).
"""

from __future__ import annotations

import re

# "Wie hoch ist die Hundesteuer?" is answered by "§ 5 Steuersatz ... 110,00 Euro", not by "§ 1 Steuergegenstand"
ASKS_AMOUNT = re.compile(
    r"\b(?:wie ?viel\w*|wie hoch|was kostet|was kosten|was zahl\w*|welche[nrs]? [\w-]*(?:betrag|satz|gebühr|preis)\w*|"
    r"[\w-]*(?:hebesatz|steuersatz|prozentsatz|höchstsatz|höchstbetrag|kilometerpreis))\b",
    re.I,
)
AMOUNT = re.compile(
    r"\d(?:[\d.,]*\d)?\s*(?:€|euro\b|eur\b|%|prozent\b|vom hundert\b|v\.\s?h\.)|(?:€|EUR)\s*\d", re.I
)
ASKS_DATE = re.compile(
    r"\b(?:wann|ab welchem (?:datum|tag|zeitpunkt)|bis zu welchem|welche[nrs]? frist|fällig\w*)\b", re.I
)
_MONTHS = "januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
DATE = re.compile(rf"\b\d{{1,2}}\.\s?(?:\d{{1,2}}\.(?:\s?\d{{2,4}})?|(?:{_MONTHS})\b)", re.I)

# questions whose answer is an amount or a date: an answer without a figure does not answer them
ASKS_FOR_FIGURE = re.compile(
    r"\b(?:wie ?viele?|wie hoch|was kostet|was kosten|welche[nrs]? [\w-]*(?:betrag|hebesatz|gebühr|satz)|"
    r"(?:ab|bis|seit) wann|wann)\b",
    re.I,
)
# questions for a price: the answer must state an amount of money ("kostet 6 Jahre" does not answer it)
ASKS_FOR_PRICE = re.compile(r"\bwas (?:kostet|kosten|zahlt|zahle|zahlen)\b|\bwie teuer\b", re.I)
MONEY = re.compile(r"\d(?:[\d.,]*\d)?(?:,-|\.-)?\s*(?:€|euro\b|eur\b)|(?:€|EUR)\s*\d", re.I)
# questions that ask where a rule stands: "in welchem Paragraphen", "Bitte mit Paragraph", "welche Vorschrift"
ASKS_FOR_PROVISION = re.compile(
    r"paragra(?:ph|f)\w*|§|vorschrift\w*|rechtsgrundlage\w*|wo (?:steht|ist) (?:das|dies)\w*|welche[mnrs]? (?:gesetz|satzung|artikel)",
    re.I,
)
