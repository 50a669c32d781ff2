"""Checks every request to the page and the API makes before anything else: the Host it was sent to
(DNS rebinding) and, for requests that change something, where it comes from (cross-site requests).

>>> from config.settings import load_settings
>>> settings = load_settings()
>>> host_refusal(settings, "127.0.0.1:8000") is None, host_refusal(settings, "evil.example:8000") is not None
(True, True)
>>> origin_refusal("http://127.0.0.1:8000", "127.0.0.1:8000", None) is None
True
>>> origin_refusal("https://evil.example", "127.0.0.1:8000", None) is not None
True
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def host_name(host: str) -> str:
    """``"Example.org:8000"`` -> ``"example.org"``, ``"[::1]:8000"`` -> ``"::1"``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def host_refusal(settings: Any, host: str | None) -> str | None:
    """Why a request sent to ``host`` (its Host header) is refused, or ``None``."""
    allowed = {host_name(h) for h in settings.access.allowed_hosts}
    name = host_name(host or "")
    if name and name in allowed:
        return None
    return (
        f"Unknown host name '{name or '(none)'}': Auskunft answers only to access.allowed_hosts "
        f"({', '.join(sorted(allowed))}); add the name there if Auskunft is reached by it."
    )


def origin_refusal(origin: str | None, host: str | None, fetch_site: str | None) -> str | None:
    """Why a request that changes something is refused as cross-site, or ``None``.

    Browsers send ``Origin`` (and ``Sec-Fetch-Site``) with every cross-site POST and DELETE; tools such as
    curl send neither. The origin must be the address the request was sent to.
    """
    if fetch_site and fetch_site.strip().lower() == "cross-site":
        return "Cross-site request refused (Sec-Fetch-Site: cross-site); call Auskunft from its own page or a script."
    if origin is None:
        return None
    parts = urlsplit(origin.strip())
    if parts.scheme in ("http", "https") and parts.netloc and parts.netloc.lower() == (host or "").lower():
        return None
    return (
        f"Cross-site request refused (Origin {origin.strip()[:80] or '(empty)'} is not this server); "
        "call Auskunft from its own page or a script."
    )
