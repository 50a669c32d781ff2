"""Sign-in for the page and the API: local users with scrypt password hashes, or trusted headers from a reverse proxy.

``access.sign_in``:

API keys (``auskunft user key NAME``): a random key per program that calls the API for a user (an
OpenAI-compatible chat front end, a script), sent as ``Authorization: Bearer <key>``; only its SHA-256 is
stored (the key has 192 random bits, so a fast hash is safe), it acts with the user's current role, and
``auskunft user key NAME --revoke`` removes the user's keys.

* ``local`` (default): users in a JSON file (``access.users_file``, default ``<data_dir>/users.json``), managed
  with ``auskunft user add|remove|list``; passwords are stored as scrypt hashes (n=2**14, r=8, p=1, 16-byte
  salt). The first ``auskunft ui`` or ``auskunft api`` creates the user ``admin`` with a random password that
  is printed once (:func:`ensure_admin`).
* ``header``: a reverse proxy (e.g. oauth2-proxy or Keycloak Gatekeeper in front of the page, with AD or
  OIDC behind it) signs users in and passes ``access.user_header`` and ``access.role_header``. Headers are
  taken only from ``access.trusted_proxies`` (loopback too only when listed); roles only through
  ``access.group_roles``.
* ``none``: no sign-in; everyone has the desk role (public documents, read-only).

>>> store = UserStore(Path("/tmp/auskunft-users-doctest.json"))
>>> store.add("m.mueller", "geheim123", "staff")
>>> store.verify("m.mueller", "geheim123").role, store.verify("m.mueller", "falsch")
('staff', None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.access import ROLES, check_role

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.@-]{1,64}$")


class SignInError(ValueError):
    """A one-line message for the user (bad name, short password, unreadable users file)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


KEY_PREFIX = "ak-"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# a hash to compare against for unknown names, so that a wrong name costs as long as a wrong password
_DUMMY = hash_password("auskunft-dummy-password", salt=b"\0" * 16)


class UserStore:
    """The local users file: ``{"users": {name: {"hash": "scrypt$...", "role": "staff", "keys": [...]}}}``
    (mode 0600); ``keys`` holds the SHA-256 of each API key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_settings(cls, settings: Any) -> UserStore:
        return cls(Path(settings.access.users_file or Path(settings.data_dir) / "users.json"))

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise SignInError(f"The users file {self.path} is not valid JSON; fix or recreate it.") from exc
        return dict(data.get("users", {})) if isinstance(data, dict) else {}

    def _save(self, users: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"users": users}, f, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    def add(self, name: str, password: str, role: str) -> None:
        """Add a user or set a new password and role."""
        if not _NAME.match(name):
            raise SignInError("A user name has 1-64 letters, digits, '.', '_', '@' or '-'.")
        if len(password) < MIN_PASSWORD:
            raise SignInError(f"The password needs at least {MIN_PASSWORD} characters.")
        users = self._load()
        # a new password or role keeps the user's API keys
        users[name] = {**users.get(name, {}), "hash": hash_password(password), "role": check_role(role)}
        self._save(users)

    def add_key(self, name: str, label: str = "") -> str:
        """A new API key for the user ``name`` (returned once; only its hash is stored)."""
        users = self._load()
        if name not in users:
            raise SignInError(f"There is no user '{name}'; add it first with `auskunft user add {name}`.")
        key = KEY_PREFIX + secrets.token_urlsafe(24)
        entry: dict[str, Any] = dict(users[name])
        keys = list(entry.get("keys", []))
        keys.append({"sha256": key_hash(key), "label": label[:80], "id": key_hash(key)[:8]})
        entry["keys"] = keys
        users[name] = entry
        self._save(users)
        return key

    def revoke_keys(self, name: str) -> int:
        """Remove every API key of ``name``; returns how many there were."""
        users = self._load()
        entry = dict(users.get(name, {}))
        keys = entry.pop("keys", [])
        if keys:
            users[name] = entry
            self._save(users)
        return len(keys)

    def key_user(self, key: str) -> User | None:
        """The user an API key belongs to, with the user's current role; ``None`` for an unknown key."""
        digest = key_hash(key.strip())
        found = None
        for name, entry in self._load().items():
            for stored in entry.get("keys", []):
                if hmac.compare_digest(str(stored.get("sha256", "")), digest):
                    found = User(name, entry.get("role", "desk"))
        return found

    def remove(self, name: str) -> bool:
        users = self._load()
        if users.pop(name, None) is None:
            return False
        self._save(users)
        return True

    def users(self) -> list[User]:
        return [User(name, entry.get("role", "desk")) for name, entry in sorted(self._load().items())]

    def verify(self, name: str, password: str) -> User | None:
        entry = self._load().get(name)
        if entry is None:
            check_password(password, _DUMMY)
            return None
        if not check_password(password, entry.get("hash", "")):
            return None
        return User(name, entry.get("role", "desk"))


ANONYMOUS = User("anonym", "desk")  # access.sign_in: none


def ensure_admin(settings: Any) -> str | None:
    """First start with ``access.sign_in: local`` and no admin yet: create the user ``admin`` with a random
    password and return it (to be printed once; only its scrypt hash is stored). ``None`` when there is one.
    """
    if settings.access.sign_in != "local":
        return None
    import portalocker

    store = UserStore.for_settings(settings)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    # `auskunft ui` and `auskunft api` may start together: one of them creates the user
    with portalocker.Lock(str(store.path) + ".lock", timeout=30):
        if any(user.role == "admin" for user in store.users()):
            return None
        password = secrets.token_urlsafe(15)  # 20 characters, 120 bits
        name = "admin" if "admin" not in {u.name for u in store.users()} else "admin-" + secrets.token_hex(2)
        store.add(name, password, "admin")
        return f"{name}:{password}"


def _peer_trusted(remote_ip: str | None, trusted: list[str]) -> bool:
    """Whether the peer is one of ``trusted`` (addresses or networks such as ``10.0.0.0/24``);
    ``None`` stands for loopback (Streamlit's ``st.context.ip_address``)."""
    try:
        peer = ipaddress.ip_address((remote_ip or "127.0.0.1").split("%", 1)[0])
    except ValueError:
        return False
    for entry in trusted:
        if entry == "localhost":
            entry = "127.0.0.1"
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if peer in network or (peer.is_loopback and network.num_addresses == 1 and network[0].is_loopback):
            return True
    return False


def header_user(settings: Any, headers: Mapping[str, str], remote_ip: str | None) -> User | None:
    """The user a trusted reverse proxy signed in, from ``access.user_header``/``access.role_header``.

    Headers count only from ``access.trusted_proxies`` (``remote_ip`` ``None`` is loopback, trusted only when
    a loopback address is listed). The role header carries the user's groups (comma-separated); only groups
    in ``access.group_roles`` give a role, the most powerful wins; a user with no mapped group gets ``None``.
    """
    access = settings.access
    if not _peer_trusted(remote_ip, list(access.trusted_proxies)):
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    name = (lowered.get(access.user_header.lower()) or "").strip()
    if not name:
        return None
    values = [v.strip() for v in (lowered.get(access.role_header.lower()) or "").split(",") if v.strip()]
    roles = {access.group_roles[v] for v in values if v in access.group_roles} & set(ROLES)
    role = next((r for r in ("admin", "staff", "desk") if r in roles), None)
    return User(name, role) if role else None
