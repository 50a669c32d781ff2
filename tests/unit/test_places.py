"""German places named in a question (pipelines/places.py), from the shipped GeoNames gazetteer."""

import pytest

from pipelines.places import place_of_url, places_named


@pytest.mark.parametrize(
    ("question", "places"),
    [
        ("Was kostet in Tübingen ein Einwegbecher?", {"Tübingen"}),
        ("Wie hoch ist die Hundesteuer in der Stadt Esslingen am Neckar?", {"Esslingen"}),
        ("Was kostet das Parken in Frankfurt am Main?", {"Frankfurt am Main"}),
        ("Ich wohne in Frankfurt und frage nach der Zweitwohnungsteuer.", {"Frankfurt am Main"}),
        ("Was kostet ein Urnengrab in Zell unter Aichelberg?", {"Zell unter Aichelberg"}),
        ("Wie hoch ist die Tübinger Hundesteuer?", {"Tübingen"}),
        ("Was beschließt der Stuttgarter Gemeinderat?", {"Stuttgart"}),
        ("Was kostet ein Münchner Anwohnerparkausweis?", {"München"}),  # -en dropped before -er
        ("Wie hoch ist die Dresdner Zweitwohnungsteuer?", {"Dresden"}),
        ("Was sagt die Lindner Studie zur Hundesteuer?", set()),  # a surname, not Linden (38,000)
        ("Was kostet in tubingen ein Einwegbecher?", set()),  # a place is capitalised
        ("Wann tritt die Satzung in Kraft?", set()),
        ("Was tun, wenn der Container in Brand gerät?", set()),  # a gazetteer name that is a common noun
        ("Welche Gräber sind in Wiesen erlaubt?", set()),
        ("Darf ich in Wohngebieten grillen?", set()),
        ("Wer zahlt Hundesteuer?", set()),
    ],
)
def test_places_named(question, places):
    assert places_named(question) == places


@pytest.mark.parametrize(
    ("url", "town"),
    [
        ("https://web1.karlsruhe.de/oparl/bodies/0001", "Karlsruhe"),
        ("https://ratsinfo.stadt-koeln.de/oparl/body/1", "Köln"),  # umlauts as a web address writes them
        ("https://ris.muenchen.de/oparl", "München"),  # the gazetteer's "Munich"
        ("https://oparl.example.org/bodies/1", None),
        ("", None),
    ],
)
def test_place_of_url(url, town):
    assert place_of_url(url) == town
