"""The REST API as a client uses it: `auskunft api` in a subprocess on loopback, real HTTP, real models,
the embedded Qdrant on a copy of the Konstanz statutes; sign-in with local users (HTTP Basic)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import api_server, as_user, free_port
from ui.audit import AuditLog

pytestmark = pytest.mark.api

QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"
SECRET = (
    "Vertrauliche Personalangelegenheit der Stadt Konstanz, Aktenzeichen P-4711.\n\n"
    "Der Hauptausschuss beschließt in nichtöffentlicher Sitzung die fristlose Kündigung des "
    "Hausmeisters der Grundschule Allmannsdorf wegen wiederholter Unterschlagung von Kassengeld "
    "in Höhe von 3.480 Euro.\n"
)
SECRET_QUESTION = "Warum wird dem Hausmeister der Grundschule Allmannsdorf fristlos gekündigt?"
LONG = httpx.Timeout(600.0, connect=10.0)


def one_line_error(response: httpx.Response, status: int) -> str:
    """The response is ``{"detail": "<one line>"}`` with ``status``, no traceback; returns the line."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"}, body
    detail = body["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail and "Traceback" not in detail
    return detail


def search(api: str, user: str, question: str, top_k: int = 5) -> list[dict]:
    response = httpx.post(
        f"{api}/search", json={"question": question, "top_k": top_k}, auth=as_user(user), timeout=LONG
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def names(hits: list[dict]) -> list[str]:
    return [Path(h["source"]).name for h in hits]


def test_openapi_lists_every_endpoint_and_no_docs_page_from_a_cdn(api: str) -> None:
    spec = httpx.get(f"{api}/openapi.json").json()
    assert spec["info"]["title"] == "Auskunft"
    assert set(spec["paths"]) >= {
        "/ask",
        "/search",
        "/ingest",
        "/reindex",
        "/documents",
        "/documents/{doc_id}",
        "/health",
        "/metrics",
    }
    assert "delete" in spec["paths"]["/documents/{doc_id}"]
    assert "application/x-ndjson" in spec["paths"]["/ask"]["post"]["responses"]["200"]["content"]
    assert httpx.get(f"{api}/docs").status_code == 404  # Swagger UI would load scripts from a CDN


def test_health_reports_the_index_and_the_generator(api: str) -> None:
    response = httpx.get(f"{api}/health")
    assert response.status_code == 200, response.text
    health = response.json()
    assert health["ok"] is True and health["detail"] is None
    assert health["generation"].startswith("gen-") and health["documents"] >= 14 and health["chunks"] > 100
    assert health["generator"]["backend"] == "llamacpp" and health["sign_in"] == "local"


def test_search_finds_the_statute_and_is_audited(api: str, api_data: Path) -> None:
    hits = search(api, "m.mueller", QUESTION)
    assert names(hits)[0] == "KON_Satzung_Verpackungssteuer.md"
    assert set(hits[0]) >= {"source", "title", "page", "score", "text", "section", "doc_type", "municipality"}
    log = AuditLog(api_data / "audit")
    record = [r for r in log.records() if r["question"] == QUESTION and r["action"] == "search"][-1]
    assert (record["channel"], record["role"]) == ("api", "staff")
    assert record["user"] == log.pseudonym("m.mueller") and "mueller" not in json.dumps(record)
    assert record["documents"][0].endswith("KON_Satzung_Verpackungssteuer.md")


def test_wrong_or_missing_credentials_get_401(api: str) -> None:
    wrong = httpx.post(f"{api}/search", json={"question": QUESTION}, auth=("m.mueller", "falsch"))
    assert (
        one_line_error(wrong, 401) == "Benutzername oder Passwort ist falsch (wrong user name or password)."
    )
    assert wrong.headers["www-authenticate"].startswith("Basic")
    unknown = httpx.post(f"{api}/search", json={"question": QUESTION}, auth=("niemand", "Verwaltung99"))
    one_line_error(unknown, 401)
    missing = httpx.post(f"{api}/search", json={"question": QUESTION})
    assert "auskunft user add" in one_line_error(missing, 401)
    assert httpx.get(f"{api}/documents").status_code == 401


def test_bad_input_gets_one_line_errors(api: str) -> None:
    auth = as_user("m.mueller")
    for body in (
        {},
        {"question": "   "},
        {"question": QUESTION, "top_k": 0},
        {"question": QUESTION, "filters": {"since": "gestern"}},
        {"question": QUESTION, "filter": {}},  # misspelt field
    ):
        detail = one_line_error(httpx.post(f"{api}/search", json=body, auth=auth), 422)
        assert detail.startswith("Invalid request")
    broken = httpx.post(
        f"{api}/search", content=b"{not json", headers={"content-type": "application/json"}, auth=auth
    )
    one_line_error(broken, 422)
    one_line_error(httpx.post(f"{api}/ask", json={"question": QUESTION, "style": "lang"}, auth=auth), 422)


def test_only_admin_may_change_the_index(api: str) -> None:
    for user in ("m.mueller", "k.schmidt"):
        assert "role admin" in one_line_error(httpx.post(f"{api}/reindex", json={}, auth=as_user(user)), 403)
        one_line_error(httpx.post(f"{api}/ingest", json={"paths": ["/tmp"]}, auth=as_user(user)), 403)
        one_line_error(httpx.delete(f"{api}/documents/abc", auth=as_user(user)), 403)
    one_line_error(httpx.post(f"{api}/ingest", json={"paths": ["relativ/pfad"]}, auth=as_user("admin")), 400)
    one_line_error(httpx.delete(f"{api}/documents/0000000000000000", auth=as_user("admin")), 404)
    # server paths only below ingest.allowed_roots (a mode-600 note elsewhere stays out), URLs only of
    # configured OParl servers
    for path in ("/etc/passwd", "/root", "http://169.254.169.254/latest/meta-data"):
        detail = one_line_error(
            httpx.post(f"{api}/ingest", json={"paths": [path]}, auth=as_user("admin")), 403
        )
        assert "not allowed" in detail


def test_desk_cannot_retrieve_a_confidential_document_admin_can(api: str, tmp_path: Path) -> None:
    secret = tmp_path / "personal" / "2025-05-12_Personalsache_P-4711.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    response = httpx.post(
        f"{api}/ingest",
        json={"paths": [str(secret)], "access": "confidential"},
        auth=as_user("admin"),
        timeout=LONG,
    )
    assert response.status_code == 200, response.text
    assert response.json()["added"] == [str(secret)] and response.json()["failed"] == []

    assert secret.name in names(search(api, "admin", SECRET_QUESTION, top_k=10))
    for user in ("k.schmidt", "m.mueller"):  # desk: public only; staff: public and internal
        assert secret.name not in names(search(api, user, SECRET_QUESTION, top_k=10))
    listed = {
        user: [d["source"] for d in httpx.get(f"{api}/documents", auth=as_user(user)).json()]
        for user in ("admin", "k.schmidt")
    }
    assert str(secret) in listed["admin"] and str(secret) not in listed["k.schmidt"]
    assert any(s.endswith("KON_Satzung_Verpackungssteuer.md") for s in listed["k.schmidt"])


def test_uploaded_document_is_found_and_deleting_it_removes_it_from_search(api: str, api_data: Path) -> None:
    text = "# Lastenradverleih\n\nDie Gebühr für das Ausleihen eines städtischen Lastenrads beträgt 7 Euro pro Tag.\n"
    files = [
        ("files", ("Lastenradverleih.md", text.encode(), "text/markdown")),
        ("files", ("bericht.pdf", b"PK\x03\x04 not a pdf", "application/pdf")),  # a renamed zip
    ]
    response = httpx.post(
        f"{api}/ingest",
        files=files,
        data={"access": "public"},
        headers={"X-Requested-With": "test"},  # a form needs it: a cross-site page cannot send it
        auth=as_user("admin"),
        timeout=LONG,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    uploaded = api_data / "uploads" / "Lastenradverleih.md"
    assert report["added"] == [str(uploaded)]
    assert [f["source"] for f in report["failed"]] == ["bericht.pdf"] and "archive" in report["failed"][0][
        "reason"
    ]
    question = "Was kostet das Ausleihen eines Lastenrads pro Tag?"
    assert names(search(api, "k.schmidt", question))[0] == "Lastenradverleih.md"  # public: the desk finds it

    [doc] = [
        d for d in httpx.get(f"{api}/documents", auth=as_user("admin")).json() if d["source"] == str(uploaded)
    ]
    assert doc["access"] == "public" and doc["chunks"] >= 1
    deleted = httpx.delete(f"{api}/documents/{doc['id']}", auth=as_user("admin"), timeout=LONG)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["removed"]["chunks"] >= 1 and not uploaded.exists()
    assert "Lastenradverleih.md" not in names(search(api, "admin", question, top_k=10))
    assert str(uploaded) not in [
        d["source"] for d in httpx.get(f"{api}/documents", auth=as_user("admin")).json()
    ]
    one_line_error(httpx.delete(f"{api}/documents/{doc['id']}", auth=as_user("admin")), 404)


def test_reindex_returns_the_run_report(api: str) -> None:
    response = httpx.post(f"{api}/reindex", json={}, auth=as_user("admin"), timeout=LONG)
    assert response.status_code == 200, response.text
    report = response.json()
    assert set(report) >= {"added", "updated", "unchanged", "deleted", "failed"}
    assert any(s.endswith("KON_Satzung_Verpackungssteuer.md") for s in report["unchanged"])


def test_refusal_as_json_and_as_ndjson_by_accept_header(api: str, api_data: Path) -> None:
    """No evidence for the question: refused without the language model (fast)."""
    question = "Wie viele Einwohner hat Timbuktu?"
    plain = httpx.post(f"{api}/ask", json={"question": question}, auth=as_user("k.schmidt"), timeout=LONG)
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("application/json")
    answer = plain.json()
    assert answer["refused"] is True and answer["citations"] == [] and answer["unverified"] is False
    assert answer["generated"] is False  # refused before the model
    streamed = httpx.post(
        f"{api}/ask",
        json={"question": question},
        headers={"accept": "application/x-ndjson"},
        auth=as_user("k.schmidt"),
        timeout=LONG,
    )
    assert streamed.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in streamed.text.splitlines()] == [answer]
    records = [r for r in AuditLog(api_data / "audit").records() if r["question"] == question]
    assert [(r["action"], r["role"], r["refused"]) for r in records] == [("ask", "desk", True)] * 2
    staff_style = httpx.post(
        f"{api}/ask", json={"question": question, "style": "staff"}, auth=as_user("k.schmidt")
    )
    one_line_error(staff_style, 403)  # the desk role has the desk answers only, as in the page


@pytest.mark.slow
def test_ask_streams_tokens_then_an_answer_citing_the_retrieved_chunks(api: str) -> None:
    """The real 1.5B model: several token lines, then the answer whose citations quote retrieved chunks."""
    with httpx.stream(
        "POST", f"{api}/ask?stream=true", json={"question": QUESTION}, auth=as_user("m.mueller"), timeout=LONG
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.iter_lines() if line]
    *tokens, final = lines
    assert len(tokens) >= 3 and all(set(t) == {"token"} and isinstance(t["token"], str) for t in tokens)
    assert set(final) == {"answer", "citations", "refused", "unverified", "generated"}
    assert isinstance(final["refused"], bool) and isinstance(final["unverified"], bool)
    assert final["generated"] is True or final["answer"].startswith("Die Dokumente sagen dazu")
    assert final["answer"].strip() and not final["refused"] and final["citations"], final
    chunks = {(h["source"], " ".join(h["text"].split())) for h in search(api, "m.mueller", QUESTION)}
    for citation in final["citations"]:
        quote = " ".join(citation["quote"].split())
        assert any(citation["source"] == source and quote in text for source, text in chunks), citation
    assert any(c["source"].endswith("KON_Satzung_Verpackungssteuer.md") for c in final["citations"])


def test_metrics_count_requests_and_the_index(api: str) -> None:
    search(api, "m.mueller", QUESTION)
    assert (
        httpx.post(f"{api}/search", json={"question": QUESTION}, auth=("admin", "falsch")).status_code == 401
    )
    text = httpx.get(f"{api}/metrics").text
    assert 'auskunft_requests_total{method="POST",path="/search",status="200"}' in text
    assert 'auskunft_request_duration_seconds_count{method="POST",path="/search"}' in text
    assert 'auskunft_requests_total{method="POST",path="/search",status="401"}' in text
    documents = [line for line in text.splitlines() if line.startswith("auskunft_documents ")]
    assert documents and float(documents[0].split()[1]) >= 14


def test_missing_index_gives_503_with_one_line(tmp_path: Path) -> None:
    """Anonymous read access (access.sign_in: none, opt-in): no credentials needed, the desk role."""
    with api_server(tmp_path / "empty", tmp_path / "server.log", AUSKUNFT_ACCESS__SIGN_IN="none") as url:
        health = httpx.get(f"{url}/health")
        assert health.status_code == 503 and health.json()["ok"] is False
        assert "auskunft ingest" in health.json()["detail"] and "\n" not in health.json()["detail"]
        detail = one_line_error(httpx.post(f"{url}/search", json={"question": QUESTION}, timeout=LONG), 503)
        assert "auskunft ingest" in detail
        one_line_error(httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=LONG), 503)
        assert httpx.get(f"{url}/documents").json() == []


