"""The indexing pipeline: convert -> clean -> guard (instructions to AI removed) -> mask (personal data, for
the access levels in ``privacy.mask_personal_data``) -> split -> embed -> write."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from haystack import Pipeline
from haystack.components.writers import DocumentWriter
from haystack.document_stores.types import DuplicatePolicy

from config.settings import Settings
from pipelines.components.file_converter import MunicipalFileConverter
from pipelines.components.german_sparse_document_embedder import GermanSparseDocumentEmbedder
from pipelines.components.german_text_cleaner import GermanTextCleaner
from pipelines.components.instruction_guard import InstructionGuard
from pipelines.components.municipal_splitter import MunicipalDocumentSplitter
from pipelines.components.personal_data_masker import PersonalDataMasker
from pipelines.embedders import build_document_embedder

if TYPE_CHECKING:
    from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

# Raise by one with every change to conversion, metadata, cleaning or splitting that changes what is stored
# for an unchanged file. The next ingest or nightly re-index then indexes every file again, so an upgrade
# reaches indexes built before it. 2: federal laws' titles from their front matter; 3: titles set over
# several lines; 4: each chunk's municipality embedded with it (pipelines/components CHUNK_CONTEXT_FIELDS);
# 5: valid_from from "In Kraft getreten am" headers, no municipality guessed across a line end, OParl
# objects' municipality from their body's web address. 6: a split table's header row in each of its chunks,
# a district's or Zweckverband's statutes under "Landkreis X" (front matter without "gemeinde"). 7: DOCX and
# HTML through pipelines.formats (headings, tables with their header rows, HTML without navigation).
INDEXING_VERSION = 7


def indexing_fingerprint(settings: Settings) -> str:
    """What made a file's chunks besides its content: the pipeline version and the chunking settings."""
    i = settings.indexing
    fingerprint = f"v{INDEXING_VERSION};words={i.split_words}/{i.max_words};overlap={i.overlap_sentences};ocr={i.ocr_languages}"
    if i.municipality_rules:  # a changed rule changes the stored metadata of every file it may match
        rules = json.dumps([r.model_dump() for r in i.municipality_rules], ensure_ascii=False, sort_keys=True)
        fingerprint += f";towns={hashlib.sha256(rules.encode()).hexdigest()[:12]}"
    return fingerprint


def add_chunking_stages(pipeline: Pipeline, settings: Settings) -> str:
    """Add converter -> cleaner -> guard -> masker -> splitter to ``pipeline``; returns the last one's name.

    Files go in at ``converter.sources`` + ``converter.meta``; chunks come out of ``splitter.documents``.
    """
    i = settings.indexing
    converter = MunicipalFileConverter(
        ocr_languages=i.ocr_languages,
        max_seconds=i.max_seconds_per_file,  # each file in a child process with a time and memory budget
        max_memory_mb=i.max_memory_mb_per_file,
        max_ocr_pages=i.max_ocr_pages,
        max_unpacked_mb=i.max_unpacked_mb,
        max_xml_elements=i.max_xml_elements,
    )
    pipeline.add_component("converter", converter)
    pipeline.add_component("cleaner", GermanTextCleaner())
    pipeline.add_component("guard", InstructionGuard())
    # before the splitter: chunk text, quotes and keyword vectors all come from the masked text
    pipeline.add_component("masker", PersonalDataMasker(levels=list(settings.privacy.mask_personal_data)))
    pipeline.add_component(
        "splitter",
        MunicipalDocumentSplitter(
            split_words=settings.indexing.split_words,
            max_words=settings.indexing.max_words,
            overlap_sentences=settings.indexing.overlap_sentences,
        ),
    )
    pipeline.connect("converter.documents", "cleaner.documents")
    pipeline.connect("cleaner.documents", "guard.documents")
    pipeline.connect("guard.documents", "masker.documents")
    pipeline.connect("masker.documents", "splitter.documents")
    return "splitter"


def build_indexing_pipeline(settings: Settings, document_store: QdrantDocumentStore) -> Pipeline:
    """Files in (``converter.sources`` + ``converter.meta``), chunks with vectors written to the store.

    The converter's ``failed`` output lists files that could not be converted, with reasons.
    """
    pipeline = Pipeline()
    last = add_chunking_stages(pipeline, settings)
    pipeline.add_component("embedder", build_document_embedder(settings))
    pipeline.add_component(
        "writer", DocumentWriter(document_store=document_store, policy=DuplicatePolicy.OVERWRITE)
    )
    pipeline.connect(f"{last}.documents", "embedder.documents")
    if settings.retrieval.hybrid:
        pipeline.add_component("keyword_embedder", GermanSparseDocumentEmbedder())
        pipeline.connect("embedder.documents", "keyword_embedder.documents")
        pipeline.connect("keyword_embedder.documents", "writer.documents")
    else:
        pipeline.connect("embedder.documents", "writer.documents")
    return pipeline
