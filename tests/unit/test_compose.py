"""docker-compose.yml, Dockerfile and the Ollama Modelfile agree with each other and with the code.

No Docker engine runs on the test machine, so the files are checked statically (PyYAML): services,
healthchecks, published ports, pinned images, telemetry-off environment, and that the app starts with
the same `auskunft ui` command the CLI offers.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from config.settings import load_settings
from pipelines.models import SHIPPED_GGUF_NAME
from ui.cli import app

REPO = Path(__file__).resolve().parents[2]
LONG_RUNNING = {"qdrant", "ollama", "app", "api", "scheduler"}
_VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8")))


def with_defaults(value: str) -> str:
    """What compose makes of ``${VAR:-default}`` when VAR is not set."""
    return _VAR.sub(lambda m: m.group(2) or "", value)


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def published(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host ip, host port, container port) of every published port, with default interpolation."""
    out = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            out.append(
                (str(port.get("host_ip", "0.0.0.0")), str(port.get("published", "")), str(port["target"]))
            )
            continue
        parts = with_defaults(str(port)).split(":")
        if len(parts) == 3:
            out.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            out.append(("0.0.0.0", parts[0], parts[1]))
        else:
            out.append(("0.0.0.0", "", parts[0]))
    return out


def dockerfile_cmd() -> list[str]:
    lines = (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
    [cmd] = [line for line in lines if line.startswith("CMD ")]
    return list(json.loads(cmd[len("CMD ") :]))


def test_services_present(compose: dict[str, Any]) -> None:
    assert {"qdrant", "ollama", "ollama-init", "app", "api", "scheduler"} <= set(compose["services"])


def test_long_running_services_have_healthchecks(compose: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = compose["services"][name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"


def test_app_waits_for_healthy_servers_and_the_model(compose: dict[str, Any]) -> None:
    depends = compose["services"]["app"]["depends_on"]
    assert depends["qdrant"]["condition"] == "service_healthy"
    assert depends["ollama"]["condition"] == "service_healthy"
    assert depends["ollama-init"]["condition"] == "service_completed_successfully"


def test_only_the_app_and_the_api_publish_a_port_on_localhost(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name not in ("app", "api"):
            assert not service.get("ports"), f"{name} must not publish a port"
            assert service.get("network_mode") != "host"
    assert published(compose["services"]["app"]) == [("127.0.0.1", "8501", "8501")]
    assert published(compose["services"]["api"]) == [("127.0.0.1", "8000", "8000")]


def test_api_command_is_the_cli_api_command_and_its_healthcheck_asks_health(compose: dict[str, Any]) -> None:
    service = compose["services"]["api"]
    assert service["command"][:2] == ["auskunft", "api"]
    api = get_command(app).commands["api"]  # type: ignore[attr-defined]
    params = api.make_context("api", list(service["command"][2:])).params
    assert params == {"host": "0.0.0.0", "port": 8000}
    assert published(service)[0][2] == str(params["port"])
    assert f"127.0.0.1:{params['port']}/health" in " ".join(service["healthcheck"]["test"])


def test_qdrant_requires_the_api_key_the_app_and_api_send(compose: dict[str, Any]) -> None:
    key = env_of(compose["services"]["qdrant"])["QDRANT__SERVICE__API_KEY"]
    assert key.startswith("${QDRANT_API_KEY:?")  # compose refuses to start without a key
    for name in ("app", "api", "scheduler"):
        assert env_of(compose["services"][name])["AUSKUNFT_STORE__API_KEY"].startswith("${QDRANT_API_KEY")


def test_servers_are_on_an_internal_network_only(compose: dict[str, Any]) -> None:
    internal = {name for name, net in (compose.get("networks") or {}).items() if (net or {}).get("internal")}
    assert internal
    for name in ("qdrant", "ollama", "ollama-init"):
        networks = set(compose["services"][name]["networks"])
        assert networks and networks <= internal, f"{name} must only be on internal networks"


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service.get("image")
        if image is None:
            assert "build" in service, f"{name} has neither image nor build"
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{name}: image {image} has no tag"
        assert tag != "latest" and "latest" not in image, f"{name}: image {image} is not pinned"


def test_app_env_uses_docker_profile_and_no_telemetry(compose: dict[str, Any]) -> None:
    env = env_of(compose["services"]["app"])
    assert env["AUSKUNFT_PROFILE"] == "docker"
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["HAYSTACK_TELEMETRY_ENABLED"] == "False"
    assert env["DO_NOT_TRACK"] == "1"
    assert env_of(compose["services"]["qdrant"]).get("QDRANT__TELEMETRY_DISABLED") == "true"


def test_app_command_is_the_cli_ui_command(compose: dict[str, Any]) -> None:
    command = compose["services"]["app"]["command"]
    assert command[:2] == ["auskunft", "ui"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["auskunft"] == "ui.cli:main"
    ui = get_command(app).commands["ui"]  # type: ignore[attr-defined]
    params = ui.make_context("ui", list(command[2:])).params
    assert params == {"host": "0.0.0.0", "port": 8501}
    assert published(compose["services"]["app"])[0][2] == str(params["port"])
    assert dockerfile_cmd() == command


def test_docker_profile_points_at_the_compose_services(compose: dict[str, Any]) -> None:
    settings = load_settings("docker")
    assert settings.store.url == "http://qdrant:6333"
    assert settings.generator.backend == "ollama"
    assert settings.generator.url == "http://ollama:11434"
    assert {"qdrant", "ollama"} <= set(compose["services"])


def test_ollama_init_creates_the_profile_model_from_the_shipped_gguf(compose: dict[str, Any]) -> None:
    init = compose["services"]["ollama-init"]
    assert init["image"] == compose["services"]["ollama"]["image"]
    assert env_of(init)["OLLAMA_HOST"] == "http://ollama:11434"
    command = [*init.get("entrypoint", []), *init["command"]]
    assert command[-4:] == ["create", load_settings("docker").generator.model, "-f", "/deploy/Modelfile"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in init["volumes"]}
    assert mounts["/models"] == "./.models" and mounts["/deploy"] == "./deploy/ollama"
    modelfile = (REPO / "deploy" / "ollama" / "Modelfile").read_text(encoding="utf-8")
    [source] = [line.split(None, 1)[1] for line in modelfile.splitlines() if line.startswith("FROM ")]
    assert source == f"/models/{SHIPPED_GGUF_NAME}"


def test_dockerfile_installs_like_the_makefile() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    for package in ("tesseract-ocr", "tesseract-ocr-deu", "poppler-utils", "libmagic1"):
        assert re.search(rf"\b{re.escape(package)}\b", text)
    torch = text.index("torch==2.13.0")
    project = text.index("pip install -c constraints.txt -e '.[model]'")
    assert torch < project < text.index("pip install --no-deps unstructured-inference==1.6.14")
