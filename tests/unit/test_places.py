"""German places named in a question (pipelines/places.py), from the shipped GeoNames gazetteer."""

import pytest

from pipelines.places import places_named


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
