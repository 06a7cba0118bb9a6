"""Every page (AppTest) and every export of the dashboard for the data folder `$OBSERVATOIRE_DATA` and the store
`$OBSERVATOIRE_STORE` (already `init`ed), in a process of its own: the application reads its data folder once, at
import (`observatoire.config`). Prints one JSON object: per page and per export, the texts shown (or the file's
text) and the unexpected errors. Used by tests/app/test_other_academie.py.

    OBSERVATOIRE_DATA=… OBSERVATOIRE_STORE=… python tests/academies/walk.py [--dep 2A]
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAGES = [
    "pages/vue_ensemble.py",
    "pages/carte.py",
    "pages/indicateurs.py",
    "pages/laboratoires.py",
    "pages/projets.py",
    "pages/donnees.py",
    "pages/presentation.py",
    "pages/importer.py",
]


def _walk_texts(node, out: list[str]) -> None:  # noqa: ANN001
    """Every element's own text (`value`, `label`) and its whole message (protobuf text: labels, options, help,
    chart specifications; non-ASCII characters escaped), depth first."""
    for attr in ("value", "label"):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            out.append(value)
    proto = getattr(node, "proto", None)
    if proto is not None:
        out.append(str(proto))
    for child in getattr(node, "children", {}).values():
        _walk_texts(child, out)


def pages(params: dict[str, str]) -> dict[str, dict]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.helpers import unexpected_errors

    configs: list[str] = []
    original = st.set_page_config

    def set_page_config(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the browser tab's title, the menu
        configs.append(json.dumps(kwargs, ensure_ascii=False, default=str))
        return original(*args, **kwargs)

    st.set_page_config = set_page_config
    result = {}
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(page).run()
        texts: list[str] = []
        _walk_texts(at._tree, texts)
        result[page] = {
            "errors": unexpected_errors(at),
            "text": "\n".join(texts),
            "page_config": "\n".join(configs),
            "title": [str(t.value) for t in at.title],
        }
        configs.clear()
    return result


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml"))


def exports(params: dict[str, str]) -> dict[str, str]:
    """Every file a user can take away, as text: measures CSV/XLSX, the deck (PPTX) and its instantané (HTML),
    the PDF fiches of every bassin and lab (text of the PDF streams), a chart's CSV/XLSX with its « À propos »."""
    from observatoire import exporting, queries, versions
    from observatoire.exports import html, pdf, pptx
    from observatoire.filters import parse_params
    from observatoire.views.fiches import build_bassin_fiche, build_lab_fiche
    from observatoire.views.indicators import build_indicators
    from observatoire.views.presentation import build_presentation

    repo = versions.Repository()
    out: dict[str, str] = {}
    with repo.connect() as con:
        filters, notices = parse_params(params, queries.choices(con))
        out["notices"] = "\n".join(notices)
        frame = queries.all_measures(con)
        out["mesures.csv"] = exporting.to_csv_bytes(frame).decode("utf-8")
        out["mesures.xlsx"] = _docx_text(exporting.to_xlsx_bytes(frame))
        deck = build_presentation(con, filters)
        out["presentation.pptx"] = _docx_text(pptx.presentation_pptx(deck))
        out["instantane.html"] = html.presentation_html(deck)
        year = queries.school_years(con)[-1]
        for (code,) in con.execute("SELECT code FROM bassins ORDER BY code").fetchall():
            fiche = build_bassin_fiche(con, code, year, filters)
            out[f"fiche bassin {code}.pdf"] = pdf.fiche_file_name(fiche) + "\n" + _pdf_text(pdf.fiche_pdf(fiche))
        for (code,) in con.execute("SELECT code FROM laboratoires ORDER BY code").fetchall():
            fiche = build_lab_fiche(con, code, year, filters)
            out[f"fiche labo {code}.pdf"] = pdf.fiche_file_name(fiche) + "\n" + _pdf_text(pdf.fiche_pdf(fiche))
        view = build_indicators(con, filters, {})
        for table in view.tables:
            key = table.key
            about = exporting.About(
                title=table.title,
                context=view.context,
                source=table.source,
                illustrative=table.illustrative,
                indicator=table.indicator,
                unit=table.unit,
            )
            name = exporting.export_file_name(table.title, view.context, "csv")
            out[f"indicateurs {key}.csv"] = name + "\n" + exporting.to_csv_bytes(table.frame, about=about).decode()
    return out


def _pdf_text(data: bytes) -> str:
    """The text of a PDF as a reader extracts it (pypdf, as tests/observatoire/test_fiches.py)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def main() -> None:
    params = {}
    args = sys.argv[1:]
    if "--dep" in args:
        params["dep"] = args[args.index("--dep") + 1]
    print(json.dumps({"pages": pages(params), "exports": exports(params)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
