"""pipelines.offline.enforce_offline: telemetry is switched off in code, also in libraries imported earlier."""

from __future__ import annotations

import os

import pytest

from pipelines.offline import OFFLINE_ENV, enforce_offline


def test_switches_off_what_libraries_read_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    import haystack.telemetry._telemetry as haystack_telemetry
    import huggingface_hub.constants as hub
    import posthog

    # as if the libraries had been imported before any entry point ran (e.g. a page importing haystack first)
    monkeypatch.setattr(haystack_telemetry, "telemetry", object())
    monkeypatch.setattr(posthog, "disabled", False)
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "HF_HUB_DISABLE_TELEMETRY", False)
    for key in OFFLINE_ENV:
        monkeypatch.delenv(key, raising=False)

    enforce_offline()

    assert haystack_telemetry.telemetry is None
    assert posthog.disabled is True
    assert hub.HF_HUB_OFFLINE is True and hub.HF_HUB_DISABLE_TELEMETRY is True
    assert all(os.environ[k] == v for k, v in OFFLINE_ENV.items())
    # unstructured reads its opt-out at every partition call
    from unstructured.utils import _telemetry_opt_out

    assert _telemetry_opt_out()


def test_importing_the_package_switches_telemetry_off_without_an_entry_point() -> None:
    """A municipality's own script that imports QueryService directly (no `auskunft`, no conftest) must not
    phone home: Haystack's telemetry, imported first, is off once `pipelines` is imported."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENV}
    code = (
        "import os, haystack.telemetry._telemetry as t\n"
        "assert t.telemetry is not None, 'haystack telemetry should start on here'\n"
        "import pipelines.query\n"
        "assert t.telemetry is None, 'still on'\n"
        "assert os.environ['HAYSTACK_TELEMETRY_ENABLED'] == 'False'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
