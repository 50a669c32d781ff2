"""config.settings.load_settings: default.yaml < profile < AUSKUNFT_* env < explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings


def test_profile_yaml_overrides_defaults(hermetic_env: Path) -> None:
    settings = load_settings("test")
    assert settings.profile == "test"
    assert settings.generator.max_tokens == 200  # default.yaml says 400
    assert settings.generator.temperature == 0.0  # untouched default
    assert settings.data_dir == hermetic_env


def test_profile_defaults_to_auskunft_profile_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_PROFILE", "docker")
    assert load_settings().store.url == "http://qdrant:6333"


def test_explicit_profile_wins_over_variable() -> None:
    # conftest sets AUSKUNFT_PROFILE=test
    settings = load_settings("docker")
    assert settings.profile == "docker"
    assert settings.generator.backend == "ollama"


def test_nested_env_variable_wins_over_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_GENERATOR__BACKEND", "ollama")
    settings = load_settings("test")
    assert settings.generator.backend == "ollama"
    assert settings.generator.max_tokens == 200  # the rest of the profile's generator block survives


def test_env_wins_over_profile_values(monkeypatch: pytest.MonkeyPatch, hermetic_env: Path) -> None:
    monkeypatch.setenv("AUSKUNFT_GENERATOR__URL", "http://gpu-box:11434")
    settings = load_settings("docker")
    assert settings.generator.url == "http://gpu-box:11434"
    assert settings.generator.model == "auskunft-qwen2.5-1.5b"
    assert settings.data_dir == hermetic_env  # AUSKUNFT_DATA_DIR beats "data_dir: /data"
    assert settings.index_dir == hermetic_env / "index"


def test_overrides_win_over_env(tmp_path: Path) -> None:
    settings = load_settings("test", data_dir=tmp_path / "other", retrieval={"top_k": 9})
    assert settings.data_dir == tmp_path / "other"
    assert settings.retrieval.top_k == 9
    assert settings.retrieval.min_score == load_settings("test").retrieval.min_score


def test_extra_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    extra = tmp_path / "local.yaml"
    extra.write_text("indexing:\n  split_words: 80\n", encoding="utf-8")
    monkeypatch.setenv("AUSKUNFT_SETTINGS_FILE", str(extra))
    settings = load_settings("test")
    assert settings.indexing.split_words == 80
    assert "SOURCES.md" in settings.indexing.exclude


def test_empty_data_dir_falls_back_to_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AUSKUNFT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert load_settings("test").data_dir == tmp_path / "auskunft"


def _one_line_error(**kwargs: object) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(**kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def test_unknown_profile() -> None:
    message = _one_line_error(profile="nope")
    assert "'nope'" in message
    assert "docker, embedded, test" in message


def test_invalid_env_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_RETRIEVAL__TOP_K", "many")
    assert "retrieval.top_k" in _one_line_error(profile="test")


def test_invalid_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_GENERATOR__BACKEND", "gpt")
    assert "generator.backend" in _one_line_error(profile="test")


def test_unknown_key_is_rejected() -> None:
    assert "colour" in _one_line_error(profile="test", colour="red")


def test_broken_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("generator: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("AUSKUNFT_SETTINGS_FILE", str(broken))
    assert "not valid YAML" in _one_line_error(profile="test")


def test_store_scale_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flat keys under store, so one AUSKUNFT_STORE__* variable sets each (see config/default.yaml)."""
    defaults = load_settings().store
    assert (defaults.on_disk, defaults.on_disk_payload, defaults.quantization) == (False, True, "none")
    assert (defaults.hnsw_m, defaults.hnsw_ef_construct, defaults.shard_number) == (16, 100, None)
    monkeypatch.setenv("AUSKUNFT_STORE__QUANTIZATION", "scalar")
    monkeypatch.setenv("AUSKUNFT_STORE__ON_DISK", "true")
    monkeypatch.setenv("AUSKUNFT_STORE__HNSW_M", "32")
    monkeypatch.setenv("AUSKUNFT_STORE__REPLICATION_FACTOR", "2")
    store = load_settings().store
    assert (store.quantization, store.on_disk, store.hnsw_m, store.replication_factor) == (
        "scalar",
        True,
        32,
        2,
    )
    monkeypatch.setenv("AUSKUNFT_STORE__QUANTIZATION", "product")
    with pytest.raises(SettingsError, match="store.quantization"):
        load_settings()
