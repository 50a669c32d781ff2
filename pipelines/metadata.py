"""Municipal metadata guessed from a document's title, path and text (used where no source field says it)."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from pipelines.values import MONTHS

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

# "Stadt Konstanz" on one line: a line ending in "Stadt" and one starting with a noun are no town
# ("Korridorthema: Grüne Stadt" / "Abstimmung mit städtischen Gesellschaften" in a Karlsruhe council form)
_MUNICIPALITY = re.compile(
    r"\b(?:Stadt|Gemeinde|Landkreis[es]*|Große Kreisstadt)[ \t]+((?:Bad\s+|Sankt\s+|St\.\s?)?[A-ZÄÖÜ][\wäöüß.-]+(?:\s+(?:am|an der|im|u\.\s?A\.|unter)\s+[A-ZÄÖÜ][\wäöüß.-]+)?)"
)
_NOT_A_PLACE = {"Satzung", "Verwaltung", "Gebiet", "Finanzverwaltung", "Kämmerei", "Der", "Die", "Das"}


# the file types whose chunks carry a real page number (docs/usage.md): PDF pages, ODT pages as LibreOffice laid
# them out, PPTX slides; every other type (Markdown, text, OParl JSON, DOCX, spreadsheets, HTML, e-mail) is
# read as one page, where "S. 1" points nowhere
PAGED_SUFFIXES = (".pdf", ".odt", ".pptx")


def page_of(meta: dict[str, Any]) -> int | None:
    """The page a chunk stands on, for a citation: its ``page_number`` where the file has pages, else None."""
    source = str(meta.get("file_name") or meta.get("source") or "")
    page = meta.get("page_number")
    return page if source.lower().endswith(PAGED_SUFFIXES) and page else None


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
    """A readable title: the first line whose first words name the kind of document, else ``fallback``.

    A title set over several lines ("Verordnung" / "über die Beförderungsentgelte ..." / "... (Main-Kinzig-
    Kreis)", common in scanned statutes) is joined up to the preamble; a line that continues a hyphenated
    word ("Rechtsver-" / "ordnung erlassen") or the sentence of the line before ("… erhebt eine Übernachtungsteuer
    nach den" / "Vorschriften dieser Satzung.") is never a title."""
    kinds = (
        r"\w*(?:satzung|ordnung|niederschrift|protokoll|verordnung|richtlinie|vorlage|tagesordnung|beschluss)"
    )
    lines = [line.strip(" #\t") for line in text.splitlines()[:40]]
    for i, line in enumerate(lines):
        if (
            not line
            or "GBl" in line
            or len(line) > 200
            or (i and lines[i - 1].endswith("-") and line[0].islower())
            or (i and SENTENCE_GOES_ON.search(lines[i - 1]))
        ):
            continue
        if not re.match(rf"(?i)^(?:\S+\s+){{0,3}}{kinds}\b", line):
            continue
        if re.fullmatch(rf"(?i){kinds}", line) and i + 1 < len(lines) and _TITLE_GOES_ON.match(lines[i + 1]):
            for more in lines[i + 1 : i + 4]:  # "Verordnung" / "über die ..." / "... (Main-Kinzig-Kreis)"
                if not more or _PREAMBLE.match(more) or len(line) + len(more) > 200:
                    break
                line = f"{line} {more}"
                if more.endswith((")", ".")):
                    break
        if len(line) >= 12:
            return line
    return fallback


# a line that ends with a lower-case word or a comma goes on in the next line (also for the splitter)
SENTENCE_GOES_ON = re.compile(r"(?:^|\s)[a-zäöüß]+$|,$")
_TITLE_GOES_ON = re.compile(r"(?:über|zur|zum|für|der|des|vom|zu|in)\b")
_PREAMBLE = re.compile(
    r"(?i)(?:auf ?grund|gemäß|§|vom\b|in der fassung|der gemeinderat|die gemeindevertretung)"
)


_ISO_IN_NAME = re.compile(r"(20\d\d|19\d\d)-(\d\d)-(\d\d)")
_GERMAN_DATE = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?((?:19|20)\d\d)\b")
_MONTHS = {m: i for i, m in enumerate(MONTHS, 1)}
_LONG_DATE = re.compile(r"\b(\d{1,2})\.\s?(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d\d)\b", re.I)
_DECIDED = re.compile(
    r"(?:Sitzung|Besprechung|beschlossen|Beschluss)\D{0,40}?(\d{1,2}\.\s?(?:\d{1,2}\.|[A-Za-zä]+)\s?(?:19|20)\d\d)"
)
# "tritt am 1. Januar 2025 in Kraft"; the header of a consolidated version: "In Kraft getreten am 01.05.2026",
# "Inkrafttreten: 01.05.2026"
_IN_FORCE = re.compile(
    r"tritt\s+(?:am|mit Wirkung vom|zum)\s+(.{6,30}?)\s+in\s+Kraft"
    r"|(?:in\s+kraft\s+getreten|in-kraft-treten|inkrafttreten)\s*(?:am\b|:)\s*(.{6,25})",
    re.I,
)
_REFERENCE = re.compile(
    r"\b(?:Drucksache|Vorlage|Vorlagen-?Nr\.?|Drs\.)\s*(?:Nr\.?\s*)?:?\s*(\d{2,4}/\d{2,5}(?:/\d+)?)", re.I
)
_BODY = re.compile(
    r"\b(Gemeinderat(?:es|s)?|Stadtrat(?:es|s)?|Kreistag(?:es|s)?|Ortschaftsrat(?:es|s)?(?:\s+[A-ZÄÖÜ][\wäöüß-]+)?"
    r"|Stadtteilbeirat(?:es|s)?(?:\s+[A-ZÄÖÜ][\wäöüß-]+)?|Ortsbeirat(?:es|s)?|Gemeindevertretung|Stadtverordnetenversammlung"
    r"|(?:Haupt|Bau|Finanz|Verwaltungs|Umwelt|Sozial)\w*ausschuss(?:es)?)\b"
)


def _iso(day: str, month: str | int, year: str) -> str | None:
    try:
        d, m, y = int(day), int(month), int(year)
    except ValueError:
        return None
    if not (1 <= d <= 31 and 1 <= m <= 12):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def parse_german_date(text: str) -> str | None:
    """The first date in ``text`` as ISO (``16.05.2024`` or ``1. Januar 2025``)."""
    found = []
    if m := _GERMAN_DATE.search(text):
        found.append((m.start(), _iso(m.group(1), m.group(2), m.group(3))))
    if m := _LONG_DATE.search(text):
        found.append((m.start(), _iso(m.group(1), _MONTHS[m.group(2).lower()], m.group(3))))
    found = [f for f in found if f[1]]
    return min(found)[1] if found else None


def guess_dates(text: str, path: str = "") -> dict[str, str]:
    """``date`` (meeting or adoption date) and ``valid_from`` (in force) from the file name and text."""
    dates: dict[str, str] = {}
    if m := _ISO_IN_NAME.search(PurePath(path).name if path else ""):
        dates["date"] = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    else:
        decided = _DECIDED.search(text[:6000])
        found = (parse_german_date(decided.group(1)) if decided else None) or parse_german_date(text[:3000])
        if found:
            dates["date"] = found
    for m in _IN_FORCE.finditer(text):
        # the first statement with a date ("tritt am Tage nach ihrer Bekanntmachung in Kraft" has none)
        if found := parse_german_date(m.group(1) or m.group(2)):
            dates["valid_from"] = found
            break
    return dates


def guess_reference(text: str) -> str | None:
    m = _REFERENCE.search(text[:4000])
    return m.group(1) if m else None


def guess_body(text: str) -> str | None:
    """The council body named first in the opening text, in its base form ("Gemeinderat")."""
    m = _BODY.search(text[:3000])
    if not m:
        return None
    return re.sub(r"(?<=rat)(?:es|s)\b|(?<=tag)(?:es|s)\b|(?<=ausschuss)es\b", "", m.group(1))
