"""Checks on zip packages of XML (DOCX, ODT, XLSX, PPTX) before any parser opens them: ZIP and XML bombs.

A 47 KB DOCX can hold millions of empty paragraphs (hundreds of MB of XML, gigabytes once parsed) or
declare entities that expand without end. :func:`package_refusal` reads only the zip directory and
streams each XML member through expat, stopping at the first cap, so checking a bomb costs at most
``max_xml_elements`` parser events.

>>> import io, zipfile
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
...     z.writestr("word/document.xml", "<w:document xmlns:w='w'>" + "<w:p/>" * 50 + "</w:document>")
>>> package_refusal(buffer, max_unpacked_mb=1, max_xml_elements=10)
'word/document.xml holds more than indexing.max_xml_elements (10) XML elements (an XML bomb?); not opened'
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath
from typing import IO, Any
from xml.parsers import expat

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MAX_MEMBERS = 10_000


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def _xml_refusal(stream: IO[bytes], name: str, max_elements: int) -> str | None:
    parser = expat.ParserCreate()
    count = 0

    def start(tag: str, attrs: Any) -> None:
        nonlocal count
        count += 1
        if count > max_elements:
            raise _Stop(
                f"{name} holds more than indexing.max_xml_elements ({max_elements}) XML elements "
                "(an XML bomb?); not opened"
            )

    def doctype(*args: Any) -> None:  # entity definitions (billion laughs) need a DTD
        raise _Stop(f"{name} declares a DTD (XML entities); Office files have none; not opened")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        while chunk := stream.read(1 << 16):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Stop as stop:
        return stop.reason
    except expat.ExpatError as exc:
        return f"{name} is not well-formed XML ({expat.ErrorString(exc.code)}); not opened"
    return None


def package_refusal(file: Any, max_unpacked_mb: int, max_xml_elements: int) -> str | None:
    """Why the zip package ``file`` (a path or a binary file object) is not opened, or ``None``."""
    try:
        with zipfile.ZipFile(file) as package:
            members = package.infolist()
            if len(members) > MAX_MEMBERS:
                return f"a package with {len(members)} parts (more than {MAX_MEMBERS}); not opened"
            if any(
                m.filename.startswith(("/", "\\")) or ".." in PurePosixPath(m.filename).parts for m in members
            ):
                return "the package contains paths outside itself (../ or absolute); not opened"
            unpacked = sum(m.file_size for m in members)
            if unpacked > max_unpacked_mb * 1024 * 1024:
                return (
                    f"unpacks to {unpacked // (1024 * 1024)} MB, more than indexing.max_unpacked_mb "
                    f"({max_unpacked_mb} MB) (a ZIP bomb?); not opened"
                )
            for member in members:
                if member.filename.lower().endswith((".xml", ".rels")):
                    with package.open(member) as stream:
                        if reason := _xml_refusal(stream, member.filename, max_xml_elements):
                            return reason
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError) as exc:
        return f"a broken zip package ({exc.__class__.__name__}); not opened"
    return None
