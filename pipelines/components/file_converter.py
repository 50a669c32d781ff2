"""Converts municipal files (PDF, office and web formats, Markdown, TXT, OParl JSON) into Documents, offline."""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import yaml
from haystack import Document, component

from pipelines.budget import BudgetExceeded, ChildFailure, run_within_budget
from pipelines.components.oparl_converter import OParlConverter
from pipelines.formats import FORMATS, PACKAGES
from pipelines.metadata import (
    guess_body,
    guess_dates,
    guess_doc_type,
    guess_municipality,
    guess_reference,
    title_from_text,
)
from pipelines.offline import make_unstructured_offline
from pipelines.packages import is_zip, package_refusal

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".pdf", ".md", ".markdown", ".txt", ".json", *FORMATS}
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class ConversionError(Exception):
    """A file could not be turned into text; the message is the reason shown to the user."""


def read_text_file(path: Path) -> str:
    """UTF-8 text, with a fallback to Windows-1252 (common in older municipal exports)."""
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise ConversionError("binary content in a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return {}, text
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def _front_matter_meta(fm: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    fm = {str(key).lower(): value for key, value in fm.items()}  # "Title:" in the federal law exports
    if fm.get("titel") or fm.get("title"):
        meta["title"] = str(fm.get("titel") or fm.get("title"))
        if fm.get("jurabk") and str(fm["jurabk"]) not in meta["title"]:
            meta["title"] += f" ({fm['jurabk']})"  # "Paßgesetz (PaßG 1986)": the abbreviation staff cite
    if fm.get("rechtsnatur"):
        meta["doc_type"] = str(fm["rechtsnatur"])
    if fm.get("gemeinde"):
        meta["municipality"] = str(fm["gemeinde"])
    elif fm.get("kreis"):
        # a district's own statute or a Zweckverband's of several of its towns ("ebene: kreis / verband"):
        # "Landkreis Göppingen", not a town "Göppingen" (a question naming one of the member towns must
        # still find it, and one naming the city of Göppingen must not)
        meta["municipality"] = f"Landkreis {fm['kreis']}"
    if fm.get("gueltig_ab"):
        meta["valid_from"] = str(fm["gueltig_ab"])
    if fm.get("stand"):
        meta["date"] = str(fm["stand"])
    if fm.get("url"):
        meta["original_url"] = str(fm["url"])
    return meta


def glued_word_ratio(text: str) -> float:
    """Share of words with a lower-to-upper case step inside ("einenHund"): glued words of an OCR layer."""
    words = re.findall(r"[A-Za-zÄÖÜäöüß]+", text)
    if len(words) < 50:
        return 0.0
    return sum(bool(re.search(r"[a-zäöüß][A-ZÄÖÜ]", w)) for w in words) / len(words)


def _pypdf_document(path: Path, meta: dict[str, Any]) -> Document:
    import pypdf

    reader = pypdf.PdfReader(str(path))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    return Document(content="\f".join(pages), meta={**meta, "pages": len(pages), "text_layer": "pypdf"})


_IMPORTED = False


def _import_converters() -> None:
    """Load the parsers in this process once, so a child forked per file does not import them again."""
    global _IMPORTED
    if _IMPORTED:
        return
    import importlib

    make_unstructured_offline()
    for module in (
        "pypdf",
        "unstructured.partition.auto",
        "unstructured.partition.pdf",
        *sorted({module for module, _ in FORMATS.values()}),
        "docx",
        "openpyxl",
        "pptx",
        "striprtf.striprtf",
        "bs4",
    ):
        try:
            importlib.import_module(module)
        except Exception:  # a missing optional parser is reported for the file that needs it
            logger.debug("could not import %s", module, exc_info=True)
    _IMPORTED = True


@component
class MunicipalFileConverter:
    """
    Converts files into one Document each. PDFs go through unstructured (``fast`` strategy, then
    tesseract OCR for image-only PDFs); office and web formats (DOCX, ODT, ODS, XLSX, PPTX, RTF, EML, HTML)
    through ``pipelines.formats`` (headings, tables as Markdown tables that keep each row with its column
    headers); Markdown and text are read as they are (keeping their headings for the structure-aware
    splitter), OParl JSON through :class:`OParlConverter`. Pages are separated by form feeds (``\\f``) so
    that chunks know their page.

    Files that cannot be converted or yield no text are returned in ``failed`` with a reason,
    never as empty documents. With ``max_seconds`` each file is converted in a child process that is
    stopped after that many seconds or when it needs more than ``max_memory_mb`` (``pipelines.budget``);
    zip packages (DOCX, ODT, ODS, XLSX, PPTX) are checked for ZIP and XML bombs first (``pipelines.packages``), and image-only
    PDFs with more than ``max_ocr_pages`` pages are not OCR'd.

    Usage example:
    ```python
    result = MunicipalFileConverter(max_seconds=600).run(sources=["satzung.pdf"], meta=[{"source": "satzung.pdf"}])
    result["documents"], result["failed"]
    ```
    """

    def __init__(
        self,
        ocr_languages: str = "deu",
        ocr: bool = True,
        max_seconds: int | None = None,
        max_memory_mb: int = 2048,
        max_ocr_pages: int = 200,
        max_unpacked_mb: int = 500,
        max_xml_elements: int = 2_000_000,
    ) -> None:
        self.ocr_languages = ocr_languages
        self.ocr = ocr
        self.max_seconds = max_seconds
        self.max_memory_mb = max_memory_mb
        self.max_ocr_pages = max_ocr_pages
        self.max_unpacked_mb = max_unpacked_mb
        self.max_xml_elements = max_xml_elements

    def _convert_within_budget(self, path: Path) -> Document:
        if self.max_seconds is None:
            return self._convert(path)
        _import_converters()  # once, here: each forked child then starts with them loaded
        try:
            return run_within_budget(self._convert, (path,), self.max_seconds, self.max_memory_mb)
        except BudgetExceeded as exc:
            raise ConversionError(str(exc)) from exc
        except ChildFailure as exc:
            if exc.conversion:
                raise ConversionError(str(exc)) from exc
            raise ConversionError(f"could not be read ({exc.kind}: {str(exc)[:120]})") from exc

    @component.output_types(documents=list[Document], failed=list[dict[str, str]])
    def run(self, sources: list[str | Path], meta: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        metas = meta or [{} for _ in sources]
        documents: list[Document] = []
        failed: list[dict[str, str]] = []
        for source, extra in zip(sources, metas, strict=True):
            path = Path(source)
            label = str(extra.get("source", source))
            try:
                doc = self._convert_within_budget(path)
            except ConversionError as exc:
                failed.append({"source": label, "reason": str(exc)})
                continue
            except Exception as exc:  # any library failure on a bad file is reported, not raised
                logger.debug("conversion of %s failed", path, exc_info=True)
                failed.append(
                    {
                        "source": label,
                        "reason": f"could not be read ({exc.__class__.__name__}: {str(exc)[:120]})",
                    }
                )
                continue
            if not (doc.content or "").strip():
                failed.append(
                    {"source": label, "reason": "no text found (empty, or an image without readable text)"}
                )
                continue
            doc.meta.update(extra)
            doc.meta.setdefault("file_name", path.name)
            doc.meta.setdefault("title", title_from_text(doc.content or "", path.stem))
            doc.meta.setdefault("doc_type", guess_doc_type(doc.meta["title"], path.name, doc.content or ""))
            text = doc.content or ""
            for key, value in guess_dates(text, path.name).items():
                doc.meta.setdefault(key, value)
            if (reference := guess_reference(text)) and "reference" not in doc.meta:
                doc.meta["reference"] = reference
            minutes = doc.meta["doc_type"] in {"Niederschrift", "Einladung", "Beschlussvorlage"}
            if minutes and "body" not in doc.meta and (body := guess_body(text)):
                doc.meta["body"] = body
            municipality = doc.meta.get("municipality") or guess_municipality(text)
            if municipality:
                doc.meta["municipality"] = municipality
            documents.append(doc)
        return {"documents": documents, "failed": failed}

    def _convert(self, path: Path) -> Document:
        if not path.exists():
            raise ConversionError("file not found (deleted or moved while indexing)")
        if not path.is_file():
            raise ConversionError("not a regular file (a FIFO, device or socket); only files are indexed")
        with path.open("rb") as f:
            head = f.read(8)
        if is_zip(head) and (reason := package_refusal(path, self.max_unpacked_mb, self.max_xml_elements)):
            raise ConversionError(reason)
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise ConversionError(f"unsupported file type '{suffix or path.name}'")
        if suffix in {".md", ".markdown", ".txt"}:
            fm, text = split_front_matter(read_text_file(path))
            return Document(content=text, meta=_front_matter_meta(fm))
        if suffix == ".json":
            try:
                docs = OParlConverter().run(sources=[path])["documents"]
            except ValueError as exc:
                raise ConversionError("not valid JSON") from exc
            if not docs:
                raise ConversionError("JSON without OParl objects that carry text")
            return docs[0]
        if suffix == ".pdf":
            return self._convert_pdf(path)
        return self._convert_format(path, suffix)

    def _convert_format(self, path: Path, suffix: str) -> Document:
        from pipelines.formats import convert
        from pipelines.formats.odf import TooLarge

        def attachment(file: Path) -> str:
            """An e-mail's attachment, through the same checks as a file (no e-mails inside e-mails)."""
            if file.suffix.lower() == ".eml":
                raise ConversionError("an e-mail inside an e-mail is not read")
            return self._convert(file).content or ""

        try:
            text, meta = convert(path, attachment)
        except ImportError as exc:
            package = PACKAGES.get(suffix, "beautifulsoup4")
            raise ConversionError(
                f"reading {suffix} files needs the Python package {package}; run: pip install {package}"
            ) from exc
        except TooLarge as exc:
            raise ConversionError(f"{exc}; not read") from exc
        except (
            KeyError,
            ValueError,
            OSError,
            zipfile.BadZipFile,
            SyntaxError,
        ) as exc:  # ParseError: SyntaxError
            kind = suffix.lstrip(".").upper()
            raise ConversionError(
                f"not a readable {kind} file ({exc.__class__.__name__}: {str(exc)[:100]})"
            ) from exc
        return Document(content=text, meta=meta)

    def _convert_pdf(self, path: Path) -> Document:
        with path.open("rb") as f:
            head = f.read(1024)
        if b"%PDF" not in head:
            raise ConversionError("not a PDF file (no PDF header)")
        pages = self._check_encryption(path)
        doc = self._partition(path, strategy="fast")
        if glued_word_ratio(doc.content or "") > 0.03:
            # an OCR text layer without word spaces ("einenHund"): pypdf reads its spacing better
            doc = _pypdf_document(path, doc.meta)
        if (doc.content or "").strip() or not self.ocr:
            return doc
        if pages > self.max_ocr_pages:
            raise ConversionError(
                f"no text layer and {pages} pages, more than indexing.max_ocr_pages ({self.max_ocr_pages}) "
                "for OCR; split the scan or raise the limit"
            )
        logger.info("%s has no text layer; running OCR (%s)", path.name, self.ocr_languages)
        doc = self._partition(path, strategy="ocr_only")
        doc.meta["ocr"] = True
        return doc

    @staticmethod
    def _check_encryption(path: Path) -> int:
        """Raises for encrypted PDFs; returns the number of pages (0 if they cannot be counted)."""
        import pypdf

        try:
            reader = pypdf.PdfReader(str(path))
            encrypted = reader.is_encrypted
        except Exception as exc:
            raise ConversionError(f"damaged PDF ({exc.__class__.__name__})") from exc
        if encrypted:
            try:
                if reader.decrypt("") == 0:
                    raise ConversionError("encrypted PDF (password protected); provide an unprotected copy")
            except ConversionError:
                raise
            except Exception as exc:
                raise ConversionError(
                    "encrypted PDF (password protected); provide an unprotected copy"
                ) from exc
        try:
            return len(reader.pages)
        except Exception:
            return 0

    def _partition(self, path: Path, strategy: str | None) -> Document:
        make_unstructured_offline()
        from unstructured.partition.auto import partition

        kwargs: dict[str, Any] = {"languages": [self.ocr_languages]}
        if strategy:
            kwargs["strategy"] = strategy
        elements = partition(filename=str(path), **kwargs)
        pages: dict[int, list[str]] = {}
        first_title = None
        for element in elements:
            text = (element.text or "").strip()
            if not text:
                continue
            page = element.metadata.page_number or 1
            if element.category == "Title" and first_title is None and len(text) > 10:
                first_title = text
            pages.setdefault(page, []).append(text)
        if not pages:
            return Document(content="")
        last = max(pages)
        content = "\f".join("\n".join(pages.get(p, [])) for p in range(1, last + 1))
        meta: dict[str, Any] = {"pages": last}
        if first_title:
            meta["first_heading"] = first_title
        return Document(content=content, meta=meta)
