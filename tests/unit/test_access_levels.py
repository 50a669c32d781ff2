"""ingest.access.resolve_level and the manifest's relabel plan: which level a file gets at ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, load_settings
from ingest.access import remembered_level, resolve_level
from ingest.manifest import Manifest
from ingest.sources.folder import SourceFile, list_files
from pipelines.access import AccessError


def source(path: str, **meta: object) -> SourceFile:
    return SourceFile(path=Path(path), source=path, source_id=path, root="/srv", meta=dict(meta))


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        "test", access={"rules": [{"pattern": "**/nichtoeffentlich/**", "level": "confidential"}]}
    )


def test_default_is_internal(settings: Settings) -> None:
    assert resolve_level(settings, source("/srv/a.pdf"), {}) == "internal"
    assert load_settings("test", access={"default": "public"}).access.default == "public"


def test_order_non_public_sidecar_rule_given_public_default(settings: Settings) -> None:
    given = {"/srv": "public"}
    assert resolve_level(settings, source("/srv/a.pdf"), given) == "public"
    assert resolve_level(settings, source("/srv/nichtoeffentlich/a.pdf"), given) == "confidential"
    assert (
        resolve_level(settings, source("/srv/nichtoeffentlich/a.pdf", access="internal"), given) == "internal"
    )
    # non-public material (OParl "public": false) is confidential whatever else says
    assert (
        resolve_level(settings, source("/srv/a.pdf", public=False, access="public"), given) == "confidential"
    )
    # OParl material marked public is public unless --access or a rule says otherwise
    assert resolve_level(settings, source("/srv/b.json", public=True), {}) == "public"
    assert resolve_level(settings, source("/srv/b.json", public=True), {"/srv": "internal"}) == "internal"
    with pytest.raises(AccessError, match="Unknown access level 'geheim'"):
        resolve_level(settings, source("/srv/a.pdf", access="geheim"), {})


def test_nearest_remembered_path_wins() -> None:
    given = {"/srv": "public", "/srv/personal": "confidential", "/srv/personal/aushang.pdf": "public"}
    assert remembered_level("/srv/x.pdf", given) == "public"
    assert remembered_level("/srv/personal/akte.pdf", given) == "confidential"
    assert remembered_level("/srv/personal/aushang.pdf", given) == "public"
    assert remembered_level("/srv-alt/x.pdf", given) is None  # a prefix that is not a parent folder


def test_unchanged_files_with_a_new_or_missing_level_are_relabeled(tmp_path: Path) -> None:
    for name in ("a.md", "b.md", "c.md"):
        (tmp_path / name).write_text(name, encoding="utf-8")
    files = list_files(str(tmp_path), ["*.md"], [])
    entries = {f.source_id: {"source": f.source, "checksum": f.checksum(), "chunks": 1} for f in files}
    entries[files[0].source_id]["access"] = "public"
    entries[files[1].source_id]["access"] = "internal"  # c.md: indexed before levels existed
    manifest = Manifest(entries=entries, roots=[str(tmp_path)])
    plan = manifest.plan(files, [str(tmp_path)], dict.fromkeys((f.source_id for f in files), "public"))
    assert [f.path.name for f in plan.unchanged] == ["a.md"]
    assert [(f.path.name, level) for f, level in plan.relabel] == [("b.md", "public"), ("c.md", "public")]
    assert plan.changes() and not plan.add and not plan.update
    assert Manifest.from_dict(Manifest(access={"/srv": "public"}, forgotten={"/x": {}}).to_dict()).access == {
        "/srv": "public"
    }
