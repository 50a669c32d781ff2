"""Request counts and latencies for ``GET /metrics`` (Prometheus text format), kept in memory per process.

>>> metrics = Metrics()
>>> metrics.observe("POST", "/search", 200, 0.25)
>>> 'auskunft_requests_total{method="POST",path="/search",status="200"} 1' in metrics.render({})
True
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self._seconds: dict[tuple[str, str], float] = defaultdict(float)
        self._observed: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        with self._lock:
            self._counts[(method, path, status)] += 1
            self._seconds[(method, path)] += seconds
            self._observed[(method, path)] += 1

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """The exposition text; ``gauges``: name -> (help, value), e.g. documents and chunks in the index."""
        lines = [
            "# HELP auskunft_requests_total Requests answered, by method, path (route) and status.",
            "# TYPE auskunft_requests_total counter",
        ]
        with self._lock:
            counts = sorted(self._counts.items())
            seconds = sorted(self._seconds.items())
            observed = dict(self._observed)
        for (method, path, status), n in counts:
            lines.append(f'auskunft_requests_total{{method="{method}",path="{path}",status="{status}"}} {n}')
        lines += [
            "# HELP auskunft_request_duration_seconds Time to the last byte of the response (streams included).",
            "# TYPE auskunft_request_duration_seconds summary",
        ]
        for (method, path), total in seconds:
            labels = f'method="{method}",path="{path}"'
            lines.append(f"auskunft_request_duration_seconds_sum{{{labels}}} {total:.6f}")
            lines.append(f"auskunft_request_duration_seconds_count{{{labels}}} {observed[(method, path)]}")
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"


def route_path(scope: Scope) -> str:
    """The route template the router matched (``/documents/{doc_id:path}``), so ids do not become labels;
    ``other`` for paths that match no route."""
    return str(getattr(scope.get("route"), "path", "other"))


class MetricsMiddleware:
    """Counts every HTTP request with its status and the time until its response is complete."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.metrics.observe(scope["method"], route_path(scope), status, time.monotonic() - started)
