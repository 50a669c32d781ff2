"""Auskunft in the browser: ask a question, get a German answer with numbered, checkable sources.

Two modes: Sachbearbeitung (staff: the documents the user's role may see, detailed answers, filters) and
Bürgerbüro (service desk: the desk role, public documents only, a short plain-language answer with the
exact source to copy or print). The role filter is part of the Qdrant query.
The page is widgets only; the work happens in ``ui.services``/``ui.citations``/``ui.feedback``/``ui.admin``.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import streamlit as st

from config.settings import load_settings
from pipelines.filters import build_filters
from pipelines.generators import generator_label
from pipelines.offline import enforce_offline
from pipelines.query import QueryService
from ui import admin, citations
from ui.audit import AuditLog
from ui.conversation import follow_up_query
from ui.errors import one_line
from ui.feedback import FeedbackStore, cases_jsonl, eval_cases
from ui.guard import host_refusal
from ui.i18n import LANGUAGES, answer_label, translator
from ui.services import StreamedAnswer, facets, index_status, last_reindex, mode_role
from ui.users import User, UserStore, header_user

enforce_offline()
st.set_page_config(page_title="Auskunft", page_icon="📚", layout="wide")

# readable contrast (BITV 2.0 / WCAG AA): captions darker than Streamlit's default grey; the page is German
STYLE = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #3d3f4a !important; }
.auskunft-context { line-height: 1.55; padding: .5rem .75rem; border-left: 4px solid #0b4f8a; background: #f5f7fa; }
</style>"""


# statutes reach back decades; Streamlit's default range is only ten years
DATES: dict[str, Any] = {
    "min_value": datetime.date(1900, 1, 1),
    "max_value": datetime.date(2100, 12, 31),
    "format": "DD.MM.YYYY",
}


@st.cache_resource
def get_service() -> QueryService:
    settings = load_settings()
    service = QueryService(settings)
    if settings.generator.warm_up_at_start:
        service.warm_up_in_background()  # the first question need not wait for the models to load
    return service


@st.cache_data(show_spinner=False, ttl=600)  # per index generation; a Qdrant server has none: ten minutes
def get_facets(data_dir: str, generation: str | None, role: str, _settings: Any) -> dict[str, list[str]]:
    return facets(_settings, role)


@st.cache_data(show_spinner=False, max_entries=64)
def page_png(path: str, page: int, quote: str, mtime: float) -> bytes | None:
    return citations.render_page(path, page, quote)


def show_citations(items: list[dict[str, Any]], key: str, t: Any) -> None:
    for i, c in enumerate(items, 1):
        where = citations.where_in_document(c, t("page").capitalize())
        with st.expander(
            f"[{i}] {c.get('title') or Path(c['source']).name}" + (f" — {where}" if where else "")
        ):
            st.markdown(f"> {citations.markdown_text(c['quote'])}")
            facts = [
                ("meta_doc_type", c.get("doc_type")),
                ("meta_municipality", c.get("municipality")),
                ("meta_body", c.get("body")),
                ("meta_date", citations.german_date(c.get("date"))),
                ("meta_valid_from", citations.german_date(c.get("valid_from"))),
                ("meta_section", c.get("section")),
                ("meta_page", citations.page_of(c)),
                ("meta_heading", c.get("heading")),
            ]
            st.markdown(" · ".join(f"**{t(label)}:** {value}" for label, value in facts if value))
            if c.get("context"):
                marked, found = citations.highlight(c["context"], c["quote"])
                st.caption(t("in_context") if found else t("quote_not_found"))
                st.html(f'<div class="auskunft-context" lang="de">{marked}</div>')
            path = Path(c["source"])
            st.caption(f"{t('file')}: {c['source']}")
            if not path.is_file():
                st.caption(t("original_missing", source=c["source"]))
                continue
            if page := citations.page_of(c):
                png = page_png(str(path), page, c["quote"], path.stat().st_mtime)
                if png:
                    caption = t("page_image", page=c["page"])
                    st.image(png, caption=caption, alt=caption, width=640)
            st.download_button(
                t("download_original", name=path.name),
                data=path.read_bytes,
                file_name=path.name,
                key=f"dl-{key}-{i}",
                on_click="ignore",
            )


