"""The API's sign-in (ui.api.auth), metrics text and one-line errors, without a server."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from config.settings import load_settings
from pipelines.stores import StoreError
from ui.api.auth import Caller, authenticate, basic_credentials, is_loopback, require_admin
from ui.api.errors import ApiError, status_and_detail
from ui.api.metrics import Metrics
from ui.users import User, UserStore


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


def test_basic_credentials_are_parsed_and_garbage_is_none() -> None:
    assert basic_credentials(basic("m.mueller", "a:b ü")) == ("m.mueller", "a:b ü")
    for header in (None, "", "Bearer x", "Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()):
        assert basic_credentials(header) is None


def test_without_sign_in_everyone_has_the_default_role_and_the_admin_endpoints() -> None:
    settings = load_settings("test")
    caller = authenticate(settings, basic("x", "y"), {}, "10.1.2.3")
    assert caller == Caller(None, "staff") and caller.audit_name == "api"
    require_admin(settings, caller)  # as at the page without sign-in (ui.admin / api.admin)
    closed = load_settings("test", api={"admin": False})
    with pytest.raises(ApiError) as info:
        require_admin(closed, caller)
    assert info.value.status == 403


def test_local_users_sign_in_with_http_basic(hermetic_env: Path) -> None:
    settings = load_settings("test", access={"sign_in": "local"})
    UserStore.for_settings(settings).add("k.schmidt", "Buergerbuero1", "desk")
    caller = authenticate(settings, basic("k.schmidt", "Buergerbuero1"), {}, "127.0.0.1")
    assert caller == Caller(User("k.schmidt", "desk"), "desk") and caller.audit_name == "k.schmidt"
    for header in (basic("k.schmidt", "falsch"), basic("niemand", "Buergerbuero1"), None):
        with pytest.raises(ApiError) as info:
            authenticate(settings, header, {}, "127.0.0.1")
        assert (
            info.value.status == 401
            and info.value.headers
            and "Basic" in info.value.headers["WWW-Authenticate"]
        )
    with pytest.raises(ApiError) as forbidden:
        require_admin(settings, caller)
    assert forbidden.value.status == 403 and "role admin" in forbidden.value.detail


def test_proxy_headers_count_only_from_loopback_or_trusted_proxies() -> None:
    settings = load_settings(
        "test",
        access={
            "sign_in": "header",
            "trusted_proxies": ["10.0.0.5"],
            "group_roles": {"rathaus-admins": "admin"},
        },
    )
    headers = {"X-Forwarded-User": "m.mueller", "X-Forwarded-Groups": "staff,rathaus-admins"}
    assert authenticate(settings, None, headers, "127.0.0.1") == Caller(User("m.mueller", "admin"), "admin")
    assert authenticate(settings, None, headers, "::1").role == "admin"
    assert authenticate(settings, None, headers, "10.0.0.5").role == "admin"
    for untrusted in ("10.0.0.6", None):
        with pytest.raises(ApiError) as info:
            authenticate(settings, None, headers, untrusted)
        assert info.value.status == 401
    with pytest.raises(ApiError):
        authenticate(settings, basic("m.mueller", "x"), {}, "127.0.0.1")  # no Basic in header mode


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1") and not is_loopback(None)


def test_known_failures_keep_their_message_and_get_a_status() -> None:
    settings = load_settings("test")
    assert status_and_detail(
        StoreError("The index is empty; run `auskunft ingest PATH` first."), settings
    ) == (
        503,
        "The index is empty; run `auskunft ingest PATH` first.",
    )
    status, detail = status_and_detail(KeyError("boom"), settings, "Searching")
    assert status == 500 and detail.startswith("Searching failed (KeyError") and "\n" not in detail


def test_metrics_render_prometheus_text() -> None:
    metrics = Metrics()
    metrics.observe("POST", "/ask", 200, 2.5)
    metrics.observe("POST", "/ask", 200, 0.5)
    metrics.observe("POST", "/ask", 503, 0.1)
    text = metrics.render({"auskunft_chunks": ("Chunks.", 256.0)})
    assert 'auskunft_requests_total{method="POST",path="/ask",status="200"} 2' in text
    assert 'auskunft_requests_total{method="POST",path="/ask",status="503"} 1' in text
    assert 'auskunft_request_duration_seconds_sum{method="POST",path="/ask"} 3.100000' in text
    assert 'auskunft_request_duration_seconds_count{method="POST",path="/ask"} 3' in text
    assert "# TYPE auskunft_chunks gauge\nauskunft_chunks 256\n" in text


def test_oversized_bodies_are_refused_with_413_and_bad_json_with_one_line() -> None:
    """In-process (TestClient), no index needed: the limit acts before anything is read into memory."""
    from fastapi.testclient import TestClient

    from ui.api import create_app

    app = create_app(load_settings("test", api={"max_request_mb": 1}))
    big = b'{"question": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    with TestClient(app) as client:
        sized = client.post("/search", content=big, headers={"content-type": "application/json"})
        chunked = client.post(
            "/search",
            content=(big[i : i + 65536] for i in range(0, len(big), 65536)),
            headers={"content-type": "application/json"},
        )
        health = client.get("/health")
    for response in (sized, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["detail"].startswith("The request is larger than api.max_request_mb (1 MB)")
    assert health.status_code == 503 and "auskunft ingest" in health.json()["detail"]
