def test_suspended_compounds_are_written_out_when_the_text_shows_the_shared_part() -> None:
    from pipelines.german_terms import expand_suspended_compounds

    rate = (
        "Die Steuer beträgt für 1. jede(n) Einwegdose, -flasche, -becher und sonstige Einweggetränkeverpackung "
        "0,50 € 3. jedes Einwegbesteck (-set) 0,20 €. Einwegverpackungen, -geschirr und -besteck"
    )
    expanded = expand_suspended_compounds(rate)
    assert "Einwegdose, Einwegflasche, Einwegbecher und" in expanded
    assert "Einwegverpackungen, Einweggeschirr und Einwegbesteck" in expanded
    # no other word shows where "Hundesteuer" splits: left as written
    assert expand_suspended_compounds("Hundesteuer, -marke") == "Hundesteuer, -marke"