def show_handout(message: dict[str, Any], t: Any) -> None:
    text = citations.handout_text(
        message["question"],
        message["content"],
        message["citations"],
        message["model"],
        generated=message.get("generated", True),
    )
    st.markdown(f"**{t('handout')}**")
    st.code(text, language=None, wrap_lines=True)
    st.caption(t("handout_help"))
    st.iframe(citations.print_page(text, t("print")), height=48, alt=t("print"))


def show_feedback(message: dict[str, Any], settings: Any, t: Any) -> None:
    if message.get("feedback"):
        st.caption(t("feedback_saved", rating=t(f"rating_{message['feedback']}")))
        return
    key = message["id"]
    comment = st.text_input(t("comment"), key=f"fb-comment-{key}")
    left, right, _ = st.columns([1, 1, 4])
    rating = None
    if left.button(t("helpful"), key=f"fb-helpful-{key}", icon=":material/thumb_up:"):
        rating = "helpful"
    if right.button(t("wrong"), key=f"fb-wrong-{key}", icon=":material/thumb_down:"):
        rating = "wrong"
    if rating:
        try:
            FeedbackStore.for_settings(settings).add(message, rating, comment or "")
        except OSError as exc:
            st.error(f"{t('feedback_failed')}: {one_line(exc, settings, 'Saving feedback')}")
            return
        message["feedback"] = rating
        st.rerun()


def show_answer(message: dict[str, Any], settings: Any, t: Any) -> None:
    st.markdown(message["content"])
    if message.get("unverified"):
        st.warning(t("unverified"))
    label = answer_label(
        t, generated=message.get("generated", True), refused=message["refused"], model=message["model"]
    )
    if label:
        st.caption(label)
    if message["query"] != message["question"]:
        st.caption(t("asked_as", query=message["query"]))
    if message["mode"] == "desk" and not message["refused"]:
        show_handout(message, t)
    show_citations(message["citations"], message["id"], t)
    show_feedback(message, settings, t)


def show_run_report(report: dict[str, Any], t: Any, title: str = "") -> None:
    counts = {k: len(report.get(k, [])) for k in ("added", "updated", "unchanged", "deleted", "failed")}
    st.markdown((f"**{title}:** " if title else "") + t("report_counts", **counts))
    if report.get("failed"):
        st.markdown(f"**{t('failures')}:**")
        st.table(
            [{t("failure_source"): f["source"], t("failure_reason"): f["reason"]} for f in report["failed"]]
        )


def check_host(settings: Any, t: Any) -> None:
    """The page answers only to the names in ``access.allowed_hosts`` (DNS rebinding); a browser always
    sends Host (AppTest sends no headers)."""
    host = st.context.headers.get("Host")
    if host is not None and host_refusal(settings, host):
        st.error(t("host_refused", host=host[:100]))
        st.stop()


