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


def test_defaults_require_sign_in_and_anonymous_is_at_most_desk_without_admin(hermetic_env: Path) -> None:
    settings = load_settings("test")
    assert settings.access.sign_in == "local"  # the default: nobody is anonymous
    with pytest.raises(ApiError) as missing:
        authenticate(settings, None, {}, "127.0.0.1")
    assert missing.value.status == 401
    anonymous = load_settings("test", access={"sign_in": "none"})  # opt-in
    caller = authenticate(anonymous, basic("x", "y"), {}, "10.1.2.3")
    assert caller == Caller(None, "desk") and caller.audit_name == "api"
    with pytest.raises(ApiError) as info:
        require_admin(anonymous, caller)
    assert info.value.status == 403 and "nobody may change the index" in info.value.detail
    closed = load_settings("test", api={"admin": False})
    with pytest.raises(ApiError) as off:
        require_admin(closed, Caller(User("root", "admin"), "admin"))
    assert off.value.status == 403


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


def test_proxy_headers_count_only_from_trusted_proxies_and_roles_only_by_mapping() -> None:
    settings = load_settings(
        "test",
        access={
            "sign_in": "header",
            "trusted_proxies": ["10.0.0.5"],
            "group_roles": {"rathaus-admins": "admin", "rathaus": "staff"},
        },
    )
    headers = {"X-Forwarded-User": "m.mueller", "X-Forwarded-Groups": "staff,rathaus-admins"}
    assert authenticate(settings, None, headers, "10.0.0.5") == Caller(User("m.mueller", "admin"), "admin")
    # no implicit trust of loopback: any local process could send these headers
    for untrusted in ("127.0.0.1", "::1", "10.0.0.6", None):
        with pytest.raises(ApiError) as info:
            authenticate(settings, None, headers, untrusted)
        assert info.value.status == 401
    # a group literally named admin is no role; only access.group_roles maps groups to roles
    mallory = {"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "admin"}
    with pytest.raises(ApiError):
        authenticate(settings, None, mallory, "10.0.0.5")
    staff = {"X-Forwarded-User": "k", "X-Forwarded-Groups": "rathaus, sonstige"}
    assert authenticate(settings, None, staff, "10.0.0.5").role == "staff"
    with pytest.raises(ApiError):
        authenticate(settings, basic("m.mueller", "x"), {}, "10.0.0.5")  # no Basic in header mode
    local_proxy = load_settings(
        "test",
        access={"sign_in": "header", "trusted_proxies": ["127.0.0.1"], "group_roles": {"g": "desk"}},
    )
    one = {"X-Forwarded-User": "d", "X-Forwarded-Groups": "g"}
    assert authenticate(local_proxy, None, one, "::1").role == "desk"  # loopback when listed
    subnet = load_settings(
        "test", access={"sign_in": "header", "trusted_proxies": ["10.0.0.0/24"], "group_roles": {"g": "desk"}}
    )
    assert authenticate(subnet, None, one, "10.0.0.77").role == "desk"


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
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
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


def test_first_start_creates_one_admin_with_a_password_shown_once(hermetic_env: Path) -> None:
    from ui.users import ensure_admin

    settings = load_settings("test")
    created = ensure_admin(settings)
    assert created is not None
    name, password = created.split(":", 1)
    assert name == "admin" and len(password) >= 20
    store = UserStore.for_settings(settings)
    assert store.verify("admin", password) == User("admin", "admin")
    assert password not in store.path.read_text() and store.path.stat().st_mode & 0o077 == 0
    assert ensure_admin(settings) is None  # shown once: the next start finds the admin
    assert ensure_admin(load_settings("test", access={"sign_in": "header"})) is None


def test_requests_to_foreign_hosts_and_cross_site_writes_are_refused() -> None:
    """In-process (TestClient): the guard answers before sign-in, routes or the index are reached."""
    from fastapi.testclient import TestClient

    from ui.api import create_app

    app = create_app(load_settings("test"))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        rebinding = client.get("/health", headers={"host": "evil.example:8000"})
        text_plain = client.post(
            "/ingest",
            content=b'{"paths": ["/home"]}',
            headers={"content-type": "text/plain", "origin": "http://127.0.0.1:8000"},
        )
        cross_site = client.post(
            "/reindex", json={}, headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
        )
        cross_delete = client.delete("/documents/abc", headers={"origin": "https://evil.example"})
        form = client.post("/ingest", files={"files": ("a.md", b"# A")})
        anonymous = client.post("/reindex", json={})
        same_site = client.get("/health", headers={"host": "localhost:8000"})
    assert rebinding.status_code == 400 and "access.allowed_hosts" in rebinding.json()["detail"]
    assert text_plain.status_code == 415 and "application/json" in text_plain.json()["detail"]
    assert cross_site.status_code == 403 and "Cross-site" in cross_site.json()["detail"]
    assert cross_delete.status_code == 403
    assert form.status_code == 403 and "X-Requested-With" in form.json()["detail"]
    assert anonymous.status_code == 401  # the default asks for credentials
    assert same_site.status_code == 503  # passed the guard; no index yet


def test_api_ingest_paths_only_below_allowed_roots(tmp_path: Path) -> None:
    from ui.api.index import path_refusal

    root = tmp_path / "ortsrecht"
    (root / "sub").mkdir(parents=True)
    (root / "link").symlink_to("/etc")
    settings = load_settings("test", ingest={"allowed_roots": [str(root)]})
    assert path_refusal(settings, str(root / "sub")) is None
    for path in ("/etc/passwd", str(root / "link" / "passwd"), str(root / ".." / "x"), "/home"):
        assert "ingest.allowed_roots" in (path_refusal(settings, path) or ""), path
    assert "absolute path" in (path_refusal(settings, "relativ") or "")
    assert "none configured" in (path_refusal(load_settings("test"), str(root)) or "")
    assert "OParl server" in (path_refusal(settings, "http://169.254.169.254/latest") or "")
