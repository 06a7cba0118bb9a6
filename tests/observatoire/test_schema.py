"""Schema validation: French messages naming the file line (index + 2) and the column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from observatoire import checks, config, reading, schema

REF_DIR = config.REFERENCE_DIR

COLUMNS = schema.MEASURE_COLUMNS


def _row(**changes: str) -> dict[str, str]:
    base = {
        "indicateur": "ent_visites",
        "periode": "2023-2024",
        "territoire_type": "academie",
        "territoire_code": "nancy-metz",
        "niveau": "tous",
        "thematique": "tous",
        "public": "tous",
        "valeur": "64500000",
        "origine": "import",
        "source": "test",
    }
    base.update(changes)
    return base


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def _valid_rows() -> list[dict[str, str]]:
    return [
        _row(),
        _row(public="eleves", valeur="45200000"),
        _row(public="parents", valeur="10500000"),
        _row(
            indicateur="pix_taux_certification", territoire_type="departement", territoire_code="57", valeur="97.5"
        ),
        _row(
            indicateur="ent_visites_mois",
            periode="2023-09",
            territoire_type="bassin",
            territoire_code="57-metz",
            valeur="1000",
        ),
    ]


def _problems(frame: pd.DataFrame, validate=schema.validate) -> schema.ValidationError:
    with pytest.raises(schema.ValidationError) as info:
        if validate is schema.validate:
            validate("mesures", frame)
        else:
            validate(frame)
    return info.value


def _find(err: schema.ValidationError, line: int | None, column: str | None) -> schema.Problem:
    matches = [p for p in err.problems if p.line == line and p.column == column]
    assert matches, f"no problem at line {line}, column {column}: {err.problems}"
    return matches[0]


def test_valid_frame_passes_and_is_coerced():
    frame = _frame(_valid_rows())
    valid = schema.validate("mesures", frame)
    assert list(valid.columns) == COLUMNS
    assert pd.api.types.is_float_dtype(valid["valeur"])
    assert valid["valeur"].tolist() == [64500000.0, 45200000.0, 10500000.0, 97.5, 1000.0]
    assert len(valid) == len(frame)


def test_bad_rows_are_located_by_line_and_column():
    rows = _valid_rows()
    rows[0]["periode"] = "2023-2025"  # line 2: years not consecutive
    rows[1]["valeur"] = "abc"  # line 3
    rows[2]["territoire_type"] = "commune"  # line 4
    rows[4]["periode"] = "2024-13"  # line 6: month 13
    err = _problems(_frame(rows))
    assert len(err.problems) == 4
    consecutive = _find(err, 2, "periode")
    assert "année scolaire" in consecutive.message and consecutive.value == "2023-2025"
    number = _find(err, 3, "valeur")
    assert number.value == "abc" and "nombre" in number.message
    ttype = _find(err, 4, "territoire_type")
    assert ttype.value == "commune" and "valeurs possibles" in ttype.message
    assert "academie" in ttype.message and "laboratoire" in ttype.message
    month = _find(err, 6, "periode")
    assert month.value == "2024-13" and "format" in month.message
    text = str(err)
    assert text.startswith("4 problème(s) de données")
    assert "ligne 3, colonne « valeur » : nombre attendu (valeur « abc »)" in text
    assert "ligne 2, colonne « periode »" in text
    assert "ligne 6, colonne « periode »" in text
    assert "ligne 4, colonne « territoire_type »" in text
    assert "mesures.csv —" in text  # the file is named


def test_line_follows_the_index_not_the_position():
    frame = _frame(_valid_rows()).iloc[[3]]  # index 3 → file line 5
    frame = frame.assign(valeur="douze")
    err = _problems(frame)
    assert [(p.line, p.column) for p in err.problems] == [(5, "valeur")]


def test_empty_value_is_reported_as_missing():
    rows = _valid_rows()
    rows[2]["valeur"] = None
    err = _problems(_frame(rows))
    problem = _find(err, 4, "valeur")
    assert "manquante" in problem.message


def test_missing_column():
    frame = _frame(_valid_rows()).drop(columns=["source"])
    err = _problems(frame)
    problem = _find(err, None, "source")
    assert problem.message == "colonne manquante"
    assert "colonne « source » : colonne manquante" in str(err)


def test_extra_column():
    frame = _frame(_valid_rows()).assign(commentaire="x")
    err = _problems(frame)
    problem = _find(err, None, "commentaire")
    assert problem.message == "colonne inattendue"
    assert "colonne « commentaire » : colonne inattendue" in str(err)


def test_duplicate_key_row():
    rows = _valid_rows()
    rows.append(_row(valeur="1", source="autre source"))  # same key as line 2, at index 5 → line 7
    err = _problems(_frame(rows))
    assert [p.line for p in err.problems] == [7]
    assert "en double" in err.problems[0].message
    assert "ligne 7" in str(err)


def test_many_problems_are_summarised_in_french():
    rows = [_row(periode=f"{2000 + i}-{2000 + i + 2}") for i in range(125)]
    err = _problems(_frame(rows))
    assert err.count == 125
    assert len(err.problems) == schema.MAX_LISTED == 100  # the first 100, in file order
    assert [p.line for p in err.problems] == list(range(2, 102))
    assert "… et 25 autres problèmes" in str(err)


# ------------------------------------------------------------------------------------ reference checks


def test_unknown_codes_are_reported_by_column(reference_tables):
    rows = _valid_rows()
    rows[0]["indicateur"] = "indicateur_inconnu"  # line 2
    rows[1]["territoire_type"] = "bassin"
    rows[1]["territoire_code"] = "99-nulle-part"  # line 3
    rows[2]["niveau"] = "maternelle"  # line 4
    rows[3]["thematique"] = "cuisine"  # line 5
    rows[4]["public"] = "retraites"  # line 6
    err = _problems(_frame(rows), lambda f: checks.validate_measures(f, reference_tables))
    assert _find(err, 2, "indicateur").value == "indicateur_inconnu"
    territory = _find(err, 3, "territoire_code")
    assert territory.value == "99-nulle-part" and "bassin" in territory.message
    assert _find(err, 4, "niveau").message == "code inconnu"
    assert _find(err, 5, "thematique").value == "cuisine"
    assert _find(err, 6, "public").value == "retraites"
    assert "ligne 4, colonne « niveau » : code inconnu (valeur « maternelle »)" in str(err)


def test_academie_code_is_checked(reference_tables):
    rows = [_row(territoire_code="strasbourg")]
    err = _problems(_frame(rows), lambda f: checks.validate_measures(f, reference_tables))
    assert _find(err, 2, "territoire_code").value == "strasbourg"


def test_period_granularity_must_match_the_indicator(reference_tables):
    rows = [
        _row(periode="2024-01"),  # annual indicator with a month → line 2
        _row(indicateur="ent_visites_mois", periode="2023-2024"),  # monthly indicator with a year → line 3
        _row(indicateur="ent_visites_mois", periode="2024-01"),  # fine
    ]
    err = _problems(_frame(rows), lambda f: checks.validate_measures(f, reference_tables))
    assert sorted((p.line, p.column) for p in err.problems) == [(2, "periode"), (3, "periode")]
    assert err.problems[0].message.startswith("période annuelle attendue, par exemple 2023-2024")
    assert err.problems[1].message.startswith("période mensuelle attendue, par exemple 2023-09")


def test_valid_frame_passes_reference_checks(reference_tables):
    valid = checks.validate_measures(_frame(_valid_rows()), reference_tables)
    assert valid["valeur"].dtype == float
    assert len(valid) == 5


# ------------------------------------------------------------------------------------------ CSV reading


def test_read_measures_csv_french_number_formats(reference_tables):
    header = ";".join(COLUMNS)
    lines = [
        "ent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;1\u00a0234,5;import;test",
        "ent_visites;2023-2024;academie;nancy-metz;tous;tous;eleves;1\u202f234\u202f567;import;test",
        "ent_visites;2023-2024;academie;nancy-metz;tous;tous;parents;2 500,25;import;test",
        "ent_visites;2023-2024;academie;nancy-metz;tous;tous;enseignants;42.5;import;test",
    ]
    raw = ("\ufeff" + "\n".join([header, *lines]) + "\n").encode("utf-8")
    frame = reading.read_measures_csv(raw)
    assert list(frame.columns) == COLUMNS  # the BOM does not stick to the first column name
    valid = checks.validate_measures(frame, reference_tables)
    assert valid["valeur"].tolist() == [1234.5, 1234567.0, 2500.25, 42.5]


def test_read_measures_csv_keeps_codes_as_text(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        ";".join(COLUMNS) + "\nent_visites;2023-2024;departement;05;tous;tous;tous;;import;test\n",
        encoding="utf-8",
    )
    frame = reading.read_measures_csv(path)
    assert frame.at[0, "territoire_code"] == "05"
    assert pd.isna(frame.at[0, "valeur"])
    err = _problems(frame)
    assert _find(err, 2, "valeur").message == "valeur manquante"


def test_parse_csv_keeps_file_lines_across_blank_lines_and_quoted_fields():
    text = 'a;b;c\n1;2;3\n\n4;"5 ; cinq ""guillemets""";6\n7;8;9\n'
    frame = reading.parse_csv(text, "mesures", "x.csv")
    assert list(frame.index + 2) == [2, 4, 5]  # file lines: the blank line 3 is skipped, not renumbered
    assert frame.loc[2, "b"] == '5 ; cinq "guillemets"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a;b;c\n1;2;3;4\n", "x.csv — ligne 2 : 4 champ(s) au lieu de 3"),
        ("a;b;c\n1;2;3\n4;5\n", "x.csv — ligne 3 : 2 champ(s) au lieu de 3"),
        ('a;b;c\n1;2;3\n4;"5;6\n7;8;9\n', "x.csv — ligne 3, colonne « b », caractère 3 : guillemet ouvrant"),
        ("a;a;c\n1;2;3\n", "x.csv — ligne 1, colonne « a » : colonne en double"),
    ],
)
def test_parse_csv_structure_problems(text, expected):
    with pytest.raises(schema.ValidationError) as info:
        reading.parse_csv(text, "mesures", "x.csv")
    assert expected in str(info.value)