def signed_in_user(settings: Any, t: Any) -> User | None:
    """The signed-in user (``access.sign_in``); shows the sign-in form and stops the page until there is one.
    ``None`` without sign-in (``none``): the desk role, read-only."""
    if settings.access.sign_in == "none":
        return None
    if settings.access.sign_in == "header":
        user = header_user(settings, dict(st.context.headers), st.context.ip_address)
        if user is None:
            st.error(t("sign_in_header_missing"))
            st.stop()
        return user
    if isinstance(st.session_state.get("user"), User):
        return st.session_state.user
    st.title("Auskunft")
    with st.form("sign_in"):
        st.subheader(t("sign_in_title"))
        name = st.text_input(t("user_name"), key="sign_in_name")
        password = st.text_input(t("password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(t("sign_in"))
    if submitted:
        try:
            user = UserStore.for_settings(settings).verify(name.strip(), password)
        except Exception as exc:  # e.g. an unreadable users file: one line
            st.error(one_line(exc, settings, "Signing in"))
            st.stop()
        if user is not None:
            st.session_state.user = user
            st.rerun()
        st.error(t("sign_in_failed"))
    st.caption(t("sign_in_help"))
    st.stop()


def audit(settings: Any, user: User | None, role: str, question: str, answer: Any) -> None:
    try:
        AuditLog.for_settings(settings).record(
            user.name if user else "ui",
            role,
            "ui",
            "ask",
            question,
            [c["source"] for c in answer.citations],
            answer.refused,
        )
    except OSError as exc:
        st.warning(one_line(exc, settings, "Writing the audit log"))


def ask(
    question: str, service: QueryService, mode: str, filters: Any, t: Any, user: User | None = None
) -> None:
    messages = st.session_state.messages
    topic = next((m["topic"] for m in reversed(messages) if m["role"] == "assistant"), None)
    query, topic = follow_up_query(question, topic)
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        placeholder = st.empty()
        stream = StreamedAnswer(service, query, filters=filters, style=mode)
        with placeholder.container():
            st.write_stream(stream)
        if stream.error is not None or stream.result is None:
            error = stream.error or RuntimeError("no answer")
            placeholder.error(f"{t('answer_failed')}: {one_line(error, service.settings, 'Answering')}")
            return
        answer = stream.result
        audit(
            service.settings,
            user,
            mode_role(service.settings, mode, user.role if user else None),
            question,
            answer,
        )
        message = {
            "role": "assistant",
            "id": uuid.uuid4().hex[:12],
            "content": answer.answer,
            "citations": citations.enrich(answer.citations, answer.documents),
            "question": question,
            "query": query,
            "topic": topic,
            "mode": mode,
            "filters": filters,
            "refused": answer.refused,
            "unverified": answer.unverified,
            "generated": answer.generated,
            "model": generator_label(service.settings),
            "feedback": None,
        }
        messages.append(message)
        with placeholder.container():
            show_answer(message, service.settings, t)


try:
    service = get_service()
    settings = service.settings
except Exception as exc:  # a broken configuration: one line, no traceback
    st.error(f"Auskunft konnte nicht starten: {one_line(exc, None, 'Loading settings')}")
    st.stop()

st.session_state.setdefault("messages", [])
st.session_state.setdefault("lang", settings.ui.language)
st.html(STYLE)
check_host(settings, translator(st.session_state.lang))
user = signed_in_user(settings, translator(st.session_state.lang))
user_role = user.role if user else "desk"  # without sign-in: the desk role, read-only
status = index_status(settings)

with st.sidebar:
    lang = st.selectbox("Sprache / Language", list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang")
    t = translator(lang)
    # screen readers pronounce the page in its language (BITV 2.0: language of the page)
    st.html(f"<script>document.documentElement.lang = {lang!r};</script>", unsafe_allow_javascript=True)
    if user is not None:
        st.caption(t("signed_in_as", name=user.name, role=user.role))
        if settings.access.sign_in == "local" and st.button(t("sign_out"), key="sign_out"):
            for key in ("user", "messages"):
                st.session_state.pop(key, None)
            st.rerun()
    modes = ["desk"] if user_role == "desk" else ["staff", "desk"]  # a desk user has the desk view only
    mode = st.radio(
        t("mode"),
        modes,
        format_func=lambda m: t(f"mode_{m}"),
        captions=[t(f"mode_{m}_help") for m in modes],
        key="mode",
    )
    if mode == "staff":
        st.subheader(t("filters"))
        try:
            values = get_facets(
                str(settings.data_dir), status["generation"], mode_role(settings, mode, user_role), settings
            )
        except Exception as exc:  # e.g. the Qdrant server is down: say so once, offer no values
            st.error(one_line(exc, settings, "Reading the filter values"))
            values = {field: [] for field in ("doc_type", "municipality", "body")}
        chosen = {}
        for field in ("doc_type", "municipality", "body"):
            chosen[field] = st.selectbox(
                t(field),
                values[field],
                index=None,  # nothing chosen = all
                placeholder=t("all"),
                key=f"filter_{field}",
                disabled=not values[field],
                help=None if values[field] else t("no_values"),
            )
        since = st.date_input(t("since"), value=None, key="filter_since", **DATES)
        until = st.date_input(t("until"), value=None, key="filter_until", **DATES)
        filters = build_filters(
            chosen["doc_type"],
            chosen["municipality"],
            chosen["body"],
            since.isoformat() if isinstance(since, datetime.date) else None,
            until.isoformat() if isinstance(until, datetime.date) else None,
            role=mode_role(settings, mode, user_role),
            default_level=settings.access.default,
        )
    else:
        st.caption(t("desk_public_only"))
        filters = build_filters(
            role=mode_role(settings, mode, user_role), default_level=settings.access.default
        )
    if st.button(t("new_conversation"), key="new_conversation", icon=":material/add_comment:"):
        st.session_state.messages = []
    st.info(t("ai_notice", model=generator_label(settings)), icon=":material/smart_toy:")
    st.metric(t("documents"), status["documents"])
    st.metric(t("chunks"), status["chunks"])
    if report := last_reindex(settings):
        st.caption(
            t(
                "last_reindex",
                finished=str(report.get("finished", ""))[:16].replace("T", " "),
                **{k: len(report.get(k, [])) for k in ("added", "updated", "deleted", "failed")},
            )
        )

st.title("Auskunft")
st.caption(t("tagline"))
tab_ask, tab_index, tab_feedback = st.tabs([t("tab_ask"), t("tab_index"), t("tab_feedback")])

with tab_ask:
    history = st.container()
    question = st.chat_input(t("chat_placeholder" if mode == "staff" else "chat_placeholder_desk"))
    with history:
        for message in st.session_state.messages:
            with st.chat_message(message["role"]):
                if message["role"] == "user":
                    st.markdown(message["content"])
                else:
                    show_answer(message, settings, t)
        if question:
            ask(question, service, mode, filters, t, user)

with tab_index:
    left, middle, right = st.columns(3)
    left.metric(t("documents"), status["documents"])
    middle.metric(t("chunks"), status["chunks"])
    right.metric(t("generation"), status["generation"] or "–")
    st.caption(f"{t('store')}: {status['store']}")
    st.subheader(t("last_reindex_title"))
    if report := last_reindex(settings):
        st.caption(
            t(
                "report_when",
                finished=str(report.get("finished", ""))[:19].replace("T", " "),
                seconds=report.get("seconds", "?"),
            )
        )
        show_run_report(report, t)
        if not report.get("failed"):
            st.success(t("no_failures"), icon=":material/check_circle:")
    else:
        st.caption(t("no_reindex"))
    st.subheader(t("admin"))
    if not settings.ui.admin:
        st.caption(t("admin_off"))
    elif user is None or user.role != "admin":
        st.caption(t("admin_role_only"))
    else:
        if done := st.session_state.pop("upload_report", None):
            show_run_report(done, t, title=t("run_report", what=t("what_ingest")))
        if st.button(t("reindex_button"), key="reindex", help=t("reindex_help"), icon=":material/sync:"):
            with st.spinner(t("reindex_running")):
                try:
                    admin.run_reindex(settings)
                except Exception as exc:
                    st.error(f"{t('reindex_failed')}: {one_line(exc, settings, 'Re-index')}")
                else:
                    st.rerun()  # "last re-index" above shows its report
        st.session_state.setdefault("upload_round", 0)
        uploads = st.file_uploader(
            t("upload"),
            type=admin.allowed_extensions(settings),
            accept_multiple_files=True,
            help=t("upload_help", folder=admin.uploads_dir(settings)),
            key=f"upload-{st.session_state.upload_round}",
        )
        if uploads and st.button(t("upload_button"), key="ingest_uploads", icon=":material/upload_file:"):
            with st.spinner(t("upload_running")):
                try:
                    result = admin.ingest_uploads(settings, [(f.name, f.getvalue()) for f in uploads])
                except Exception as exc:
                    st.error(f"{t('upload_failed')}: {one_line(exc, settings, 'Indexing')}")
                else:
                    st.session_state.upload_report = result.to_json()
                    st.session_state.upload_round += 1  # a fresh, empty uploader
                    st.rerun()

with tab_feedback:
    records = FeedbackStore.for_settings(settings).records()
    left, middle, right = st.columns(3)
    left.metric(t("feedback_count"), len(records))
    middle.metric(t("feedback_helpful"), sum(r["rating"] == "helpful" for r in records))
    right.metric(t("feedback_wrong"), sum(r["rating"] == "wrong" for r in records))
    if not records:
        st.caption(t("no_feedback"))
    st.download_button(
        t("export"),
        data=cases_jsonl(eval_cases(records)),
        file_name="auskunft-feedback-eval.jsonl",
        mime="application/jsonl",
        disabled=not records,
        key="export_feedback",
        on_click="ignore",
        icon=":material/download:",
    )
    st.caption(t("export_help"))
    if records:
        st.table(
            [
                {
                    t("col_time"): r.get("time", "")[:16].replace("T", " "),
                    t("col_rating"): t(f"rating_{r['rating']}"),
                    t("col_question"): r["question"],
                    t("col_comment"): r.get("comment", ""),
                }
                for r in reversed(records[-20:])
            ]
        )
