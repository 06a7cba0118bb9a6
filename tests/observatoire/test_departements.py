"""Every French département code (issue 22): `2A`, `2B` (Corse) and `971`–`976` (outre-mer) accepted wherever a
département or a commune code is — schema and checks, URL parameters, imports, file names — and sorted in the
official order (01 < 2A < 2B < 21 … < 95 < 971)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire import checks, config, departements, exporting, importing, schema, urlvalues
from observatoire.filters import Choices, parse_params
from observatoire.views.model import Context

ROOT = Path(__file__).resolve().parents[2]
ESSAI = ROOT / "tests" / "academies" / "essai"
EVERY = ["01", "02", "19", "2A", "2B", "21", "29", "30", "54", "95", "971", "972", "973", "974", "975", "976"]


def test_every_departement_code_is_accepted():
    assert all(departements.is_departement(code) for code in EVERY)
    for bad in ["20", "00", "1", "96", "97", "970", "977", "2C", "2a", "054", " 54", "", "A2", "9A"]:
        assert not departements.is_departement(bad), bad


def test_commune_codes_and_their_departement():
    for code, dep in [
        ("54395", "54"),
        ("2A004", "2A"),
        ("2B033", "2B"),
        ("97101", "971"),
        ("97611", "976"),
        ("01001", "01"),
    ]:
        assert departements.is_commune(code), code
        assert departements.of_commune(code) == dep
    for bad in ["5439", "543950", "2C004", "20004", "97701", "00001", "2a004", "96001"]:
        assert not departements.is_commune(bad), bad


def test_official_order():
    shuffled = ["971", "21", "2B", "95", "01", "2A", "19", "976", "54"]
    assert departements.ordered(shuffled) == ["01", "19", "2A", "2B", "21", "54", "95", "971", "976"]
    assert sorted(shuffled) != departements.ordered(shuffled)  # a text sort puts 21 before 2A
    communes = ["97101", "21001", "2B033", "2A004", "19001", "95001"]
    assert sorted(communes, key=departements.commune_sort_key) == [
        "19001",
        "2A004",
        "2B033",
        "21001",
        "95001",
        "97101",
    ]


def test_sql_order_is_the_official_order():
    con = duckdb.connect()
    con.execute("CREATE TABLE d (code VARCHAR)")
    con.executemany("INSERT INTO d VALUES (?)", [[c] for c in ["971", "21", "2B", "95", "01", "2A", "19"]])
    got = [r[0] for r in con.execute(f"SELECT code FROM d ORDER BY {departements.sql_order('code')}").fetchall()]
    assert got == ["01", "19", "2A", "2B", "21", "95", "971"]


def test_normalize_what_a_person_or_a_spreadsheet_writes():
    assert departements.normalize("2a") == "2A"
    assert departements.normalize(" 2B ") == "2B"
    assert departements.normalize("1") == "01" and departements.normalize(7) == "07"
    assert departements.normalize("971") == "971"
    for bad in ["20", "0", "977", "２A", "", None, True, 1.5]:
        assert departements.normalize(bad) is None, bad


# --------------------------------------------------------------------------------------------- schema, checks


def test_schema_accepts_corsica_and_overseas_and_refuses_in_french():
    frame = pd.DataFrame({"code": ["2A", "2B", "971", "976", "06"], "nom": ["a", "b", "c", "d", "e"]})
    assert list(schema.validate("departements", frame)["code"]) == ["2A", "2B", "971", "976", "06"]
    with pytest.raises(schema.ValidationError) as err:
        schema.validate("departements", pd.DataFrame({"code": ["20", "977"], "nom": ["x", "y"]}))
    text = str(err.value)
    assert "code de département invalide : 01 à 95, 2A ou 2B (Corse), 971 à 976 (outre-mer)" in text
    assert "« 20 »" in text and "« 977 »" in text
    seats = pd.DataFrame(
        {
            "code": ["2A-ajaccio", "971-b"],
            "nom": ["A", "B"],
            "departement": ["2A", "971"],
            "siege": ["2A004", "97101"],
        }
    )
    schema.validate("bassins_sieges", seats)
    with pytest.raises(schema.ValidationError, match="code commune INSEE invalide"):
        schema.validate("bassins_sieges", seats.assign(siege=["2C004", "97101"]))


def test_academie_json_accepts_2a_and_971():
    raw = json.loads((ESSAI / "reference" / "academie.json").read_text(encoding="utf-8"))
    assert not checks.academie_problems(raw)
    raw["departements"].append({"code": "971", "nom": "Guadeloupe"})
    assert not checks.academie_problems(raw)
    raw["departements"].append({"code": "20", "nom": "Corse (ancien code)"})
    problems = checks.academie_problems(raw)
    assert problems.count == 1
    assert "departements[5].code" in str(problems.listed[0]) and "2A ou 2B" in str(problems.listed[0])


def test_check_refuses_a_commune_outside_its_departement(tmp_path):
    data = tmp_path / "essai"
    shutil.copytree(ESSAI, data)
    labs = data / "reference" / "laboratoires.csv"
    labs.write_text(labs.read_text(encoding="utf-8").replace(";2A004;2A;", ";2B004;2A;"), encoding="utf-8")
    bassins = data / "reference" / "bassins.geojson"
    bassins.write_text(
        bassins.read_text(encoding="utf-8").replace('"siege":"2A247"', '"siege":"2B247"'), encoding="utf-8"
    )
    problems = [str(p) for p in checks.check_data(data).listed]
    assert any(
        "laboratoires.csv" in p and "département différent de celui du code commune (2B004 est en 2B)" in p
        for p in problems
    ), problems
    assert any("bassins.geojson" in p and "de la commune siège (2B247 est en 2B)" in p for p in problems), problems


# ------------------------------------------------------------------------------------------------ URL, import


def _choices() -> Choices:
    return Choices(
        departements=("06", "2A", "2B", "971"),
        bassins={"2A-ajaccio": "2A", "971-b": "971"},
        thematiques=(),
        niveaux=(),
        publics=(),
        annees=("2023-2024",),
    )


def test_url_parameters_read_every_code():
    filters, notices = parse_params({"dep": "2a,971, 6"}, _choices())
    assert filters.departements == ("2A", "971", "06") and notices == []
    filters, notices = parse_params({"dep": "2A", "bassin": "2A-ajaccio,971-b"}, _choices())
    assert filters.bassins == ("2A-ajaccio",) and len(notices) == 1 and "971-b" in notices[0]
    filters, notices = parse_params({"dep": "20,977"}, _choices())
    assert filters.departements == () and len(notices) == 2
    assert urlvalues.departement("2b", {"2B"}) == "2B"
    assert urlvalues.departement("2b", {"2A"}) is None
    assert urlvalues.departement("2" * 5000, {"2A"}) is None


@pytest.fixture(scope="module")
def essai_reference() -> checks.Reference:
    return checks.read_reference(ESSAI / "reference")


def test_an_import_reads_corsica_codes_and_lost_leading_zeros(essai_reference):
    csv = (
        "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source\n"
        "ent_visites;2023-2024;departement;2a;tous;tous;tous;1000;rectorat\n"
        "ent_visites;2023-2024;departement;6;tous;tous;tous;2000;rectorat\n"
        "ent_visites;2023-2024;departement;2B;tous;tous;tous;3000;rectorat\n"
        "ent_visites;2023-2024;bassin;2A-ajaccio;tous;tous;tous;400;rectorat\n"
    )
    result = importing.read_import(
        csv.encode(), "corse.csv", essai_reference.tables, essai_reference.academie, bilan=pd.DataFrame()
    )
    assert list(result.frame["territoire_code"]) == ["2A", "06", "2B", "2A-ajaccio"]
    notice = next(n for n in result.notices if n.startswith("Codes de département complétés"))
    assert "« 2a » lu « 2A »" in notice and "« 6 » lu « 06 »" in notice


def test_an_import_refuses_a_departement_of_another_academie(essai_reference):
    csv = (
        "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source\n"
        "ent_visites;2023-2024;departement;54;tous;tous;tous;1000;rectorat\n"
    )
    with pytest.raises(schema.ValidationError, match="code de territoire inconnu pour le type « departement »"):
        importing.read_import(
            csv.encode(), "autre.csv", essai_reference.tables, essai_reference.academie, bilan=pd.DataFrame()
        )


def test_the_import_template_lists_departements_in_the_official_order(essai_reference):
    rows = importing._code_rows(essai_reference.tables, essai_reference.academie)  # the « codes » sheet
    assert [row[1] for row in rows if row[3] == "type : departement"] == ["06", "2A", "2B"]


def test_file_names_of_corsica_and_overseas_filters():
    context = Context(
        academie="Académie d'essai",
        filters=("Département : 2A — Corse-du-Sud, 971 — Guadeloupe",),
        school_year="2023-2024",
        version=1,
        version_date="05/12/2026",
    )
    name = exporting.export_file_name("Visites de l'ENT", context, "csv")
    assert name == "Visites de l'ENT — Corse-du-Sud, Guadeloupe.csv"


def test_the_shipped_academie_is_unchanged_by_the_new_rules():
    assert list(config.academie().departements) == ["54", "55", "57", "88"]
