"""Who is calling: the same sign-in as the page (``access.sign_in``), and the role that limits the answers.

* ``local`` (default): HTTP Basic with a user of ``auskunft user add`` (scrypt hashes in the users file), or
  an API key of ``auskunft user key NAME`` as ``Authorization: Bearer <key>`` (OpenAI-compatible clients).
* ``header``: an API key as above (programs that call the API past the proxy), else the user and groups a reverse proxy passes in ``access.user_header``/``access.role_header``,
  taken only from ``access.trusted_proxies`` (uvicorn runs without proxy-header rewriting, so the address
  checked is the proxy's own), roles only through ``access.group_roles``.
* ``none``: no sign-in; every caller has the desk role (public documents, read-only); nobody is admin.

The admin endpoints need a signed-in user with the role admin, whatever the mode.

>>> from config.settings import load_settings
>>> caller = authenticate(load_settings(access={"sign_in": "none"}), None, {}, "127.0.0.1")
>>> caller.role, caller.user
('desk', None)
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ui.api.errors import ApiError
from ui.users import User, UserStore, header_user

WRONG_CREDENTIALS = "Benutzername oder Passwort ist falsch (wrong user name or password)."
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Auskunft", charset="UTF-8"'}
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="Auskunft"'}
WRONG_KEY = (
    "Unbekannter API-Schlüssel (unknown API key): make one with `auskunft user key NAME` on the server."
)


@dataclass(frozen=True)
class Caller:
    """The signed-in user (``None`` without sign-in), the role applied to every query, the name audited."""

    user: User | None
    role: str

    @property
    def audit_name(self) -> str:
        return self.user.name if self.user else "api"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(name, password)`` from an ``Authorization: Basic ...`` header, ``None`` if there is none."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, password = decoded.partition(":")
    return (name, password) if colon else None


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, ``None`` if there is none."""
    scheme, _, value = (authorization or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def key_caller(settings: Any, key: str) -> Caller:
    user = UserStore.for_settings(settings).key_user(key)
    if user is None:
        raise ApiError(401, WRONG_KEY, BEARER_CHALLENGE)
    return Caller(user, user.role)


def authenticate(
    settings: Any, authorization: str | None, headers: Mapping[str, str], client_host: str | None
) -> Caller:
    """The caller of one request, or :class:`ApiError` 401 with a one-line reason."""
    access = settings.access
    if access.sign_in == "none":
        return Caller(None, "desk")  # anonymous: read-only, public documents
    if (key := bearer_key(authorization)) is not None:
        return key_caller(settings, key)
    if access.sign_in == "header":
        # an unknown peer address is never trusted (header_user takes None for loopback)
        user = header_user(settings, headers, client_host or "unknown")
        if user is None:
            raise ApiError(
                401,
                f"Not signed in: the API takes the user from {access.user_header} sent by a reverse proxy in "
                "access.trusted_proxies, with a group mapped by access.group_roles; call it through the proxy.",
            )
        return Caller(user, user.role)
    credentials = basic_credentials(authorization)
    if credentials is None:
        raise ApiError(
            401,
            "Anmeldung erforderlich (sign in): send HTTP Basic credentials of a user from `auskunft user add` "
            "or an API key from `auskunft user key NAME` as Authorization: Bearer KEY.",
            BASIC_CHALLENGE,
        )
    user = UserStore.for_settings(settings).verify(credentials[0].strip(), credentials[1])
    if user is None:
        raise ApiError(401, WRONG_CREDENTIALS, BASIC_CHALLENGE)
    return Caller(user, user.role)


def require_admin(settings: Any, caller: Caller) -> None:
    """Admin endpoints: ``api.admin`` on and a signed-in user with the role admin (else 403)."""
    if not settings.api.admin:
        raise ApiError(403, "Admin endpoints are switched off (api.admin: false); use the auskunft command.")
    if caller.user is None:
        raise ApiError(
            403,
            "Without sign-in (access.sign_in: none) nobody may change the index; sign in as an admin "
            "(access.sign_in: local) or use the auskunft command on the server.",
        )
    if caller.role != "admin":
        raise ApiError(
            403,
            f"Only the role admin may do this; {caller.user.name} has the role {caller.role} "
            "(auskunft user add NAME --role admin).",
        )