def test_decode_accepts_utf8_bom_and_windows_1252():
    assert reading.decode("\ufeffé;ç\n".encode(), "mesures", "x.csv") == "é;ç\n"
    assert reading.decode("é;œ;€\n".encode("cp1252"), "mesures", "x.csv") == "é;œ;€\n"
    for data, expected in [
        (b"", "fichier vide"),
        (b"  \n", "fichier vide"),
        ("a".encode("utf-16"), "UTF-16"),
        (b"a\x00b", "octet nul"),
        (b"ok\n\x81", "ligne 2, caractère 1 : octet 0x81"),
    ]:
        with pytest.raises(schema.ValidationError, match=expected):
            reading.decode(data, "mesures", "x.csv")


# --------------------------------------------------------------------- thème taxonomy, declared breakdowns


def _reference_copy(tmp_path: Path) -> Path:
    ref = tmp_path / "reference"
    shutil.copytree(REF_DIR, ref)
    return ref


def _edit_csv(path: Path, code: str, column: str, value: str, key: str = "code") -> int:
    """Set `column` of the row whose `key` is `code`; returns the file line of that row."""
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    index = frame.index[frame[key] == code][0]
    frame.at[index, column] = value
    frame.to_csv(path, sep=";", index=False, lineterminator="\n")
    return int(index) + 2


