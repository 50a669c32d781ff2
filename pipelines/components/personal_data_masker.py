"""Masks personal data (names of private persons, addresses, phone numbers, e-mail, IBAN, dates of birth).

Rule-based German patterns, no model. What is masked, and what deliberately is not:

* **Names** only where the text marks a person: after "Herr/Herrn/Frau/Hr./Fr." (an academic title such
  as "Dr." is masked with the name), "Familie", "Eheleute", a signature "gez. …", a form field
  ("Name:", "Vorname:", "Antragsteller(in):", "Ansprechpartner(in):", "Einwender(in):" …) and a birth
  name ("geb. Schmidt"). A name without such a marker is never touched, so "Oberbürgermeister Dr. Frank
  Mentrup", authors of laws, public bodies and streets named after persons ("Josef-Will-Straße") stay.
  A marked name is still kept as an **office holder in their role** when an office stands next to it:
  an office before the Anrede or right after it ("Stadträtin Frau Müller", "Frau Stadträtin Müller",
  "Herr Oberbürgermeister"), a party or group in brackets after it ("Herr Müller (CDU)"), an office or
  body after a slash or comma ("Amt 13/Fr. Lotter", "Fr. Rother, Betrieb für Stadtgrün",
  "Herr Beck, Amtsleitung"), or, for a signature, an office or authority on the line before or after it
  ("gez. Nico Lauxmann\\nBürgermeister", "Der Gemeindevorstand\\ngez. Ratzka"). A person named only
  "Frau X" in minutes is masked even if the minutes elsewhere say she chairs the body: the rule looks
  at the words next to the name only (privacy first; see the measured precision in the README).
* **Addresses**: a street with a house number ("Hauptstraße 12", "Josef-Will-Straße 1 a",
  "Bamberger Str. 18", "Am Markt 3a"), with a following postcode and town. A street without a number
  ("in der Hauptstraße") and a postcode with a town alone are not masked. Addresses of offices are
  masked too: a rule cannot tell them from a private one.
* **Phone and fax numbers**: after "Tel./Telefon/Fax/Mobil/Handy", or in international form (+49 …,
  0049 …), or in the form "(0721) 133-0" / "0721/133-1234". All of them, also an office's number.
* **E-mail addresses**: all.
* **IBANs**: only when the mod-97 checksum is right (so a reference number that looks like one stays).
* **Dates of birth**: only when marked ("geb.", "geboren am", "Geburtsdatum:", "*"); other dates stay.

Each is replaced by a token: ``[Name]``, ``[Adresse]``, ``[Telefon]``, ``[E-Mail]``, ``[IBAN]``,
``[Geburtsdatum]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from haystack import Document, component

TOKENS = {
    "name": "[Name]",
    "address": "[Adresse]",
    "phone": "[Telefon]",
    "email": "[E-Mail]",
    "iban": "[IBAN]",
    "birthdate": "[Geburtsdatum]",
}
KINDS = tuple(TOKENS)
# when two findings overlap, the one of the kind named first wins
_PRIORITY = {kind: i for i, kind in enumerate(("iban", "email", "phone", "birthdate", "address", "name"))}


@dataclass(frozen=True)
class Span:
    """A piece of personal data in the original text: ``text[start:end]`` is of ``kind``."""

    start: int
    end: int
    kind: str
    text: str


# -- names ------------------------------------------------------------------------------------
_UP = "A-ZÄÖÜ"
_LOW = "a-zäöüßéèáàçñ\u00ad\ufffe"  # soft hyphens as PDF text extraction leaves them inside words
# a name word; hyphenated parts and words broken at a line end ("Sei-\nfert") stay one word
_WORD = rf"[{_UP}][{_LOW}]+(?:(?:-|\ufffe|-\n)[{_UP}]?[{_LOW}]+)*"
_PARTICLE = r"(?:von|van|de|der|zu|von der|von dem|van der|van den)"
_TITLE = r"(?:(?:Dr|Prof|Dipl\.-Ing|Dipl)\.\s?(?:(?:med|rer\.\s?nat|jur|phil|h\.\s?c)\.\s?)?)"
# offices and functions: a marked name next to one of these is an office holder in their role
_OFFICES = (
    r"(?:Ober)?[Bb]ürgermeister(?:in)?|Erste[rn]? Bürgermeister(?:in)?|Ortsbürgermeister(?:in)?|"
    r"Bezirksbürgermeister(?:in)?|Stadtr(?:at|ätin)|Stadträte|Gemeinder(?:at|ätin)|Ortschaftsr(?:at|ätin)|"
    r"Kreisr(?:at|ätin)|Bezirksr(?:at|ätin)|Stadtverordnete[rn]?|Gemeindevertreter(?:in)?|"
    r"Ortsvorsteher(?:in)?|Ortsbeirat|Ortsbeirätin|Landr(?:at|ätin)|Beigeordnete[rn]?|Dezernent(?:in)?|"
    r"Amtsleiter(?:in)?|Vorsitzende[rn]?|stellv(?:ertretende[rn]?|\.)?\s?Vorsitzende[rn]?|"
    r"Minister(?:in)?|Staatssekretär(?:in)?|Abgeordnete[rn]?|Landtagsabgeordnete[rn]?|"
    r"Bundestagsabgeordnete[rn]?|Präsident(?:in)?|Direktor(?:in)?|Richter(?:in)?|Schriftführer(?:in)?|"
    r"Protokollführer(?:in)?|Kämmerer|Kämmerin|Stadtkämmerer(?:in)?|Betreuungsstadtr(?:at|ätin)|"
    r"Fraktionsvorsitzende[rn]?|Stadtteilbeirat|Stadtteilbeirätin|Ortsteilbeauftragte[rn]?|Beauftragte[rn]?"
)
_OFFICE = re.compile(rf"(?:{_OFFICES})\b")
_OFFICE_BEFORE = re.compile(rf"(?:{_OFFICES})(?:e?s)?[:\s]*$")
# a list under a heading such as "Stadtrat:" or "Verwaltung:" (attendance in minutes) names office holders
_ROLE_HEADING = re.compile(
    r"^[ \t]*(?:Stadtr(?:at|äte|ätinnen)|Stadtteilbeir\w*|Ortschaftsr\w*|Ortsbeir\w*|Gemeinder\w*|Verwaltung|"
    r"Anwesend\w*|Entschuldigt|Vorsitz\w*|Mitglieder|Schriftführ\w*|Protokollführ\w*|Referent\w*)[ \t]*:[ \t]*$",
    re.M,
)
_HEADING = re.compile(r"^[^\n:]{1,40}:[ \t]*$", re.M)
# what may follow a name after "/" or ", " and marks a function or body (word starts)
_ROLE_STEMS = (
    "Amt",
    "Ämter",
    "Abt",
    "Abteilung",
    "Betrieb",
    "Referat",
    "Büro",
    "Bürgermeister",
    "Fachbereich",
    "Fachamt",
    "Sachgebiet",
    "Dezernat",
    "Stadt",
    "Gemeinde",
    "Landratsamt",
    "Landkreis",
    "Verwaltung",
    "Polizei",
    "Feuerwehr",
    "Leiter",
    "Leitung",
    "Mitarbeiter",
    "Projekt",
    "Koordinat",
    "Berater",
    "Beauftragt",
    "Geschäftsführ",
    "Vertreter",
    "Sprecher",
    "Referent",
    "Vorsitz",
    "Vorstand",
    "Sozial",
    "Quartier",
    "Jugend",
    "Senioren",
    "Kita",
    "Schule",
    "Schulleit",
    "Diakon",
    "Caritas",
    "Kirche",
    "Pfarr",
    "Verein",
    "Verband",
    "Werk",
    "Bücher",
    "Bibliothek",
    "Zukunft",
    "VHS",
    "ESTW",
    "AWO",
    "ASG",
    "GEWOBAU",
    "Stadtwerke",
    "Fraktion",
)
_ROLE_AFTER = re.compile(
    r"\s*(?:/\s*\S|,\s*(?:" + "|".join(_ROLE_STEMS) + r")|\s*\((?:[A-ZÄÖÜ][\wÄÖÜäöü/\- ]{0,20})\)"
    r"|,?\s*(?:" + _OFFICES + r")\b)"
)
_ROLE_BEFORE = re.compile(
    r"(?:(?:Amt|Abt\.?|Abteilung|Referat|Ref\.|Dezernat|Sachgebiet|FB)\s?[\d./-]+\w*|\w+amt)\s*/\s*$"
)
# capitalised words that follow an Anrede but are no names
_NOT_A_NAME = re.compile(
    rf"(?:{_OFFICES}|Kollegin|Kollege|Kollegen|Vorsitzende|Präsidentin|Professor(?:in)?|Doktor|Pfarrer(?:in)?|"
    r"Sowieso|Mustermann|Musterfrau|Und|Oder|Alle|Der|Die|Das|Den|Dem|Des|Ein|Eine|Sie|Ihr|Ihre)\b"
)
# trailing words that end a list line rather than a name ("Fr. Mürbeth Stadtteilbeiräte")
_NOUN_END = re.compile(
    r"(?:ung|heit|keit|schaft|tion|tät|ämter|amt|räte|rat|beirat|ismus|ität|ium|ik|ie|nis|ende|ende[rn])$"
)
_ANREDE = r"(?:Herrn?|Frau|Hr\.|Fr\.)"
_NOT_ANREDE = rf"(?!(?:Herrn?|Frau|Hr|Fr|Dr|Prof|Tel|Fax|Str|Alle|und|{_OFFICES})\b)"
_NAME_BODY = rf"(?:{_TITLE}\s?)*(?:{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NOT_ANREDE}{_WORD}){{0,2}})"
_ANREDE_NAME = re.compile(rf"\b{_ANREDE}[ \t]+(?P<name>{_NAME_BODY})")
_MARKED_NAME = re.compile(
    r"(?:\bFamilie|\bEheleute|\bEhepaar|\bgeb\.)[ \t]+"
    rf"(?P<name>{_NAME_BODY}(?:[ \t]+und[ \t]+{_NAME_BODY})?)"
)
_FIELD_NAME = re.compile(
    r"\b(?:Name|Vorname|Nachname|Familienname|Name,\s?Vorname|Vor-\s?und\s?Zuname|Antragsteller(?:in|\(in\)|/in)?|"
    r"Ansprechpartner(?:in|\(in\)|/in)?|Einwender(?:in|\(in\)|/in)?|Eigentümer(?:in|\(in\)|/in)?|"
    r"Halter(?:in|\(in\)|/in)?|Verfasser(?:in|\(in\)|/in)?|Kontaktperson|Bearbeiter(?:in|\(in\)|/in)?)"
    rf"[ \t]*:[ \t]*(?P<name>{_NAME_BODY}(?:,[ \t]?{_WORD}(?=[ \t]*(?:\n|$)))?)"
)
_SIGNATURE = re.compile(rf"\bgez\.:?[ \t]+(?P<name>{_NAME_BODY})")
_AUTHORITY = re.compile(
    r"(?:Gemeindevorstand|Magistrat|Stadt\b|STADT\b|Gemeinde\b|GEMEINDE\b|Landratsamt|Landkreis|"
    r"Ortspolizeibehörde|Behörde|Der Kreisausschuss|Oberbürgermeister|Bürgermeister|Landrat|Vorsitzende|"
    r"Ortsvorsteher|Amtsleiter|Gemeinderat|Stadtrat)"
)


def _line_around(text: str, start: int, end: int) -> tuple[str, str]:
    """The previous line and the current line before ``start``; the rest of the line and the next line."""
    line_start = text.rfind("\n", 0, start) + 1
    prev_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start else line_start
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    next_end = text.find("\n", line_end + 1)
    next_end = len(text) if next_end < 0 else next_end
    return text[prev_start:start], text[end:next_end]


def _trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop trailing words that are nouns of a list line, not parts of the name."""
    words = list(re.finditer(r"\S+", text[start:end]))
    while len(words) > 1 and _NOUN_END.search(words[-1].group().lower()):
        words.pop()
    return start, start + words[-1].end()


