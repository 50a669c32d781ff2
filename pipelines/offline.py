"""Switch off every phone-home path of the libraries we use. Called by every entry point."""

from __future__ import annotations

import os

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
    """Set the variables that keep Hugging Face, Haystack, unstructured and Streamlit from calling home."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value


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
