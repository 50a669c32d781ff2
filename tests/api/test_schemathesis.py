"""Property-based fuzzing of the REST API from its own /openapi.json with Schemathesis (an outsider's tests):
for every operation a bounded number of generated requests, as the admin (so that every endpoint is reached
past the sign-in), against `auskunft api` in a subprocess over real HTTP on a copy of the Konstanz index.
Checked: no 500, responses, status codes and content types as the spec says."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import USERS, api_server

pytestmark = pytest.mark.api

EXAMPLES = 15  # per operation; derandomized, so every run sends the same requests


@pytest.fixture(scope="module")
def fuzzed_api(api_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    allowed = tmp_path_factory.mktemp("allowed")
    (allowed / "satzung.md").write_text("# Satzung\n\nDie Gebühr beträgt 5 Euro.\n", encoding="utf-8")
    with api_server(
        api_data,
        api_data.parent / "fuzz-server.log",
        AUSKUNFT_ACCESS__SIGN_IN="local",
        AUSKUNFT_INGEST__ALLOWED_ROOTS=json.dumps([str(allowed)]),
    ) as url:
        yield url
    log = (api_data.parent / "fuzz-server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]


@pytest.fixture(scope="module")
def api_schema(fuzzed_api: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzzed_api}/openapi.json")


ADMIN = "Basic " + base64.b64encode(f"admin:{USERS['admin'][0]}".encode()).decode()
OPERATIONS = [
    ("post", "/ask"),
    ("post", "/search"),
    ("get", "/health"),
    ("get", "/metrics"),
    ("get", "/documents"),
    ("delete", "/documents/{doc_id}"),
    ("post", "/ingest"),
    ("post", "/reindex"),
    ("get", "/v1/models"),
    ("post", "/v1/chat/completions"),
]


def test_every_operation_of_the_spec_is_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    found = [(o.ok().method, o.ok().path) for o in api_schema.get_all_operations()]
    assert sorted(found) == sorted(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api_conforms_to_its_spec_and_never_fails_with_500(
    api_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    """Schemathesis' pytest plugin loads schemas lazily from fixtures in a way pytest 9 no longer supports,
    so each operation's generated cases are run here with Hypothesis directly (the same checks)."""
    operation = api_schema[path][method.upper()]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"Authorization": ADMIN}, timeout=600)

    fuzz()
