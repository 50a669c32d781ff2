"""The nightly schedule: when the next run is due, and the recipes that start it."""

from __future__ import annotations

import datetime
from pathlib import Path

import yaml

from ui.cli import seconds_until

REPO = Path(__file__).resolve().parents[2]


def test_next_run_is_today_when_still_ahead_else_tomorrow() -> None:
    evening = datetime.datetime(2026, 11, 23, 23, 30)
    assert seconds_until("02:00", evening) == 2.5 * 3600
    night = datetime.datetime(2026, 11, 24, 1, 0)
    assert seconds_until("02:00", night) == 3600
    exactly = datetime.datetime(2026, 11, 24, 2, 0)
    assert seconds_until("02:00", exactly) == 24 * 3600


def test_compose_scheduler_runs_the_schedule_command_with_the_app_settings() -> None:
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    scheduler = services["scheduler"]
    assert scheduler["command"][:2] == ["auskunft", "schedule"]
    assert scheduler["environment"] == services["app"]["environment"]
    assert "healthcheck" in scheduler and "ports" not in scheduler
    assert "app-data:/data" in scheduler["volumes"]


def test_systemd_timer_runs_reindex_nightly_and_treats_partial_failure_as_warning() -> None:
    service = (REPO / "deploy" / "systemd" / "auskunft-reindex.service").read_text()
    timer = (REPO / "deploy" / "systemd" / "auskunft-reindex.timer").read_text()
    assert "auskunft reindex --json" in service and "SuccessExitStatus=3" in service
    assert "OnCalendar=*-*-* 02:00:00" in timer and "Persistent=true" in timer