def _not_a_name(name: str) -> bool:
    return bool(_NOT_A_NAME.match(re.sub(r"-\n|\ufffe|\u00ad", "", name)))


def _under_role_heading(text: str, start: int) -> bool:
    """Inside a list under "Stadtrat:", "Verwaltung:" … (the nearest heading line within 400 characters)."""
    window_start = max(0, start - 400)
    headings = list(_HEADING.finditer(text, window_start, start))
    return bool(headings) and bool(_ROLE_HEADING.fullmatch(headings[-1].group()))


def _names(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _ANREDE_NAME.finditer(text):
        start, end = match.span("name")
        if _not_a_name(text[start:end]):
            continue  # "Frau Stadträtin Müller", "Herr Oberbürgermeister": an office holder
        before = text[max(0, match.start() - 60) : match.start()]
        if _OFFICE_BEFORE.search(before) or _ROLE_BEFORE.search(before) or _under_role_heading(text, start):
            continue
        start, end = _trim_name(text, start, end)
        if _ROLE_AFTER.match(text, end):
            continue
        spans.append(Span(start, end, "name", text[start:end]))
    for pattern in (_MARKED_NAME, _FIELD_NAME):
        for match in pattern.finditer(text):
            start, end = _trim_name(text, *match.span("name"))
            if _not_a_name(text[start:end]):
                continue
            spans.append(Span(start, end, "name", text[start:end]))
    for match in _SIGNATURE.finditer(text):
        start, end = _trim_name(text, *match.span("name"))
        before, after = _line_around(text, match.start(), end)
        if _AUTHORITY.search(before) or _AUTHORITY.search(after) or _not_a_name(text[start:end]):
            continue  # signed for a public body: an office holder in their role
        spans.append(Span(start, end, "name", text[start:end]))
    return spans


# -- addresses --------------------------------------------------------------------------------
_STREET_SUFFIX = (
    r"(?:[Ss]traße|[Ss]trasse|[Ss]tr\.|[Ww]eg|[Gg]asse|[Pp]latz|[Aa]llee|[Rr]ing|[Dd]amm|[Uu]fer|[Ss]teig|"
    r"[Pp]fad|[Cc]haussee|[Pp]romenade|[Mm]arkt|[Gg]raben|[Ww]all|[Ss]tieg|[Hh]öhe|[Aa]nger|[Zz]eile)"
)
_STREET_NAME = (
    rf"(?:[{_UP}][{_LOW}]+(?:er|sche[rn]?)[ \t]+{_STREET_SUFFIX}"  # "Bamberger Straße", "Karlsruher Str."
    rf"|(?:[{_UP}][{_LOW}]*-)*(?:[{_UP}][{_LOW}]*)?{_STREET_SUFFIX}"  # "Hauptstraße", "Josef-Will-Straße", "Markt"
    rf"|(?:Am|An[ \t]der|An[ \t]den|Auf[ \t]dem|Auf[ \t]der|Im|In[ \t]der|In[ \t]den|Zum|Zur|Hinter[ \t]der|"
    rf"Hinter[ \t]dem|Unter[ \t]den|Vor[ \t]dem|Alte[rn]?)[ \t]+(?P<prep_noun>{_WORD}))"
)
# nouns after "Am/Im/Zum ..." that make a phrase, not a street ("Im Jahr 12", "Im Absatz 2")
_NOT_A_STREET = re.compile(
    r"(?:Jahr|Jahre|Absatz|Abs|Satz|Fall|Falle|Monat|Teil|Abschnitt|Anhang|Anlage|Punkt|Kapitel|Artikel|"
    r"Rahmen|Sinne|Gebiet|Bereich|Haushalt|Haushaltsjahr|Übrigen|Einzelnen|Wesentlichen|Durchschnitt|"
    r"Vergleich|Zeitraum|Tagesordnungspunkt|Top|TOP|Schnitt|Ganzen|Mittel|Namen|Auftrag|Vorjahr|Januar|"
    r"Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|Ende|Anfang|Alter|"
    r"Zuge|Hinblick|Nachgang|Ergebnis|Gegensatz|Sinn|Stadtgebiet|Gemeindegebiet|Landkreis|Umfang|Wert|"
    r"Betrag|Höhe|Umkreis|Abstand|Nr|Nummer|Tag|Tage|Kalenderjahr|Veranlagungsjahr|Erhebungszeitraum)$"
)
_ADDRESS = re.compile(
    rf"(?<![\w-])(?P<street>{_STREET_NAME})[ \t]+(?:Nr\.[ \t]?)?"
    r"(?P<number>\d{1,3}(?:[ \t]?[a-h](?![\wäöü]))?(?:[ \t]?[-–/][ \t]?\d{1,3}[a-h]?)?)"
    r"(?![\d,.]\d|[ \t]?(?:%|€|Euro|EUR|m\b|qm|km|Jahre|Monate|Tage|Std|Uhr|Prozent|ha\b|Abs\.|Satz))"
    rf"(?P<town>,?[ \t]+\d{{5}}[ \t]+{_WORD}(?:[ \t]+(?:am|an[ \t]der|im|ob[ \t]der|bei)[ \t]+{_WORD})?)?"
)


def _addresses(text: str) -> list[Span]:
    spans = []
    for match in _ADDRESS.finditer(text):
        if re.match(r"(?:Bundes|Landes|Kreis|Staats|Gemeindeverbindungs)stra(?:ße|sse)\b", match.group()):
            continue  # "Bundesstraße 3": a road's number, not an address
        noun = match.group("prep_noun")
        if noun and _NOT_A_STREET.match(noun):
            continue
        if re.search(r"(?:§|Art\.|Abs\.|Nr\.|Ziff\.)\s*$", text[max(0, match.start() - 8) : match.start()]):
            continue
        spans.append(Span(match.start(), match.end(), "address", match.group()))
    return spans


# -- phone, e-mail, IBAN, dates of birth ------------------------------------------------------
_PHONE_NUMBER = r"(?:\+|00)?\(?\d[\d \t/()\-–.]{4,22}\d"
_PHONE_MARKED = re.compile(
    r"\b(?:Tel|Telefon|Fon|Fax|Telefax|Mobil|Handy|Mobiltelefon|Rufnummer|Durchwahl)\b\.?(?:[ \t]*(?:Nr\.|[A-Za-z.]{1,4}))?"
    rf"[ \t]*[:.]?[ \t]*(?P<number>{_PHONE_NUMBER})"
)
_PHONE_FORM = re.compile(
    r"(?<![\w/.,])(?P<number>(?:\+49|0049)[ \t]?(?:\(0\)[ \t]?)?\d{2,5}(?:[ \t/\-]?\d{2,8}){1,4}"
    r"|\(0\d{2,5}\)[ \t]?\d{2,8}(?:[ \t\-]?\d{1,6}){0,3}"
    r"|0\d{2,5}[ \t]?/[ \t]?\d{2,8}(?:[ \t\-]\d{1,6}){0,3})(?![\w/.,]\d)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+\-\ufffe]+@[\w\-\ufffe]+(?:\.[\w\-\ufffe]+)*\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ \t]?[A-Z0-9]{4}){2,7}(?:[ \t]?[A-Z0-9]{1,4})?\b")
_IBAN_LENGTHS = {"DE": 22, "AT": 20, "CH": 21, "LU": 20, "NL": 18, "BE": 16, "FR": 27, "IT": 27, "PL": 28}
_MONTHS = r"(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
_DATE = rf"(?:\d{{1,2}}\.[ \t]?\d{{1,2}}\.[ \t]?(?:19|20)?\d{{2}}|\d{{1,2}}\.[ \t]?{_MONTHS}[ \t]+\d{{4}}|(?:19|20)\d{{2}}-\d{{2}}-\d{{2}})"
_BIRTHDATE = re.compile(
    r"(?:\bgeb\.(?:[ \t]am)?|\bgeboren[ \t]am|\bgeboren|\bGeburtsdatum|\bGeb\.-Datum|\bGeburtstag|(?<![\w*])\*)"
    rf"[ \t]*:?[ \t]*(?P<date>{_DATE})"
)


def iban_is_valid(candidate: str) -> bool:
    """ISO 13616 check: letters to numbers, the first four characters moved to the end, mod 97 == 1.

    >>> iban_is_valid("DE89 3704 0044 0532 0130 00"), iban_is_valid("DE89 3704 0044 0532 0130 01")
    (True, False)
    """
    iban = re.sub(r"\s", "", candidate).upper()
    expected = _IBAN_LENGTHS.get(iban[:2])
    if (expected and len(iban) != expected) or not 15 <= len(iban) <= 34 or not iban.isalnum():
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _contacts(text: str) -> list[Span]:
    spans = []
    for match in _EMAIL.finditer(text):
        spans.append(Span(match.start(), match.end(), "email", match.group()))
    for pattern in (_PHONE_MARKED, _PHONE_FORM):
        for match in pattern.finditer(text):
            start, end = match.span("number")
            number = text[start:end].rstrip(" -/(")
            end = start + len(number)
            if sum(c.isdigit() for c in number) < 6:
                continue
            spans.append(Span(start, end, "phone", number))
    for match in _IBAN.finditer(text):
        if iban_is_valid(match.group()):
            spans.append(Span(match.start(), match.end(), "iban", match.group()))
    for match in _BIRTHDATE.finditer(text):
        start, end = match.span("date")
        spans.append(Span(start, end, "birthdate", text[start:end]))
    return spans


def find_personal_data(text: str, kinds: tuple[str, ...] | list[str] = KINDS) -> list[Span]:
    """Every piece of personal data in ``text``, in order, without overlaps (see the module docstring)."""
    found = [s for s in _contacts(text) + _addresses(text) + _names(text) if s.kind in kinds]
    found.sort(key=lambda s: (_PRIORITY[s.kind], s.start))
    chosen: list[Span] = []
    for span in found:
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def mask_personal_data(text: str, kinds: tuple[str, ...] | list[str] = KINDS) -> tuple[str, list[Span]]:
    """``text`` with personal data replaced by "[Name]", "[Adresse]" …; and the spans found (in ``text``).

    >>> mask_personal_data("Frau Erika Muster, Hauptstraße 12, Tel. 0721 133-1234, bittet um Rückruf.")[0]
    'Frau [Name], [Adresse], Tel. [Telefon], bittet um Rückruf.'
    """
    spans = find_personal_data(text, kinds)
    parts = []
    position = 0
    for span in spans:
        parts.append(text[position : span.start])
        parts.append(TOKENS[span.kind])
        position = span.end
    parts.append(text[position:])
    return "".join(parts), spans


@component
class PersonalDataMasker:
    """
    Replaces personal data in documents by "[Name]", "[Adresse]", "[Telefon]", "[E-Mail]", "[IBAN]",
    "[Geburtsdatum]" before they are split and embedded, so chunks, quotes and keyword vectors never
    carry it. Only documents whose ``meta["access"]`` is one of ``levels`` are masked (``None``: all);
    ``meta["personal_data_masked"]`` counts the replacements, ``meta["personal_data_kinds"]`` by kind.

    Usage example:
    ```python
    PersonalDataMasker(levels=["public"]).run(
        documents=[Document(content="Antrag von Frau Erika Muster, Tel. 0721 133-1234.", meta={"access": "public"})]
    )
    # -> "Antrag von Frau [Name], Tel. [Telefon].", meta {"personal_data_masked": 2, ...}
    ```
    """

    def __init__(self, levels: list[str] | None = None, kinds: list[str] | None = None) -> None:
        self.levels = levels
        self.kinds = kinds
        unknown = set(kinds or []) - set(KINDS)
        if unknown:
            raise ValueError(
                f"Unknown kind(s) of personal data {sorted(unknown)}; use some of: {', '.join(KINDS)}."
            )

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        kinds = tuple(self.kinds) if self.kinds is not None else KINDS
        masked = []
        for doc in documents:
            if self.levels is not None and doc.meta.get("access") not in self.levels:
                masked.append(doc)
                continue
            text, spans = mask_personal_data(doc.content or "", kinds)
            meta = dict(doc.meta)
            if isinstance(meta.get("title"), str):
                meta["title"], title_spans = mask_personal_data(meta["title"], kinds)
                spans += title_spans
            meta["personal_data_masked"] = len(spans)
            counts: dict[str, int] = {}
            for span in spans:
                counts[span.kind] = counts.get(span.kind, 0) + 1
            meta["personal_data_kinds"] = counts
            masked.append(Document(id=doc.id, content=text, meta=meta))
        return {"documents": masked}