def _reference_problems(ref: Path) -> list[schema.Problem]:
    with pytest.raises(schema.ValidationError) as info:
        checks.load_reference(ref)
    return info.value.problems


def test_theme_taxonomy_is_shipped(reference_tables):
    themes = reference_tables["thematiques"].set_index("code")
    main = set(themes.index[themes["parent"].isna()]) - {"tous"}
    assert main == set(themes.index[themes["famille"] == "Thématiques des laboratoires"])
    subs = themes[themes["parent"].notna()]
    assert set(subs["famille"]) == {"Thèmes d'accompagnement", "Heures numériques"}
    assert set(subs["parent"]) <= main  # one level: every sub-thème hangs on a laboratory thème
    assert subs["justification"].notna().all()
    assert themes.at["hybridation_webmedias", "parent"] == "webmedias"
    assert themes.at["hn_ecole_protectrice", "parent"] == "bon_usage_numerique"
    assert set(reference_tables["projets"]["thematique"]) <= main


@pytest.mark.parametrize(
    ("code", "parent", "message"),
    [
        ("ent", "cuisine", "code inconnu"),
        ("ent", "tous", "« tous »"),
        ("tous", "webmedias", "« tous »"),
    ],
)
def test_theme_parent_must_be_a_known_theme(tmp_path, code, parent, message):
    ref = _reference_copy(tmp_path)
    line = _edit_csv(ref / "thematiques.csv", code, "parent", parent)
    problems = _reference_problems(ref)
    assert [(p.table, p.line, p.column) for p in problems] == [("thematiques", line, "parent")]
    assert message in problems[0].message
    assert f"thematiques.csv — ligne {line}, colonne « parent »" in str(problems[0])


