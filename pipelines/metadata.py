"""Municipal metadata guessed from a document's title, path and text (used where no source field says it)."""

from __future__ import annotations

import re
from pathlib import PurePath

DOC_TYPES = (
    "Satzung",
    "Verordnung",
    "Beschlussvorlage",
    "Niederschrift",
    "Einladung",
    "Gesetz",
    "Antrag",
    "Sonstiges",
)

_TYPE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("Niederschrift", re.compile(r"niederschrift|protokoll", re.I)),
    ("Einladung", re.compile(r"einladung|tagesordnung", re.I)),
    ("Beschlussvorlage", re.compile(r"beschlussvorlage|vorlage\b|beschluss", re.I)),
    ("Antrag", re.compile(r"\bantrag\b|\banfrage\b|stellungnahme", re.I)),
    ("Verordnung", re.compile(r"verordnung", re.I)),
    ("Satzung", re.compile(r"satzung|ordnung|richtlinie|gebührenverzeichnis", re.I)),
    ("Gesetz", re.compile(r"gesetz|\bG\b|[A-Z][a-zA-Z]*G$", re.I)),
]

_MUNICIPALITY = re.compile(
    r"\b(?:Stadt|Gemeinde|Landkreis[es]*|Große Kreisstadt)\s+((?:Bad\s+|Sankt\s+|St\.\s?)?[A-ZÄÖÜ][\wäöüß.-]+(?:\s+(?:am|an der|im|u\.\s?A\.|unter)\s+[A-ZÄÖÜ][\wäöüß.-]+)?)"
)
_NOT_A_PLACE = {"Satzung", "Verwaltung", "Gebiet", "Finanzverwaltung", "Kämmerei", "Der", "Die", "Das"}


def guess_doc_type(title: str, path: str = "", text: str = "") -> str:
    """The document type from the title first, then the file name, then the opening text."""
    for candidate in (title, PurePath(path).stem if path else "", text[:600]):
        if not candidate:
            continue
        for doc_type, pattern in _TYPE_PATTERNS:
            if doc_type == "Gesetz" and candidate is not title:
                continue
            if pattern.search(candidate):
                return doc_type
    return "Sonstiges"


def guess_municipality(text: str) -> str | None:
    """The first "Stadt X" / "Gemeinde X" in the opening text, e.g. "Konstanz"."""
    for match in _MUNICIPALITY.finditer(text[:4000]):
        name = match.group(1).rstrip(".-")
        if name not in _NOT_A_PLACE:
            return name
    return None


def title_from_text(text: str, fallback: str) -> str:
    """A readable title: the first line that looks like a heading, else ``fallback``."""
    for line in text.splitlines()[:40]:
        line = line.strip(" #\t")
        if 12 <= len(line) <= 200 and re.search(
            r"(?i)satzung|ordnung|niederschrift|protokoll|verordnung|gesetz|vorlage|richtlinie", line
        ):
            return line
    return fallback
