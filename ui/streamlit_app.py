"""Auskunft in the browser: ask a question, get a German answer with numbered, checkable sources."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from config.settings import load_settings
from pipelines.generators import generator_label
from pipelines.offline import enforce_offline
from pipelines.query import QueryService
from ui.errors import friendly_error
from ui.services import StreamedAnswer, index_status, last_reindex

enforce_offline()
st.set_page_config(page_title="Auskunft", page_icon="📚", layout="wide")


@st.cache_resource
def get_service() -> QueryService:
    return QueryService(load_settings())


def show_citations(citations: list[dict]) -> None:
    for i, c in enumerate(citations, 1):
        where = " · ".join(
            x for x in (c.get("section"), f"Seite {c['page']}" if c.get("page") else None) if x
        )
        with st.expander(f"[{i}] {c['title']}" + (f" — {where}" if where else "")):
            st.markdown(f"> {c['quote']}")
            facts = [c.get("doc_type"), c.get("municipality"), c.get("heading")]
            st.caption(" · ".join(str(f) for f in facts if f))
            st.code(c["source"], language=None)
            path = Path(c["source"])
            if path.is_file():
                st.download_button(
                    "Originaldokument herunterladen",
                    path.read_bytes(),
                    file_name=path.name,
                    key=f"dl-{id(c)}-{i}",
                )


try:
    service = get_service()
    settings = service.settings
except Exception as exc:  # a broken configuration: one line, no traceback
    st.error(friendly_error(exc) or f"Auskunft konnte nicht starten: {exc}")
    st.stop()

st.title("Auskunft")
st.caption("Fragen zu Satzungen, Beschlüssen und Niederschriften – jede Antwort mit Quellen.")
with st.sidebar:
    status = index_status(settings)
    st.metric("Dokumente im Index", status["documents"])
    st.metric("Textabschnitte", status["chunks"])
    if report := last_reindex(settings):
        st.caption(
            f"Letzter Re-Index {str(report.get('finished', ''))[:16].replace('T', ' ')}: "
            f"{len(report['added'])} neu, {len(report['updated'])} geändert, {len(report['deleted'])} gelöscht, "
            f"{len(report['failed'])} Fehler"
        )
    st.info(
        f"Antworten werden von einem KI-Modell erzeugt ({generator_label(settings)}). Bitte anhand der Quellen prüfen."
    )
    if st.button("Neues Gespräch"):
        st.session_state.messages = []

st.session_state.setdefault("messages", [])
for message in st.session_state.messages:
    with st.chat_message(message["role"]):
        st.markdown(message["content"])
        if message.get("citations"):
            show_citations(message["citations"])

if question := st.chat_input("Ihre Frage, z. B. „Wie hoch ist die Hundesteuer für den ersten Hund?“"):
    st.session_state.messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        placeholder = st.empty()
        stream = StreamedAnswer(service, question)
        with placeholder.container():
            st.write_stream(stream)
        if stream.error is not None or stream.result is None:
            message = friendly_error(stream.error, settings) if stream.error else None
            placeholder.error(message or f"Die Frage konnte nicht beantwortet werden: {stream.error}")
        else:
            answer = stream.result
            placeholder.markdown(answer.answer)
            if answer.unverified:
                st.warning("Nicht jede Aussage konnte in den Quellen bestätigt werden.")
            show_citations(answer.citations)
            st.session_state.messages.append(
                {"role": "assistant", "content": answer.answer, "citations": answer.citations}
            )