def test_theme_cycle_is_reported(tmp_path):
    ref = _reference_copy(tmp_path)
    _edit_csv(ref / "thematiques.csv", "webmedias", "parent", "hybridation_webmedias")
    problems = _reference_problems(ref)
    assert len(problems) == 2 and all("circulaire" in p.message for p in problems)
    assert "webmedias → hybridation_webmedias → webmedias" in " ".join(p.message for p in problems)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("niveaux", "college|maternelle", "code inconnu"),
        ("thematiques", "webmedias|webmedias", "code en double"),
        ("publics", "tous", "code inconnu"),
        ("territoires", "departement|bassin", "académique"),
        ("territoires", "academie|commune", "type de territoire inconnu"),
        ("recouvrement", "thematique", "non détaillée"),
        ("niveaux", "", "valeur manquante"),
        ("publics", "eleves,parents", "format invalide"),
    ],
)
def test_declared_breakdowns_are_validated(tmp_path, column, value, message):
    ref = _reference_copy(tmp_path)
    line = _edit_csv(ref / "indicateurs.csv", "gar_connexions", column, value, key="id")
    problems = _reference_problems(ref)
    assert [(p.table, p.line, p.column) for p in problems] == [("indicateurs", line, column)]
    assert message in problems[0].message


def test_origine_is_a_fixed_vocabulary():
    rows = _valid_rows()
    rows[1]["origine"] = "Bilan DRANE"  # line 3
    err = _problems(_frame(rows))
    problem = _find(err, 3, "origine")
    assert "valeurs possibles" in problem.message and "illustratif" in problem.message


def test_undeclared_breakdown_is_rejected(reference_tables):
    rows = [
        _row(niveau="college"),  # line 2: ENT visits are not broken down by niveau
        _row(indicateur="gar_connexions", niveau="lycee_pro"),  # line 3: GAR lists ecole, college, lycee
        _row(indicateur="gar_connexions", territoire_type="laboratoire", territoire_code="lab-metz"),  # line 4
        _row(indicateur="gar_connexions", niveau="lycee"),  # fine
    ]
    err = _problems(_frame(rows), lambda f: checks.validate_measures(f, reference_tables))
    assert sorted((p.line, p.column) for p in err.problems) == [
        (2, "niveau"),
        (3, "niveau"),
        (4, "territoire_type"),
    ]
    assert "non déclaré pour l'indicateur « ent_visites » (catalogue des indicateurs, colonne « niveaux »)" in str(
        err
    )
