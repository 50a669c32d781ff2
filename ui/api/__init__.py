"""The REST API (``auskunft api``): FastAPI on loopback, with the page's sign-in, roles and audit log.

Modules: ``app`` (create_app), ``questions`` (/ask, /search), ``index`` (/health, /metrics, /documents,
/ingest, /reindex), ``auth`` (who is calling), ``errors`` (one-line JSON errors), ``metrics``, ``schemas``.
"""

from ui.api.app import create_app

__all__ = ["create_app"]
