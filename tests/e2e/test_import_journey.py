"""An editor's whole import journey, for real, in Chromium: sign in through the local OpenID Connect provider
(tests/e2e/_oidc.py) → the import page in French (the file uploader's chrome included) → a Windows-1252 CSV
with French numbers → preview → « Publier » → the overview shows the new figure → a bad file is refused and
publishes nothing → « Annuler cet import » → the overview shows the old figure again → sign out. Also the two
templates, downloaded as a user does.

The server works on a store folder of its own, created here (`versions.Repository(root).init`); expected
values are read from that store (duckdb, read-only) and formatted with the app's own French formatting, never
taken from what the page printed. The browser may not leave loopback: only the provider's pages (a CDN
stylesheet) may try, never the dashboard.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import Server, free_port, goto, streamlit_server, wait_idle
from observatoire import config, versions
from observatoire.figures import formatting
from tests.e2e._oidc import (
    UPLOADER,
    Provider,
    assert_loopback_only,
    oidc_provider,
    open_importer,
    page_text,
    secrets_toml,
    sign_in,
    sign_out,
)
from tests.e2e._ui import page_problems

EDITOR = "claire.editrice@ac-nancy-metz.fr"
USERS = {EDITOR: {"email": EDITOR, "name": "Claire Éditrice"}}
HEADER = "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source;origine"
NEW_VALUE = 74_500_000.5
NBSP = "\u00a0"  # typed by spreadsheets as thousands separator
NNBSP = "\u202f"  # narrow no-break space: the app's (and the uploader's translated) space before a unit
LARGE = {"width": 1600, "height": 1000}
SMALL = {"width": 1280, "height": 720}
ZONE = '[data-testid="stFileUploader"]'
# Streamlit 1.67's English for the file uploader (static/js FileUploader.*.js and utils.*.js), and older wording
ENGLISH = (
    "Drag and drop",
    "Browse files",
    "Upload",
    "per file",
    "Limit",
    "MB",
    "KB",
    "Remove",
    "not allowed",
    "File must be",
    "Error",
    "Add files",
    "file upload",
    "Cancel upload",
    "Click to retry",
)
# every attribute a user (or a screen reader) meets in the uploader, and its visible text
_UPLOADER_STRINGS = """(zone) => {
  const out = [zone.innerText];
  for (const el of [zone, ...zone.querySelectorAll('*')])
    for (const a of ['aria-label', 'title', 'placeholder', 'data-title'])
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
  return out;
}"""


@pytest.fixture(scope="module")
def provider(chromium_available: None) -> Iterator[Provider]:
    with oidc_provider(USERS) as running:
        yield running


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> versions.Repository:
    """A fresh store (version n° 1: the shipped data), for this module's server only."""
    repository = versions.Repository(tmp_path_factory.mktemp("store") / "var")
    repository.init(author="tests")
    return repository


@pytest.fixture(scope="module")
def app(
    provider: Provider, repo: versions.Repository, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    port = free_port()
    auth = secrets_toml(tmp_path_factory.mktemp("auth") / "secrets.toml", port, provider, editors=[EDITOR])
    with streamlit_server(store_dir=repo.root, port=port, secrets_file=auth.path) as server:
        yield server


# ------------------------------------------------------------------------------------------------ helpers


def _rows(repo: versions.Repository) -> list[tuple]:
    """The académie-level « ent_visites » (all levels, themes, publics) of the two latest school years."""
    with repo.connect() as con:
        return con.execute("""SELECT indicateur, periode, territoire_type, territoire_code, niveau, thematique,
                                     public, valeur, source, origine FROM mesures_actives
                              WHERE territoire_type = 'academie' AND indicateur = 'ent_visites'
                                AND public = 'tous' AND niveau = 'tous' AND thematique = 'tous'
                              ORDER BY periode DESC LIMIT 2""").fetchall()


def _french_number(value: float, thousands: str) -> str:
    """`74500000.5` → `74 500 000,5` with the given thousands separator (as typed in a French spreadsheet)."""
    text = f"{value:,.1f}" if not float(value).is_integer() else f"{value:,.0f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", thousands)