def test_unreachable_qdrant_server_gives_503_with_one_line(tmp_path: Path) -> None:
    """A Qdrant server URL where nothing listens (a real closed port on loopback, no fake server)."""
    qdrant = f"http://127.0.0.1:{free_port()}"
    with api_server(
        tmp_path / "data",
        tmp_path / "server.log",
        AUSKUNFT_STORE__URL=qdrant,
        AUSKUNFT_ACCESS__SIGN_IN="none",
    ) as url:
        health = httpx.get(f"{url}/health", timeout=LONG)
        assert health.status_code == 503 and qdrant in health.json()["detail"]
        detail = one_line_error(httpx.post(f"{url}/search", json={"question": QUESTION}, timeout=LONG), 503)
        assert "Cannot reach the Qdrant server" in detail


def test_fresh_install_refuses_anonymous_and_cross_site_writes_and_foreign_hosts(tmp_path: Path) -> None:
    """Default settings, empty data dir: the first start prints an admin password (stored hashed); without it
    nothing changes the index; a cross-site text/plain POST and a foreign Host (DNS rebinding) are refused."""
    log = tmp_path / "server.log"
    with api_server(tmp_path / "data", log) as url:
        printed = log.read_text()
        assert "First start: sign in as admin with the password " in printed
        password = printed.split("with the password ", 1)[1].split()[0]
        assert password not in (tmp_path / "data" / "users.json").read_text()
        admin = ("admin", password)

        for response in (
            httpx.post(f"{url}/reindex", json={}),
            httpx.post(f"{url}/ingest", json={"paths": ["/home"]}),
            httpx.post(f"{url}/ingest", files={"files": ("a.md", b"# A")}, headers={"X-Requested-With": "x"}),
            httpx.delete(f"{url}/documents/abc"),
            httpx.post(f"{url}/search", json={"question": QUESTION}),
        ):
            assert "user add" in one_line_error(response, 401)
        # a page on another site posting text/plain (no CORS preflight), even with the admin's credentials
        cross = httpx.post(
            f"{url}/ingest",
            content=b'{"paths": ["/home"]}',
            headers={"content-type": "text/plain", "origin": "https://evil.example"},
            auth=admin,
        )
        assert "Cross-site" in one_line_error(cross, 403)
        plain = httpx.post(
            f"{url}/reindex", content=b"{}", headers={"content-type": "text/plain"}, auth=admin
        )
        assert "application/json" in one_line_error(plain, 415)
        form = httpx.post(f"{url}/ingest", files={"files": ("a.md", b"# A")}, auth=admin)
        assert "X-Requested-With" in one_line_error(form, 403)
        rebinding = httpx.get(f"{url}/health", headers={"host": "attacker.example"})
        assert "access.allowed_hosts" in one_line_error(rebinding, 400)
        assert httpx.post(f"{url}/reindex", json={}, auth=admin, timeout=LONG).status_code == 200


def test_header_sign_in_from_an_untrusted_address_is_ignored(tmp_path: Path) -> None:
    """No access.trusted_proxies: even from loopback, X-Forwarded-User/-Groups make nobody admin."""
    mallory = {"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "admin"}
    with api_server(
        tmp_path / "data",
        tmp_path / "server.log",
        AUSKUNFT_ACCESS__SIGN_IN="header",
        AUSKUNFT_ACCESS__GROUP_ROLES='{"rathaus-admins": "admin"}',
    ) as url:
        one_line_error(httpx.post(f"{url}/reindex", json={}, headers=mallory), 401)
        one_line_error(httpx.get(f"{url}/documents", headers=mallory), 401)
