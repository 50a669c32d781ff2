"""Switch off every phone-home path of the libraries we use. Called by every entry point."""

from __future__ import annotations

import contextlib
import os
import sys

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HAYSTACK_TELEMETRY_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    """Keep Hugging Face, Haystack, unstructured, Streamlit (and Qdrant's client) from calling home.

    Sets the variables each library reads (unstructured reads them at every partition call) and, for
    libraries already imported (they read their switch at import time), flips the switch itself:
    Haystack's telemetry object, PostHog (Haystack's telemetry client), the Hugging Face hub's offline
    constants and Streamlit's usage statistics. The Qdrant client has no telemetry; a Qdrant *server*
    is told ``QDRANT__TELEMETRY_DISABLED`` in docker-compose.yml. tests/integration/test_offline_network.py
    runs ingest, ask and the UI without a network and records every outbound connection attempt.
    """
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    _switch_off_imported()


def _switch_off_imported() -> None:
    haystack_telemetry = sys.modules.get("haystack.telemetry._telemetry")
    if haystack_telemetry is not None:
        haystack_telemetry.telemetry = None  # type: ignore[attr-defined]
    posthog = sys.modules.get("posthog")
    if posthog is not None:
        posthog.disabled = True  # type: ignore[attr-defined]
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:
        hub.HF_HUB_OFFLINE = True  # type: ignore[attr-defined]
        hub.HF_HUB_DISABLE_TELEMETRY = True  # type: ignore[attr-defined]
    streamlit_config = sys.modules.get("streamlit.config")
    if streamlit_config is not None:
        with contextlib.suppress(Exception):  # options are frozen while a server starts up
            streamlit_config.set_option("browser.gatherUsageStats", False)


_unstructured_patched = False


def make_unstructured_offline() -> None:
    """unstructured downloads an English spaCy model from GitHub on first use; give it a blank German one.

    Its text-type heuristics only need sentence and word boundaries, which spaCy's rule-based German
    tokenizer and sentencizer provide without any model download.
    """
    global _unstructured_patched
    if _unstructured_patched:
        return
    enforce_offline()
    import spacy
    import unstructured.nlp.tokenize as tokenize

    nlp = spacy.blank("de")
    nlp.add_pipe("sentencizer")
    tokenize._get_nlp = lambda: nlp  # type: ignore[attr-defined,assignment]
    _unstructured_patched = True
