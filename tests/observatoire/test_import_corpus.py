"""Corpus of files an import must refuse: each kind of mistake gives a `schema.ValidationError` (never another
exception) whose French message names the row (header = line 1, as the spreadsheet numbers it), the column, the
value and what is expected."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import openpyxl
import pytest

from observatoire import importing, schema
from observatoire.schema import MEASURE_COLUMNS

HEADER = ";".join(MEASURE_COLUMNS)
BASE = [
    # line 2
    ["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", "1234", "import", "Bilan"],
    # line 3
    ["ent_visites", "2023-2024", "bassin", "54-nancy", "tous", "tous", "eleves", "56", "import", "Bilan"],
    # line 4
    [
        "pix_taux_certification",
        "2023-2024",
        "departement",
        "54",
        "college",
        "tous",
        "tous",
        "72,5",
        "import",
        "Bilan",
    ],
]


def _text(rows: list[list[str]] | None = None, header: str = HEADER, sep: str = ";") -> str:
    rows = BASE if rows is None else rows
    return "\n".join([header] + [sep.join(r) for r in rows]) + "\n"


def _csv(line: int | None = None, encoding: str = "utf-8", **cells: str) -> bytes:
    """The base file with cells of one line (file numbering) changed."""
    rows = [list(r) for r in BASE]
    if line is not None:
        for column, value in cells.items():
            rows[line - 2][MEASURE_COLUMNS.index(column)] = value
    return _text(rows).encode(encoding)


def _xlsx(rows: list[list], title: str = "mesures", first: tuple[str, list[list]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    sheet = wb.active
    if first:
        sheet.title = first[0]
        for row in first[1]:
            sheet.append(row)
        sheet = wb.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _xlsx_base(line: int | None = None, **cells: object) -> bytes:
    rows: list[list] = [list(MEASURE_COLUMNS)] + [list(r) for r in BASE]
    if line is not None:
        for column, value in cells.items():
            rows[line - 1][MEASURE_COLUMNS.index(column)] = value
    return _xlsx(rows)


def _xlsx_cells(**cells: str) -> bytes:
    """A valid workbook with stray cells (`A1048576="x"`) written into the sheet."""
    wb = openpyxl.load_workbook(io.BytesIO(_xlsx_base()))
    for ref, value in cells.items():
        wb.active[ref] = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@dataclass
class Case:
    id: str
    data: Callable[[], bytes]
    expected: list[str]
    name: str = "import.csv"
    patch: dict[str, int] = field(default_factory=dict)


WANT = "colonnes attendues : indicateur, periode, territoire_type"
CASES = [
    # --- the file as a whole
    Case("vide_0_octet", lambda: b"", ["import.csv : fichier vide (0 octet)"]),
    Case("vide_blancs", lambda: b"  \r\n\r\n", ["fichier vide"]),
    Case(
        "en_tete_seul", lambda: (HEADER + "\n").encode(), ["aucune mesure : le fichier ne contient que l'en-tête"]
    ),
    Case(
        "trop_gros",
        lambda: _csv(),
        ["fichier trop volumineux : 328 octets, 100 octets au plus", "découpez-le"],
        patch={"MAX_BYTES": 100},
    ),
    Case(
        "trop_de_lignes_csv",
        lambda: _csv(),
        ["trop de lignes : 3 lignes de données, 2 lignes au plus"],
        patch={"MAX_ROWS": 2},
    ),
    Case(
        "trop_de_lignes_xlsx",
        _xlsx_base,
        ["trop de lignes : 3 lignes de données, 2 lignes au plus"],
        name="m.xlsx",
        patch={"MAX_ROWS": 2},
    ),
    Case("binaire_octet_nul", lambda: b"\x00\x01\x02binaire", ["octet nul : fichier binaire"]),
    Case("image_png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, ["image", "classeur .xlsx ou un fichier .csv"]),
    Case(
        "page_html",
        lambda: b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>",
        ["page web (HTML)", "enregistrez le fichier au format .xlsx"],
        name="export.xls",
    ),
    Case("html_sans_doctype", lambda: b"\xef\xbb\xbf  <html><table></table></html>", ["page web (HTML)"]),
    Case("pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", ["document PDF"], name="bilan.pdf"),
    Case("gzip", lambda: gzip.compress(_csv()), ["archive compressée"], name="m.csv.gz"),
    Case(
        "zip_pas_classeur",
        lambda: _zip({"mesures.csv": _csv()}),
        ["archive ZIP, pas un classeur Excel"],
        name="m.zip",
    ),
    Case(
        "docx",
        lambda: _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}),
        ["document Word, pas un classeur Excel"],
        name="m.docx",
    ),
    Case(
        "xls_ole2",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        ["classeur Excel 97-2003 (.xls)", "enregistrez le fichier au format .xlsx"],
        name="m.xls",
    ),
    Case(
        "ods",
        lambda: _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
        ["(.ods)", "enregistrez le fichier au format .xlsx"],
        name="m.ods",
    ),
    Case(
        "xml_excel_2003",
        lambda: (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
        ),
        ["classeur XML Excel 2003"],
        name="m.xml",
    ),
    Case("xlsx_tronque", lambda: _xlsx_base()[:3000], ["archive ZIP illisible"], name="m.xlsx"),
    Case(
        "xlsx_renomme_binaire",
        lambda: b"\x00\x00garbage",
        ["porte l'extension .xlsx", "pas un classeur"],
        name="m.xlsx",
    ),
    Case("utf16_bom", lambda: _text().encode("utf-16"), ["encodage UTF-16 ou UTF-32 non pris en charge"]),
    Case("utf16_sans_bom", lambda: _text().encode("utf-16-le"), ["ligne 1", "octet nul", "UTF-16"]),
    Case("encodages_melanges", lambda: "é".encode() + "é".encode("cp1252") + _csv(), ["encodages mélangés"]),
    Case(
        "caractere_de_controle", lambda: _csv(2, source="Bilan\x07"), ["ligne 2", "caractère de contrôle U+0007"]
    ),
    # --- XLSX sheets and cells
    Case(
        "xlsx_mauvaise_feuille",
        lambda: _xlsx([], title="Feuil2", first=("Notes", [["Réunion", "date"], ["DRANE", 3]])),
        [
            "feuille « Notes » : ligne d'en-tête introuvable dans les 20 premières lignes non vides",
            "première ligne : « Réunion », « date »",
            "autres feuilles du classeur, sans en-tête non plus : « Feuil2 »",
        ],
        name="m.xlsx",
    ),
    Case(
        "xlsx_en_tete_seul",
        lambda: _xlsx([list(MEASURE_COLUMNS)]),
        ["aucune mesure : le fichier ne contient que l'en-tête"],
        name="m.xlsx",
    ),
    Case(
        "xlsx_que_des_dates",
        lambda: _xlsx(
            [list(MEASURE_COLUMNS), [*BASE[0][:1], __import__("datetime").date(2024, 1, 1), *BASE[0][2:]]]
        ),
        ["1 problème(s)", "ligne 2, colonne « periode » (cellule B2) : date"],
        name="m.xlsx",
    ),
    Case("xlsx_feuille_vide", lambda: _xlsx([]), ["feuille « mesures » vide"], name="m.xlsx"),
    Case(
        "xlsx_date_periode",
        lambda: _xlsx_base(3, periode=__import__("datetime").datetime(2024, 1, 1)),
        [
            "m.xlsx — ligne 3, colonne « periode » (cellule B3) : date : Excel a converti la période en date",
            "(valeur « 2024-01-01 »)",
        ],
        name="m.xlsx",
    ),
    Case(
        "xlsx_date_code",
        lambda: _xlsx_base(2, territoire_code=__import__("datetime").date(2024, 5, 4)),
        ["ligne 2, colonne « territoire_code » (cellule D2) : date : texte attendu", "2024-05-04"],
        name="m.xlsx",
    ),
    Case(
        "xlsx_booleen",
        lambda: _xlsx_base(4, niveau=True),
        [
            "ligne 4, colonne « niveau » (cellule E4) : valeur logique (VRAI/FAUX) : texte attendu (valeur « VRAI »)"
        ],
        name="m.xlsx",
    ),
    Case(
        "xlsx_texte_dans_valeur",
        lambda: _xlsx_base(2, valeur="12 abc"),
        ["ligne 2, colonne « valeur » (cellule H2) : nombre attendu (valeur « 12 abc »)"],
        name="m.xlsx",
    ),
    Case(
        "xlsx_trop_long",
        lambda: _xlsx_cells(A1048576="x"),
        ["trop de lignes : une feuille du classeur"],
        name="m.xlsx",
    ),
    Case("xlsx_trop_large", lambda: _xlsx_cells(XFD3="x"), ["feuille trop large", "colonne XFD"], name="m.xlsx"),
    # one stray cell at the far corner: calamine would allocate the whole rectangle and abort the process
    Case(
        "xlsx_cellule_au_bout_du_monde", lambda: _xlsx_cells(XFD1048576="x"), ["feuille trop large"], name="m.xlsx"
    ),
    # --- columns
    Case(
        "pas_des_mesures",
        lambda: b"nom;prenom\nDupont;Jean\n",
        ["ligne 1 : en-tête attendu à la ligne 1", "trouvé : « nom », « prenom »"],
    ),
    Case(
        "colonne_manquante",
        lambda: _text([r[:-1] for r in BASE], header=HEADER.rsplit(";", 1)[0]).encode(),
        ["ligne 1, colonne « source » : colonne manquante", WANT],
    ),
    Case(
        "colonne_en_double",
        lambda: _text([[*r, "1"] for r in BASE], header=HEADER + ";valeur").encode(),
        ["ligne 1, colonne « valeur » (cellule K1) : colonne en double dans l'en-tête (déjà en colonne H)"],
    ),
    Case(
        "colonne_en_double_casse",
        lambda: _text([[*r, "1"] for r in BASE], header=HEADER + "; Valeur").encode(),
        ["ligne 1, colonne « Valeur » (cellule K1) : colonne en double"],
    ),
    # --- CSV structure
    Case(
        "guillemet_non_ferme",
        lambda: _csv(3, source='"Bilan'),
        ["ligne 3, colonne « source »", "guillemet ouvrant jamais refermé"],
    ),
    Case(
        "nombre_de_champs",
        lambda: _text([BASE[0], BASE[1][:-1], BASE[2]]).encode(),
        ["ligne 3 : 9 champ(s) au lieu de 10 (séparateur « ; » manquant ou en trop ?"],
    ),
    Case(
        "virgule_decimale_non_citee",
        lambda: _text(
            [[c.replace(",", ".") for c in BASE[0]], [*BASE[1][:7], "1,5", *BASE[1][8:]]],
            header=",".join(MEASURE_COLUMNS),
            sep=",",
        ).encode(),
        ["ligne 3 : 11 champ(s) au lieu de 10 (séparateur « , »", "nombre à virgule décimale"],
    ),
    # --- codes, with suggestions
    Case(
        "indicateur_inconnu",
        lambda: _csv(2, indicateur="ent_visite"),
        [
            "ligne 2, colonne « indicateur » (cellule A2) : code inconnu, vouliez-vous dire « ent_visites » ? "
            "(valeur « ent_visite »)"
        ],
    ),
    Case(
        "indicateur_majuscules",
        lambda: _csv(2, indicateur="ENT_VISITES"),
        [
            "ligne 2, colonne « indicateur » (cellule A2) : format de code invalide",
            "vouliez-vous dire « ent_visites » ?",
        ],
    ),
    Case(
        "bassin_inconnu",
        lambda: _csv(3, territoire_code="54-nanci"),
        [
            "ligne 3, colonne « territoire_code » (cellule D3) : code de territoire inconnu pour le type « bassin », "
            "vouliez-vous dire « 54-nancy » ? (valeur « 54-nanci »)"
        ],
    ),
    Case(
        "code_d_un_autre_type",
        lambda: _csv(3, territoire_type="departement", territoire_code="54-nancy"),
        ["ligne 3, colonne « territoire_code »", "c'est un code de type « bassin »"],
    ),
    Case(
        "niveau_inconnu",
        lambda: _csv(4, niveau="colege"),
        ["ligne 4, colonne « niveau » (cellule E4) : code inconnu, vouliez-vous dire « college » ?"],
    ),
    Case(
        "thematique_inconnue",
        lambda: _csv(2, thematique="webmedia"),
        ["ligne 2, colonne « thematique » (cellule F2) : code inconnu, vouliez-vous dire « webmedias » ?"],
    ),
    Case(
        "public_inconnu",
        lambda: _csv(3, public="élèves"),
        ["ligne 3, colonne « public » (cellule G3) : code inconnu, vouliez-vous dire « eleves » ?"],
    ),
    Case(
        "type_de_territoire_inconnu",
        lambda: _csv(2, territoire_type="commune"),
        [
            "ligne 2, colonne « territoire_type » (cellule C2) : valeur non autorisée, valeurs possibles : [academie, departement, bassin, laboratoire]"
        ],
    ),
    Case(
        "repartition_non_declaree",
        lambda: _csv(2, niveau="college"),
        ["ligne 2, colonne « niveau » (cellule E2) : non déclaré pour l'indicateur « ent_visites »"],
    ),
    Case(
        "origine_inconnue",
        lambda: _csv(2, origine="estimé"),
        [
            "ligne 2, colonne « origine » (cellule I2) : valeur non autorisée, valeurs possibles : [bilan, deduit, illustratif, "
            "import] (valeur « estimé »)"
        ],
    ),
    # --- values
    Case(
        "effectif_negatif",
        lambda: _csv(3, valeur="-5"),
        ["ligne 3, colonne « valeur » (cellule H3) : nombre hors de l'intervalle accepté", "(valeur « -5 »)"],
    ),
    Case(
        "taux_hors_0_100",
        lambda: _csv(4, valeur="120,5"),
        ["ligne 4, colonne « valeur » (cellule H4) : taux hors de l'intervalle 0 à 100", "(valeur « 120,5 »)"],
    ),
    Case(
        "texte_dans_valeur",
        lambda: _csv(2, valeur="12 abc"),
        ["ligne 2, colonne « valeur » (cellule H2) : nombre attendu (valeur « 12 abc »)"],
    ),
    Case(
        "valeur_vide", lambda: _csv(3, valeur=""), ["ligne 3, colonne « valeur » (cellule H3) : valeur manquante"]
    ),
    Case(
        "valeur_pourcentage",
        lambda: _csv(4, valeur="72,5 %"),
        [
            "ligne 4, colonne « valeur » (cellule H4) : nombre attendu : écrivez le taux sans « % »",
            "(valeur « 72,5 % »)",
        ],
    ),
    Case("valeur_infinie", lambda: _csv(2, valeur="inf"), ["ligne 2, colonne « valeur »", "nombre fini attendu"]),
    Case(
        "virgule_et_point",
        lambda: _csv(2, valeur="1.234,5"),
        ["ligne 2, colonne « valeur » (cellule H2) : nombre attendu (valeur « 1.234,5 »)"],
    ),
    # --- periods
    Case(
        "periode_barre",
        lambda: _csv(2, periode="2024/2025"),
        [
            "ligne 2, colonne « periode » (cellule B2) : format de période invalide : « AAAA-AAAA »",
            "« AAAA-MM »",
            "(valeur « 2024/2025 »)",
        ],
    ),
    Case(
        "periode_courte",
        lambda: _csv(3, periode="24-25"),
        ["ligne 3, colonne « periode » (cellule B3) : format de période invalide", "(valeur « 24-25 »)"],
    ),
    Case(
        "annees_non_consecutives",
        lambda: _csv(2, periode="2023-2025"),
        [
            "ligne 2, colonne « periode » (cellule B2) : année scolaire invalide : deux années consécutives attendues"
        ],
    ),
    Case(
        "periode_hors_annees_valides",
        lambda: _csv(2, periode="2040-2041"),
        [
            "ligne 2, colonne « periode » (cellule B2) : période hors des années scolaires acceptées (2015-2016 à 2030-2031",
            "annees_valides",
        ],
    ),
    Case(
        "mois_pour_indicateur_annuel",
        lambda: _csv(2, periode="2024-01"),
        [
            "ligne 2, colonne « periode » (cellule B2) : période annuelle attendue, par exemple 2023-2024 : cet "
            "indicateur est annuel (année scolaire « AAAA-AAAA »), « 2024-01 » est un mois"
        ],
    ),
    # --- rows
    Case(
        "cle_en_double",
        lambda: _text([*BASE, [*BASE[0][:7], "99", "import", "Autre"]]).encode(),
        [
            "ligne 5 : mesure en double : même indicateur, période, territoire, niveau, thématique et public que "
            "la ligne 2"
        ],
    ),
    Case(
        "cle_en_double_xlsx",
        lambda: _xlsx([list(MEASURE_COLUMNS), *BASE, BASE[1]]),
        ["m.xlsx — ligne 5 : mesure en double", "que la ligne 3"],
        name="m.xlsx",
    ),
]


def _check(case: Case, monkeypatch, tables) -> schema.ValidationError:
    for attribute, value in case.patch.items():
        monkeypatch.setattr(importing, attribute, value)
    data = case.data()
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(data, case.name, tables)
    return caught.value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_in_french(case: Case, monkeypatch, reference_tables):
    err = _check(case, monkeypatch, reference_tables)
    text = str(err)
    assert text.startswith(f"{err.count} problème(s) de données"), text
    assert case.name in text  # the file is named
    for fragment in case.expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert "Traceback" not in text and "Error" not in text and "nan" not in text.lower().split(), text


def test_corpus_has_enough_kinds():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_problem_of_a_file_is_listed_in_one_run(reference_tables):
    data = _text(
        [
            [*BASE[0][:7], "12 abc", "import", "Bilan"],  # line 2
            ["ent_visite", *BASE[1][1:]],  # line 3
            [*BASE[2][:1], "2024/2025", *BASE[2][2:]],  # line 4
        ]
    ).encode()
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(data, "x.csv", reference_tables)
    assert [(p.line, p.column) for p in caught.value.problems] == [
        (2, "valeur"),
        (3, "indicateur"),
        (4, "periode"),
    ]


def test_xlsx_type_problems_come_with_the_other_problems(reference_tables):
    import datetime

    rows = [
        list(MEASURE_COLUMNS),
        [*BASE[0][:1], datetime.date(2024, 1, 1), *BASE[0][2:]],
        ["ent_visite", *BASE[1][1:]],
    ]
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(_xlsx(rows), "m.xlsx", reference_tables)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "periode"), (3, "indicateur")]


def test_utf16_codec_variants_are_refused(reference_tables):
    for codec in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE):
        with pytest.raises(schema.ValidationError, match="UTF-16 ou UTF-32"):
            importing.read_import(codec + _csv(), "x.csv", reference_tables)