def _csv_file(repo: versions.Repository) -> tuple[bytes, float]:
    """cp1252, « ; »: the latest year's figure changed to NEW_VALUE (thousands with a space), the year before
    unchanged (thousands with a no-break space U+00A0, same source and origine: « inchangée »)."""
    latest, before = _rows(repo)
    changed = [*latest[:7], _french_number(NEW_VALUE, " "), "Statistiques ENT — académie (import e2e)", "import"]
    same = [*before[:7], _french_number(before[7], NBSP), before[8], before[9]]
    text = "\r\n".join([HEADER, ";".join(map(str, changed)), ";".join(map(str, same))]) + "\r\n"
    assert " " in text and NBSP in text
    return text.encode("cp1252"), float(latest[7])


def _store_snapshot(repo: versions.Repository) -> dict[str, tuple[int, str]]:
    return {
        str(p.relative_to(repo.root)): (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(repo.root.rglob("*"))
        if p.is_file()
    }


def _chip_size(size: float) -> str:
    """The file chip's size as Streamlit computes it (utils.*.js: 1 000 bytes per kilobyte off Windows, up a unit
    above half of the next one, one decimal), in the French of components/french_ui.json (« 311.0B »: « 311 o »)."""
    units = ["o", "Ko", "Mo", "Go"]
    step = 0
    while step < 3 and size > 500:
        size, step = size / 1000, step + 1
    text = f"{size:.1f}".replace(".", ",")
    return (text.removesuffix(",0") if step == 0 else text) + NNBSP + units[step]  # « 311 o », « 1,2 Ko »


def _uploader_strings(page) -> list[str]:  # noqa: ANN001
    return page.locator(ZONE).evaluate(_UPLOADER_STRINGS)


def _assert_uploader_french(page) -> str:  # noqa: ANN001
    strings = _uploader_strings(page)
    english = [s for s in strings for word in ENGLISH if word in s]
    assert not english, f"texte anglais dans le dépôt de fichier : {english}"
    return strings[0]


def _upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:  # noqa: ANN001
    page.locator(f'{ZONE} input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )


def _metric(page, label: str) -> str:  # noqa: ANN001
    metric = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _overview(page, server: Server) -> tuple[list[str], str]:  # noqa: ANN001
    """Open the overview in the same tab: the KPI values and the whole app text (footer included)."""
    goto(page, f"{server.url}/")
    page.locator('[data-testid="stMetricValue"]').first.wait_for()
    assert not page_problems(page), page_problems(page)
    values = [
        v.strip() for v in page.locator('[data-testid="stMain"] [data-testid="stMetricValue"]').all_inner_texts()
    ]
    return values, page.locator('[data-testid="stApp"]').inner_text()


# labels of the main area's buttons cut by an ellipsis (text wider than its box)
_CUT_LABELS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stMain"] button [data-testid="stMarkdownContainer"], '
    + '[data-testid="stMain"] button [data-testid="stMarkdownContainer"] *'))
  .filter((e) => e.checkVisibility() && e.scrollWidth > e.clientWidth + 1 && e.innerText.trim())
  .map((e) => e.innerText.trim())"""


def _shoot(page, screenshots_dir: Path, name: str, viewport: dict[str, int]) -> None:  # noqa: ANN001
    page.set_viewport_size(viewport)
    wait_idle(page, settle_ms=200)  # a resize re-lays out the page (no rerun): let it settle before the capture
    page.screenshot(path=str(screenshots_dir / name), full_page=False)
    assert not page.evaluate(_CUT_LABELS), f"{name} : libellés de boutons coupés {page.evaluate(_CUT_LABELS)}"


# ------------------------------------------------------------------------------------------------- tests


def test_templates_download(page, app, provider, outside):
    """« Modèle XLSX » / « Modèle CSV »: the file names keep their accents, the workbook has the sheets
    « mesures » and « codes », the CSV starts with the UTF-8 BOM and the header line."""
    import openpyxl

    sign_in(page, app, provider, EDITOR)
    names = {}
    for label in ("Modèle XLSX (avec la liste des codes)", "Modèle CSV"):
        with page.expect_download() as info:
            page.get_by_role("button", name=label).click()
        download = info.value
        names[label] = download.suggested_filename
        data = Path(download.path()).read_bytes()
        if label == "Modèle CSV":
            assert data.startswith(
                b"\xef\xbb\xbf" + b"indicateur;periode;territoire_type;territoire_code;niveau;"
                b"thematique;public;valeur;origine;source\r\n"
            ), data[:120]
            data.decode("utf-8-sig")  # UTF-8 throughout
        else:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            assert {"mesures", "codes"} <= set(workbook.sheetnames), workbook.sheetnames
            header = next(workbook["mesures"].iter_rows(min_row=1, max_row=1, values_only=True))
            assert "indicateur" in header and "valeur" in header, header
    assert names == {
        "Modèle XLSX (avec la liste des codes)": "modèle-import-mesures.xlsx",
        "Modèle CSV": "modèle-import-mesures.csv",
    }
    sign_out(page, app, provider)
    assert_loopback_only(outside, provider)


def test_import_publish_refuse_undo_logout(page, app, provider, repo, outside, screenshots_dir):
    started = last = time.monotonic()
    timings: dict[str, float] = {}

    def lap(step: str) -> None:
        nonlocal last
        now = time.monotonic()
        timings[step], last = round(now - last, 1), now

    assert repo.current().number == 1
    data, old_value = _csv_file(repo)
    old_text, new_text = formatting.compact(old_value), formatting.compact(NEW_VALUE)
    assert old_text != new_text and new_text == f"74,5{NNBSP}M"

    # 1. sign in (Streamlit lands on « / » after the callback: sign_in opens /importer again)
    sign_in(page, app, provider, EDITOR)
    page.wait_for_function("() => window.__observatoireFrench !== undefined")
    lap("connexion")

    # 2. the uploader speaks French: at rest, while a file is dragged over it, with refused files
    zone = page.locator(ZONE)
    zone.wait_for()
    text = _assert_uploader_french(page)
    assert UPLOADER in text and "Parcourir les fichiers" in text, text
    assert f"{config.UPLOAD_LIMIT_MB}{NNBSP}Mo maximum par fichier • CSV, XLSX, TXT, TSV" in text, text
    dropzone = zone.locator('[data-testid="stFileUploaderDropzone"]')
    dragged = page.evaluate_handle("""() => { const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'mesures.csv', {type: 'text/csv'})); return dt; }""")
    dropzone.dispatch_event("dragenter", {"dataTransfer": dragged})
    page.get_by_text("Glissez-déposez un fichier ici", exact=True).wait_for()
    _assert_uploader_french(page)
    dropzone.dispatch_event("dragleave", {"dataTransfer": dragged})
    page.get_by_text("Glissez-déposez un fichier ici", exact=True).wait_for(state="detached")
    lap("dépôt au repos et glisser")

    _upload(page, "notes.pdf", b"%PDF-1.4\n", mime="application/pdf")  # refused by the browser, never sent
    alert = zone.get_by_role("alert")
    alert.wait_for(state="attached")
    assert alert.inner_text().strip() == "Erreur : Ce type de fichier n'est pas accepté (application/pdf).", (
        alert.inner_text()
    )
    _assert_uploader_french(page)
    zone.get_by_role("button", name="Supprimer le fichier notes.pdf", exact=True).click()
    alert.wait_for(state="detached")
    lap("type refusé")
    # the other refusals need a 20 MB upload (30 s under load) or a failing server: the page's own translator
    # is asked directly, with the strings of Streamlit's bundle (utils.*.js)
    translated = page.evaluate(
        """(texts) => texts.map((t) => window.__observatoireFrench.translate(t))""",
        [
            "File must be 20.0MB or smaller.",
            "File must be 2.5GB or smaller.",
            " files are not allowed.",
            "Only one file is allowed.",
            "File size is too small.",
            "Upload failed",
            "Error: ",
            "Unexpected error. Please try again.",
            "Cancel upload of ent.csv",
            "Click to retry upload",
        ],
    )
    assert translated == [
        f"Le fichier ne doit pas dépasser 20{NNBSP}Mo.",
        f"Le fichier ne doit pas dépasser 2,5{NNBSP}Go.",
        " Ce type de fichier n'est pas accepté.",
        "Un seul fichier est accepté.",
        "Le fichier est trop petit.",
        "Échec de l'envoi",
        "Erreur : ",
        "Erreur imprévue pendant l'envoi. Veuillez réessayer.",
        "Annuler l'envoi de ent.csv",
        "Cliquer pour relancer l'envoi",
    ], translated
    lap("autres refus")

    # 3. a cp1252 CSV with French numbers: preview, « Publier », the overview shows the new figure
    _upload(page, "ent-2025.csv", data)
    page.get_by_text("Fichier lisible et valide", exact=False).wait_for()
    wait_idle(page)
    said = page_text(page)
    assert "« ent-2025.csv »" in said and "Windows-1252" in said, said[:2000]
    assert _metric(page, "Valeurs modifiées") == "1"
    assert _metric(page, "Valeurs nouvelles") == "0" and _metric(page, "Valeurs inchangées") == "1"
    chip = zone.locator('[data-testid="stFileChip"]')
    size = _chip_size(len(data))
    assert chip.get_attribute("aria-label") == f"ent-2025.csv, {size}"
    assert size in chip.inner_text() and "KB" not in chip.inner_text()
    assert zone.get_by_role("button", name="Supprimer le fichier ent-2025.csv", exact=True).count() == 1
    _assert_uploader_french(page)
    assert repo.current().number == 1  # a preview publishes nothing
    _shoot(page, screenshots_dir, "importer-apercu-1280.png", SMALL)
    _shoot(page, screenshots_dir, "importer-apercu-1600.png", LARGE)
    lap("aperçu")

    page.get_by_role("button", name="Publier", exact=True).click()
    page.get_by_text("Version n° 2 publiée", exact=False).wait_for()
    wait_idle(page)
    assert repo.current().number == 2
    assert "0 nouvelle, 1 modifiée, 1 inchangée · actif" in page_text(page)  # lot 2, French agreement
    assert page.locator(f'{ZONE} [data-testid="stFileChip"]').count() == 0  # a fresh, empty uploader
    _shoot(page, screenshots_dir, "importer-publie-1600.png", LARGE)
    values, app_text = _overview(page, app)
    assert new_text in values and old_text not in values, values
    assert "Version des données n° 2" in app_text
    lap("publication")

    # 4. a bad file: refused, the problems in French with their line numbers, nothing published
    before = _store_snapshot(repo)
    open_importer(page, app)
    latest = _rows(repo)[0]
    bad = (
        "\r\n".join(
            [
                HEADER,
                ";".join(map(str, [*latest[:1], "2024/2025", *latest[2:7], "12", "x", "import"])),
                ";".join(map(str, [*latest[:7], "-5", "x", "import"])),
            ]
        )
        + "\r\n"
    )
    _upload(page, "faux.csv", bad.encode("cp1252"))
    page.get_by_text("Fichier refusé", exact=False).wait_for()
    wait_idle(page)
    said = page_text(page)
    assert "Rien n'a été publié" in said and "« faux.csv »" in said, said[:2000]
    problems = page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"] li').all_inner_texts()
    assert any("2024/2025" in p and re.search(r"\bligne 2\b", p, re.I) for p in problems), problems
    assert any(
        ("-5" in p or "−5" in p or "négative" in p) and re.search(r"\bligne 3\b", p, re.I) for p in problems
    ), problems
    assert page.get_by_role("button", name="Publier", exact=True).count() == 0
    assert _store_snapshot(repo) == before and repo.current().number == 2
    lap("fichier refusé")

    # 5. « Annuler cet import » → « Confirmer l'annulation »: version n° 3 without the lot
    page.locator(".st-key-undo_2").get_by_role("button", name="Annuler cet import").click()
    page.get_by_role("button", name="Confirmer l'annulation").click()
    page.get_by_text("Import 2 annulé : version n° 3 publiée", exact=False).wait_for()
    wait_idle(page)
    assert repo.current().number == 3
    lot = page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"]').filter(has_text="Lot 2 —")
    assert lot.inner_text().strip().endswith("· annulé"), lot.inner_text()
    assert page.locator(".st-key-undo_2").count() == 0
    values, app_text = _overview(page, app)
    assert old_text in values and new_text not in values, values
    assert "Version des données n° 3" in app_text
    lap("annulation")

    # 6. sign out: back to « Se connecter », no uploader
    open_importer(page, app)
    sign_out(page, app, provider)
    open_importer(page, app)
    page.get_by_role("button", name="Se connecter").wait_for()  # drawn after the heading: wait, never race
    assert page.get_by_role("button", name="Se connecter").count() == 1
    assert page.get_by_label(UPLOADER).count() == 0 and page.locator(ZONE).count() == 0
    lap("déconnexion")

    assert not page.errors  # type: ignore[attr-defined]
    assert_loopback_only(outside, provider)
    print(f"\nparcours d'import : {timings} (total {time.monotonic() - started:.1f} s)")


SHEETS = Path(__file__).resolve().parents[1] / "observatoire" / "fichiers"
EXCEL_CSV = [  # Excel in French: cp1252, « ; », decimal comma, a title line, a « Notes » column
    "Statistiques PIX 2024-2025 (export Excel);;;;;;;;;;",
    HEADER + ";Notes",
    "pix_taux_certification;2024-2025;academie;nancy-metz;tous;tous;tous;71,5;Résultats PIX;import;ok",
    "pix_taux_certification;2024/2025;departement;54;tous;tous;tous;70,25;Résultats PIX;import;",
    "pix_eleves_certifies;2024-2025;academie;nancy-metz;collège;tous;tous;21 450;Résultats PIX;import;",
    "pix_taux_certification;2024-2025;departement;57;tous;tous;tous;120,5;Résultats PIX;import;à revoir",
]


def test_a_french_sheet_lists_every_problem_in_one_upload(page, app, provider, repo, outside, screenshots_dir):
    """Issue 18.4: a LibreOffice Calc workbook with a title row, a « notes » column and three bad rows of
    different kinds, then an Excel-style CSV: each upload lists all its problems at once, with the row and the
    cell as the spreadsheet numbers them, and says what it skipped."""
    before = _store_snapshot(repo)
    sign_in(page, app, provider, EDITOR)
    cases = [
        (
            SHEETS / "gar-pix-2024-2025.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            [
                r"^Ligne 6, colonne « periode » \(cellule B6\) : période annuelle attendue, par exemple 2024-2025",
                r"^Ligne 8, colonne « territoire_code » \(cellule D8\) : .*vouliez-vous dire « 54-nancy »",
                r"^Ligne 10, colonne « valeur » \(cellule H10\) : nombre attendu \(valeur « non communiqué »\)",
            ],
            [
                "Ligne 1 ignorée (« Statistiques GAR et PIX 2024-2025 — DRANE Nancy-Metz »)",
                "Colonne ignorée : « notes » (J)",
            ],
        ),
        (
            None,
            "text/csv",
            [
                r"^Ligne 4, colonne « periode » \(cellule B4\) : .*vouliez-vous dire « 2024-2025 »",
                r"^Ligne 5, colonne « niveau » \(cellule E5\) : code inconnu, vouliez-vous dire « college »",
                r"^Ligne 6, colonne « valeur » \(cellule H6\) : taux hors de l'intervalle 0 à 100",
            ],
            ["Ligne 1 ignorée (« Statistiques PIX 2024-2025 (export Excel) »)", "Colonne ignorée : « Notes » (K)"],
        ),
    ]
    for path, mime, expected, notices in cases:
        open_importer(page, app)
        if path is None:
            _upload(page, "pix-2024-2025.csv", ("\r\n".join(EXCEL_CSV) + "\r\n").encode("cp1252"), mime)
        else:
            _upload(page, path.name, path.read_bytes(), mime)
        page.get_by_text("Fichier refusé : 3 problèmes", exact=False).wait_for()
        wait_idle(page)
        listed = [
            p.replace("\u00a0", " ")
            for p in page.locator(
                '[data-testid="stMain"] [data-testid="stMarkdownContainer"] li'
            ).all_inner_texts()
        ]
        assert len(listed) == 3, listed
        for pattern, problem in zip(expected, listed, strict=True):
            assert re.search(pattern, problem), (pattern, problem)
        said = page_text(page).replace("\u00a0", " ")
        for notice in notices:
            assert notice in said, said[:3000]
        assert "nommez" not in said and page.get_by_role("button", name="Publier", exact=True).count() == 0
        page.get_by_text("2. Vérification et aperçu").evaluate("e => e.scrollIntoView({block: 'start'})")
        _shoot(page, screenshots_dir, f"importer-3-problemes-{'xlsx' if path else 'csv'}-1280.png", SMALL)
    assert _store_snapshot(repo) == before  # nothing published, nothing written
    sign_out(page, app, provider)
    assert_loopback_only(outside, provider)
