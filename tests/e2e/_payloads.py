"""Hostile text for the injection tests: a copy of data/ with a payload in every human-readable text field,
and the payloads put in URL parameters.

Only text fields get payloads: codes, ids, numbers, periods and geometries stay valid, so the data is accepted
by the store (its checks are about structure, not about what a name says). Each text keeps its original value
first (names stay distinct) followed by the payloads.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"

OUTSIDE_HOST = "127.0.0.1:9"  # a port of our own loopback, outside the app's origin: must never be requested
PHISH = "phish.example"
TITLE_MARK = "PWNED"

HTML_PAYLOADS = (
    f"<img src=x onerror=\"parent.document.title='{TITLE_MARK} '+parent.location.host\">",
    f'<script>parent.document.title="{TITLE_MARK} script"</script>',
    f"<svg onload=\"parent.document.title='{TITLE_MARK} svg'\"></svg>",
    f"<b onmouseover=\"alert('{TITLE_MARK}')\">survol</b>",
    f'<a href="https://{PHISH}/html">lien</a>',
    f'<img src="http://{OUTSIDE_HOST}/img.png">',
)
MARKDOWN_PAYLOADS = (
    f"![x](http://{OUTSIDE_HOST}/px.png)",
    f"[Cliquez ici](https://{PHISH}/)",
    f"<https://{PHISH}/auto> https://{PHISH}/nu www.{PHISH}",
    ":red[**Compte bloqué**]",
    ":material/warning: :smile:",
    "$x^2$",
)
INVISIBLE_PAYLOAD = "\u202eevil\u202c zéro\u200blargeur\u2060"
PAYLOAD = " " + " ".join(HTML_PAYLOADS + MARKDOWN_PAYLOADS + (INVISIBLE_PAYLOAD,))

# Texts a spreadsheet would run as formulas (CSV / XLSX downloads): put at the START of a few text fields.
FORMULA_PAYLOADS = (
    f'=HYPERLINK("http://{OUTSIDE_HOST}/f";"Cliquez")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
)

# Texts that only exist when a payload became markup (an element whose whole text is one of these).
MARKUP_TEXTS = ("Compte bloqué", "Cliquez ici", "lien", "survol", "warning")
SCRIPT_BODY = f'parent.document.title="{TITLE_MARK} script"'

# URL parameters of the app: shared filters (every page) and the page-level `url_selectbox` / `labo` ones.
SIDEBAR_PARAMS = ("dep", "bassin", "theme", "niveau", "public", "de", "a")
PAGE_PARAMS = {
    "/carte": ("indicateur", "annee", "methode", "classes", "fond", "bassin_sel"),
    "/indicateurs": ("indicateur", "par", "annee", "de_annee", "a_annee"),
    "/laboratoires": ("labo",),
}
URL_PAYLOADS = (
    f"![x](http://{OUTSIDE_HOST}/u.png)",
    f"![](//{OUTSIDE_HOST}/d)",  # fits in the 20 characters kept of `de` / `a`
    f"[Cliquez ici](https://{PHISH}/)",
    ":red[**Compte bloqué**]",
    f"<img src=x onerror=\"alert('{TITLE_MARK}')\">",
    ":material/warning: \u202eevil\u200b",
)


def _with_payload(value: str) -> str:
    return f"{value}{PAYLOAD}"


def _edit_csv(path: Path, edit: Callable[[list[dict[str, str]]], None]) -> None:
    """Read a `;` CSV of data/, let `edit` change its rows in place, write it back (UTF-8, LF)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _rewrite_csv(path: Path, columns: tuple[str, ...], only: Callable[[dict], bool] | None = None) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if only is None or only(row):
                for column in columns:
                    row[column] = _with_payload(row[column])

    _edit_csv(path, edit)


def _formula_first(path: Path, column: str, only: Callable[[dict], bool], limit: int) -> None:
    """Prefix `column` of the first `limit` rows matching `only` with a formula payload (rotated)."""

    def edit(rows: list[dict[str, str]]) -> None:
        matching = [row for row in rows if only(row)][:limit]
        for i, row in enumerate(matching):
            row[column] = FORMULA_PAYLOADS[i % len(FORMULA_PAYLOADS)] + " " + row[column]

    _edit_csv(path, edit)


def _rewrite_geojson(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"]["nom"] = _with_payload(feature["properties"]["nom"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def make_payload_data(target: Path) -> Path:
    """A copy of data/ (reference/ and demo/) under `target` with a payload in every human-readable text."""
    shutil.copytree(DATA / "reference", target / "reference")
    shutil.copytree(DATA / "demo", target / "demo")
    ref = target / "reference"
    _rewrite_csv(ref / "laboratoires.csv", ("nom", "commune", "source"))
    _rewrite_csv(ref / "projets.csv", ("intitule", "lieu", "projet", "source"))
    _rewrite_csv(ref / "indicateurs.csv", ("libelle", "unite", "definition", "source", "domaine"))
    _rewrite_csv(ref / "thematiques.csv", ("libelle", "famille"))
    _rewrite_csv(ref / "niveaux.csv", ("libelle",))
    _rewrite_csv(ref / "publics.csv", ("libelle",))
    _rewrite_geojson(ref / "bassins.geojson")
    _rewrite_geojson(ref / "departements.geojson")
    academie = json.loads((ref / "academie.json").read_text(encoding="utf-8"))
    for key in ("nom", "bilan", "bassins_note"):
        academie[key] = _with_payload(academie[key])
    for dep in academie["departements"]:
        dep["nom"] = _with_payload(dep["nom"])
    (ref / "academie.json").write_text(json.dumps(academie, ensure_ascii=False, indent=2), encoding="utf-8")
    # measure sources: the bilan-cited ones (the illustrative marker keeps its meaning)
    _rewrite_csv(
        target / "demo" / "mesures.csv", ("source",), only=lambda row: not row["source"].startswith("illustratif")
    )
    # formulas at the start of texts that the download buttons export: measure sources (Données), the first
    # indicator's source (catalogue), the labs' sources (Laboratoires)
    _formula_first(
        target / "demo" / "mesures.csv",
        "source",
        lambda row: not row["source"].startswith("illustratif"),
        limit=len(FORMULA_PAYLOADS),
    )
    _formula_first(ref / "indicateurs.csv", "source", lambda row: True, limit=1)
    _formula_first(ref / "laboratoires.csv", "source", lambda row: True, limit=len(FORMULA_PAYLOADS))
    return target


def url_with_payloads(path: str, rotation: int) -> str:
    """`path?param=payload&…` with every parameter of that page (and of the sidebar), payloads rotated."""
    from urllib.parse import urlencode

    params = SIDEBAR_PARAMS + PAGE_PARAMS.get(path, ())
    values = {name: URL_PAYLOADS[(i + rotation) % len(URL_PAYLOADS)] for i, name in enumerate(params)}
    return f"{path}?{urlencode(values)}"
