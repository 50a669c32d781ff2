"""ui.users: local users with scrypt hashes, and users signed in by a trusted reverse proxy."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import load_settings
from ui.users import SignInError, User, UserStore, check_password, hash_password, header_user


def test_passwords_are_scrypt_hashes(tmp_path: Path) -> None:
    stored = hash_password("Rathaus2026!")
    assert stored.startswith("scrypt$16384$8$1$") and "Rathaus2026" not in stored
    assert check_password("Rathaus2026!", stored) and not check_password("rathaus2026!", stored)
    assert hash_password("Rathaus2026!") != stored  # a new salt each time
    assert not check_password("x", "md5$abc") and not check_password("x", "kaputt")


def test_user_store(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("m.mueller", "Rathaus2026!", "staff")
    store.add("k.schmidt", "Buergerbuero1", "desk")
    assert store.verify("m.mueller", "Rathaus2026!") == User("m.mueller", "staff")
    assert store.verify("m.mueller", "falsch") is None and store.verify("niemand", "Rathaus2026!") is None
    assert store.users() == [User("k.schmidt", "desk"), User("m.mueller", "staff")]
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600
    assert "Rathaus2026" not in (tmp_path / "users.json").read_text(encoding="utf-8")
    store.add("m.mueller", "NeuesPasswort1", "admin")  # a new password and role
    assert store.verify("m.mueller", "Rathaus2026!") is None
    assert store.verify("m.mueller", "NeuesPasswort1") == User("m.mueller", "admin")
    assert store.remove("k.schmidt") and not store.remove("k.schmidt")
    with pytest.raises(SignInError, match="at least 8"):
        store.add("a", "kurz", "staff")
    with pytest.raises(SignInError, match="user name"):
        store.add("../x", "langgenug1", "staff")
    (tmp_path / "users.json").write_text("{kaputt", encoding="utf-8")
    with pytest.raises(SignInError, match="not valid JSON"):
        store.verify("m.mueller", "NeuesPasswort1")


def test_trusted_headers() -> None:
    settings = load_settings(
        "test",
        access={
            "group_roles": {"auskunft-admins": "admin", "rathaus": "staff"},
            "trusted_proxies": ["10.0.0.5"],
        },
    )
    headers = {"x-forwarded-user": "m.mueller", "X-Forwarded-Groups": "rathaus, auskunft-admins"}
    assert header_user(settings, headers, "10.0.0.5") == User("m.mueller", "admin")
    assert header_user(settings, headers, None) is None  # loopback is not trusted unless listed
    assert header_user(settings, headers, "192.168.1.20") is None  # headers from elsewhere are not trusted
    # roles only through group_roles: a group named like a role is nothing
    assert header_user(settings, {"X-Forwarded-User": "k", "X-Forwarded-Groups": "admin"}, "10.0.0.5") is None
    assert header_user(settings, {"X-Forwarded-User": "gast"}, "10.0.0.5") is None  # no group: no role
    assert header_user(settings, {"X-Forwarded-Groups": "rathaus"}, "10.0.0.5") is None  # no user
    loopback = load_settings(
        "test", access={"group_roles": {"rathaus": "staff"}, "trusted_proxies": ["127.0.0.1"]}
    )
    assert header_user(loopback, {"X-Forwarded-User": "k", "X-Forwarded-Groups": "rathaus"}, None) == User(
        "k", "staff"
    )


def test_user_commands(hermetic_env: Path) -> None:
    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ui.cli", *args], input=stdin, capture_output=True, text=True
        )

    added = cli("user", "add", "m.mueller", "--role", "admin", "--password-stdin", stdin="Rathaus2026!\n")
    assert added.returncode == 0, added.stderr
    assert cli("user", "list").stdout == "m.mueller\tadmin\n"
    assert UserStore(hermetic_env / "users.json").verify("m.mueller", "Rathaus2026!") == User(
        "m.mueller", "admin"
    )
    short = cli("user", "add", "x", "--password-stdin", stdin="kurz\n")
    assert (
        short.returncode == 1 and short.stderr.strip() == "Error: The password needs at least 8 characters."
    )
    role = cli("user", "add", "x", "--role", "chef", "--password-stdin", stdin="langgenug1\n")
    assert role.returncode == 1 and "Unknown role 'chef'" in role.stderr and "Traceback" not in role.stderr
    assert cli("user", "remove", "m.mueller").returncode == 0
    assert cli("user", "remove", "m.mueller").returncode == 1
