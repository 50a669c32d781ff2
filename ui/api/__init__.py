"""The REST API (``auskunft api``): FastAPI on loopback, with the page's sign-in, roles and audit log.

Modules: ``app`` (create_app), ``questions`` (/ask, /search), ``openai_chat`` (/v1/models,
/v1/chat/completions for OpenAI-compatible chat front ends), ``index`` (/health, /metrics, /documents,
/ingest, /reindex), ``auth`` (who is calling), ``errors`` (one-line JSON errors), ``metrics``, ``schemas``.
"""

from ui.api.app import create_app

__all__ = ["create_app"]
