"""Makes the office and web test documents from the example corpus's Konstanz statutes, with the tools a
municipality's documents come from: pandoc (Markdown -> DOCX, PPTX, HTML) and LibreOffice (DOCX -> ODT
with its page layout, -> RTF; HTML tables -> XLSX, ODS); the e-mail with Python's email package.

    apt-get install pandoc libreoffice-writer-nogui libreoffice-calc-nogui
    python tests/data/office/make.py        # rewrites the files next to this script

The files are committed, so the tests need neither tool. Each statute goes into one format, so a search
shows which file (and so which converter) the answer came from.
"""

from __future__ import annotations

import email.message
import email.utils
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
KONSTANZ = HERE.parents[2] / "examples" / "corpus" / "konstanz"
SITE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{title} | Stadt Konstanz</title></head>
<body>
<header class="site-header"><a href="/">Stadt Konstanz</a> <a href="/suche">Suche</a></header>
<nav class="main-navigation"><ul><li><a href="/rathaus">Rathaus &amp; Verwaltung</a></li>
<li><a href="/buergerservice">Bürgerservice: Öffnungszeiten, Formulare, Termine</a></li>
<li><a href="/leben">Leben in Konstanz</a></li></ul></nav>
<div class="breadcrumb">Startseite &gt; Rathaus &gt; Ortsrecht</div>
<main id="content">
{body}
</main>
<aside class="sidebar"><h2>Kontakt</h2><p>Bürgerbüro, Untere Laube 24, Telefon 07531 900-0</p></aside>
<footer class="site-footer"><p>Impressum | Datenschutz | Barrierefreiheit | Cookie-Einstellungen</p></footer>
</body></html>
"""


def statute(name: str) -> tuple[str, str]:
    """(title, Markdown body without front matter) of a Konstanz statute."""
    text = (KONSTANZ / f"KON_{name}.md").read_text(encoding="utf-8")
    front, body = text.split("\n---\n", 1)
    title = re.search(r'^titel: "?(.+?)"?$', front, re.M)
    return (title.group(1) if title else name), body


def pandoc(source: Path, target: Path, *args: str) -> None:
    subprocess.run(["pandoc", "-f", "markdown", str(source), "-o", str(target), *args], check=True)


def soffice(source: Path, kind: str, outdir: Path, infilter: str | None = None) -> Path:
    command = ["soffice", "--headless", "--convert-to", kind, "--outdir", str(outdir), str(source)]
    if infilter:
        command[2:2] = [f"--infilter={infilter}"]
    subprocess.run(command, check=True, capture_output=True)
    return outdir / f"{source.stem}.{kind.split(':')[0]}"


def markdown(tmp: Path, name: str) -> Path:
    title, body = statute(name)
    path = tmp / f"{name}.md"
    path.write_text(f'---\ntitle: "{title}"\n---\n\n{body}', encoding="utf-8")
    return path


def table_html(tmp: Path, name: str, caption: str, marker: str) -> Path:
    """The first Markdown table from ``marker`` on in a statute, as an HTML table under a caption line."""
    _, body = statute(name)
    lines = body[body.index(marker) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        if not line.startswith("|---"):
            table.append([c.strip().replace("**", "") for c in line.strip("|").split("|")])
    cells = "".join(
        "<tr>" + "".join(f"<{t}>{c}</{t}>" for c in row for t in ["th" if i == 0 else "td"]) + "</tr>"
        for i, row in enumerate(table)
    )
    path = tmp / f"{name}.html"
    path.write_text(
        f"<html><head><meta charset='utf-8'></head><body><p>{caption}</p><table>{cells}</table></body></html>",
        encoding="utf-8",
    )
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        # DOCX written by pandoc (Word heading styles, a title in the document properties)
        pandoc(markdown(tmp, "Satzung_Hundesteuer"), HERE / "Hundesteuer.docx")
        # ODT laid out by LibreOffice (soft page breaks: pages)
        pandoc(markdown(tmp, "Satzung_Verpackungssteuer"), tmp / "Verpackungssteuer.docx")
        shutil.copy(soffice(tmp / "Verpackungssteuer.docx", "odt", tmp), HERE / "Verpackungssteuer.odt")
        # RTF saved by LibreOffice
        pandoc(markdown(tmp, "Satzung_Zweitwohnungssteuer"), tmp / "Zweitwohnungssteuer.docx")
        shutil.copy(soffice(tmp / "Zweitwohnungssteuer.docx", "rtf", tmp), HERE / "Zweitwohnungssteuer.rtf")
        # PPTX by pandoc: a slide per section
        pandoc(markdown(tmp, "Verordnung_Sperrzeit"), HERE / "Sperrzeit.pptx", "--slide-level=3")
        # HTML: the statute inside a municipal site's navigation, header, sidebar and footer
        title, _ = statute("Satzung_Grillplaetze")
        pandoc(markdown(tmp, "Satzung_Grillplaetze"), tmp / "grill.html")
        body = (tmp / "grill.html").read_text(encoding="utf-8")
        (HERE / "Grillplaetze.html").write_text(SITE.format(title=title, body=body), encoding="utf-8")
        # XLSX and ODS: fee tables saved by LibreOffice Calc
        xlsx = table_html(
            tmp,
            "Satzung_Bestattungsgebuehren",
            "Grabnutzungsgebühren nach § 6 Nr. 4 der Bestattungsgebührenordnung der Stadt Konstanz ab 01.01.2025",
            "**4. Grabnutzungsgebühren**",
        )
        shutil.copy(soffice(xlsx, "xlsx", tmp, "HTML (StarCalc)"), HERE / "Grabnutzungsgebuehren.xlsx")
        ods = table_html(
            tmp,
            "Satzung_Parkgebuehren",
            "Parkgebühren in den Parkhäusern Döbele und Schänzle der Stadt Konstanz (Parkgebührenordnung)",
            "| Parkzeit | Döbele",
        )
        shutil.copy(soffice(ods, "ods", tmp, "HTML (StarCalc)"), HERE / "Parkgebuehren.ods")
        # EML: a message with the Feuerwerksverbot as an ODT attachment
        pandoc(markdown(tmp, "Verordnung_Feuerwerksverbot"), tmp / "Feuerwerksverbot.docx")
        attachment = soffice(tmp / "Feuerwerksverbot.docx", "odt", tmp)
        message = email.message.EmailMessage()
        message["Subject"] = "Feuerwerksverbot in der Altstadt: Polizeiverordnung zur Kenntnis"
        message["From"] = "Ordnungsamt Konstanz <ordnungsamt@example.org>"
        message["To"] = "Buergerbuero Konstanz <buergerbuero@example.org>"
        message["Date"] = email.utils.format_datetime(
            email.utils.parsedate_to_datetime("Mon, 29 Dec 2025 09:30:00 +0100")
        )
        message.set_content(
            "Guten Tag,\n\nanbei die Polizeiverordnung der Stadt Konstanz über das Verbot von Feuerwerk in der "
            "Altstadt zu Silvester. Bitte geben Sie Anfragen von Bürgerinnen und Bürgern auf dieser Grundlage "
            "Auskunft.\n\nMit freundlichen Grüßen\nOrdnungsamt\n"
        )
        message.add_attachment(
            attachment.read_bytes(),
            maintype="application",
            subtype="vnd.oasis.opendocument.text",
            filename="Polizeiverordnung_Feuerwerksverbot.odt",
        )
        (HERE / "Feuerwerksverbot.eml").write_bytes(bytes(message))


if __name__ == "__main__":
    main()
