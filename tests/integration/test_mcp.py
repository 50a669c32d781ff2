"""`auskunft mcp` as an agent tool starts it: a subprocess spoken to over stdio by the official ``mcp`` client,
on a copy of the Konstanz index (real embedder; the real 1.5B model for the answer)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MODELS_DIR, REPO
from ui.audit import AuditLog

pytestmark = pytest.mark.integration

QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"


@pytest.fixture(scope="module")
def mcp_data(konstanz_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Konstanz statutes (public) plus an internal note the desk role must not see."""
    from config.settings import load_settings
    from ingest.runner import ingest

    data_dir = tmp_path_factory.mktemp("mcp") / "data"
    shutil.copytree(
        konstanz_index, data_dir, ignore=shutil.ignore_patterns("readers", "writer.lock", "audit")
    )
    note = tmp_path_factory.mktemp("intern") / "Dienstanweisung_Kasse.md"
    note.write_text(
        "# Dienstanweisung Stadtkasse Konstanz\n\nDie Kassenschlüssel der Stadtkasse werden im Tresor im "
        "Zimmer 2.17 verwahrt; der Tresorcode wird monatlich gewechselt.\n",
        encoding="utf-8",
    )
    settings = load_settings("test", data_dir=data_dir, models_dir=MODELS_DIR)
    assert not ingest(settings, [str(note)], access="internal").failed
    return data_dir


def session(data_dir: Path, role: str, steps: Any) -> Any:
    """Start `auskunft mcp --role ROLE` and run ``steps(client)`` in an MCP session over its stdio."""
    from mcp import Client, StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("AUSKUNFT_")}
    env |= {
        "AUSKUNFT_DATA_DIR": str(data_dir),
        "AUSKUNFT_MODELS_DIR": str(MODELS_DIR),
        "AUSKUNFT_PROFILE": "test",
    }
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "ui.cli", "mcp", "--role", role], env=env, cwd=str(REPO)
    )

    async def run() -> Any:
        async with Client(server, read_timeout_seconds=600) as client:
            return await steps(client)

    return asyncio.run(run())


def structured(result: Any) -> Any:
    assert not result.is_error, result
    content = result.structured_content
    return content.get("result", content) if isinstance(content, dict) else json.loads(result.content[0].text)


def test_tools_search_and_resources_for_the_desk_role(mcp_data: Path) -> None:
    async def steps(client: Any) -> Any:
        tools = await client.list_tools()
        hits = await client.call_tool("search", {"question": QUESTION, "top_k": 3})
        secret = await client.call_tool(
            "search", {"question": "Wo werden die Kassenschlüssel verwahrt?", "top_k": 10}
        )
        resources = await client.list_resources()
        statute = next(r for r in resources.resources if "Verpackungssteuer" in r.name)
        text = await client.read_resource(statute.uri)
        return tools, hits, secret, resources, text

    tools, hits, secret, resources, text = session(mcp_data, "desk", steps)
    assert {t.name for t in tools.tools} == {"search", "ask"}
    assert all(t.description and t.input_schema["properties"]["question"] for t in tools.tools)
    found = structured(hits)
    assert Path(found[0]["source"]).name == "KON_Satzung_Verpackungssteuer.md"
    assert {"source", "title", "section", "page", "text"} <= set(found[0])
    assert "Dienstanweisung_Kasse.md" not in {Path(h["source"]).name for h in structured(secret)}
    names = [r.name for r in resources.resources]
    assert len(names) >= 14 and not any("Dienstanweisung" in n for n in names)
    assert all(str(r.uri).startswith("auskunft://documents/") for r in resources.resources)
    body = text.contents[0].text
    assert body.startswith("# ") and "0,20 €" in body and "§ 4" in body
    records = [r for r in AuditLog(mcp_data / "audit").records() if r["channel"] == "mcp"]
    assert [(r["action"], r["role"]) for r in records][:1] == [("search", "desk")]


def test_staff_sees_the_internal_note(mcp_data: Path) -> None:
    async def steps(client: Any) -> Any:
        hits = await client.call_tool(
            "search", {"question": "Wo werden die Kassenschlüssel verwahrt?", "top_k": 3}
        )
        resources = await client.list_resources()
        return hits, resources

    hits, resources = session(mcp_data, "staff", steps)
    assert Path(structured(hits)[0]["source"]).name == "Dienstanweisung_Kasse.md"
    assert any("Dienstanweisung" in r.name for r in resources.resources)


def test_ask_refuses_what_the_documents_do_not_say(mcp_data: Path) -> None:
    """Refused before the language model (no evidence): fast."""

    async def steps(client: Any) -> Any:
        return await client.call_tool("ask", {"question": "Wie viele Einwohner hat Timbuktu?"})

    answer = structured(session(mcp_data, "desk", steps))
    assert answer["refused"] is True and answer["citations"] == [] and answer["answer"]


@pytest.mark.slow
def test_ask_answers_with_citations(mcp_data: Path) -> None:
    async def steps(client: Any) -> Any:
        return await client.call_tool("ask", {"question": QUESTION})

    answer = structured(session(mcp_data, "staff", steps))
    assert not answer["refused"] and "0,20" in answer["answer"], answer
    statute = [c for c in answer["citations"] if c["source"].endswith("KON_Satzung_Verpackungssteuer.md")]
    assert statute and statute[0]["quote"] and statute[0]["number"] >= 1
