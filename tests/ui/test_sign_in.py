"""The page with sign-in (access.sign_in: local): a form first; the role decides modes and admin actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO
from ui.users import User, UserStore

pytestmark = pytest.mark.ui

APP = REPO / "ui" / "streamlit_app.py"


@pytest.fixture(autouse=True)
def local_sign_in(hermetic_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AUSKUNFT_ACCESS__SIGN_IN", "local")
    store = UserStore(hermetic_env / "users.json")
    store.add("m.mueller", "Rathaus2026!", "staff")
    store.add("k.schmidt", "Buergerbuero1", "desk")
    store.add("admin", "Verwaltung99", "admin")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def sign_in(name: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.chat_input and not at.tabs  # nothing but the form before signing in
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_wrong_password_keeps_the_page_closed() -> None:
    at = sign_in("m.mueller", "falsch")
    assert [e.value for e in at.error] == ["Benutzername oder Passwort ist falsch."]
    assert not at.chat_input and "user" not in at.session_state
    assert any("auskunft user add" in c.value for c in at.caption)  # what to do, on the page


def test_default_settings_show_the_sign_in_form_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUSKUNFT_ACCESS__SIGN_IN")  # the default is local sign-in
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and not at.chat_input and not at.tabs
    assert at.text_input(key="sign_in_password") is not None


def test_without_sign_in_everyone_is_desk_and_nobody_sees_admin_actions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """access.sign_in: none (opt-in): the Bürgerbüro mode only, no upload, no re-index."""
    monkeypatch.setenv("AUSKUNFT_ACCESS__SIGN_IN", "none")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.chat_input and at.sidebar.radio(key="mode").options == ["Bürgerbüro"]
    assert not at.tabs[1].file_uploader and all(b.key != "reindex" for b in at.button)
    assert "Re-Index und Hochladen sind der Rolle admin vorbehalten." in [c.value for c in at.caption]


def test_staff_user_gets_both_modes_but_no_admin_actions() -> None:
    at = sign_in("m.mueller", "Rathaus2026!")
    assert at.session_state["user"] == User("m.mueller", "staff")
    assert at.chat_input and "Angemeldet als m.mueller (Rolle: staff)" in [
        c.value for c in at.sidebar.caption
    ]
    assert at.sidebar.radio(key="mode").options == ["Sachbearbeitung", "Bürgerbüro"]
    assert "Re-Index und Hochladen sind der Rolle admin vorbehalten." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == "reindex"]
    at.sidebar.button(key="sign_out").click().run()
    assert "user" not in at.session_state and not at.chat_input


def test_desk_user_has_the_desk_mode_only_and_admin_the_admin_actions() -> None:
    desk = sign_in("k.schmidt", "Buergerbuero1")
    assert desk.sidebar.radio(key="mode").options == ["Bürgerbüro"]
    admin = sign_in("admin", "Verwaltung99")
    assert [b for b in admin.button if b.key == "reindex"]


def test_questions_are_audited_with_the_pseudonymised_user(
    konstanz_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from ui.audit import AuditLog

    data_dir = tmp_path / "copy"
    shutil.copytree(
        konstanz_index, data_dir, ignore=shutil.ignore_patterns("readers", "writer.lock", "audit")
    )
    UserStore(data_dir / "users.json").add("k.schmidt", "Buergerbuero1", "desk")
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(data_dir))
    at = sign_in("k.schmidt", "Buergerbuero1")
    at.chat_input[0].set_value("Wie viele Einwohner hat Timbuktu?").run()  # no evidence: refused, no model
    assert not at.exception
    log = AuditLog(data_dir / "audit")
    [record] = log.records()
    assert record["user"] == log.pseudonym("k.schmidt") and "schmidt" not in str(record)
    assert (record["role"], record["channel"], record["action"]) == ("desk", "ui", "ask")
    assert record["question"] == "Wie viele Einwohner hat Timbuktu?" and record["refused"] is True
