"""Data versions whose measures live in Parquet files (`observatoire.parquet`, national scale).

The same rows published twice — measures in Parquet files (a view) and measures inside the DuckDB file (a
table) — must give the same answers to the app's real queries (`observatoire.queries`): on a small synthetic
national dataset (scripts/generate_national.py, ≈ 50 000 rows) and on the demo data of Nancy-Metz exported from
a version built by `Repository.init` (laboratories, overlapping indicators, thème taxonomy). A Parquet-backed
version is read-only like any other; a missing, damaged or malformed Parquet file is a French error, before
publishing and when a reader opens the version."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire import parquet, queries, store, versions
from observatoire.filters import Filters

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "data" / "reference"

_spec = importlib.util.spec_from_file_location("generate_national", ROOT / "scripts" / "generate_national.py")
generate_national = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_national)

TINY = {"academies": 2, "etablissements": 130, "years": 3}


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same rows, same order; floats equal up to summation order (parallel aggregation)."""
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False, rtol=1e-9, atol=1e-9
    )


def _results_equal(a: queries.Result, b: queries.Result) -> None:
    _frames_equal(a.data, b.data)
    assert (a.ignored, a.sources, a.illustrative, a.empty_reason, a.origins) == (
        b.ignored,
        b.sources,
        b.illustrative,
        b.empty_reason,
        b.origins,
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("national") / "jeu"
    generate_national.generate(dest, seed=7, quiet=True, memory_limit="512MB", **TINY)
    return dest


@pytest.fixture(scope="module")
def pair(dataset, tmp_path_factory) -> tuple[versions.Repository, versions.Repository]:
    base = tmp_path_factory.mktemp("stores")
    in_parquet, in_duckdb = versions.Repository(base / "parquet"), versions.Repository(base / "duckdb")
    parquet.publish(in_parquet, dataset, author="tests")
    parquet.publish(in_duckdb, dataset, storage=parquet.DUCKDB, author="tests")
    return in_parquet, in_duckdb


@pytest.fixture(scope="module")
def cons(pair):
    a, b = parquet.connect(pair[0]), parquet.connect(pair[1])
    yield a, b
    a.close()
    b.close()


# -------------------------------------------------------------------------------------------- the dataset


def test_dataset_shape_and_size(dataset):
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    con = duckdb.connect()
    files = [str(dataset / f) for f in manifest["fichiers_mesures"]]
    rows = con.execute("SELECT count(*) FROM read_parquet($f)", {"f": files}).fetchone()[0]
    assert rows == manifest["lignes"] and 40_000 <= rows <= 80_000
    etab_rows = con.execute(
        "SELECT count(*) FROM read_parquet($f) WHERE territoire_type = 'etablissement'", {"f": files}
    ).fetchone()[0]
    assert etab_rows == TINY["etablissements"] * TINY["years"] * 12 * len(generate_national.INDICATORS)
    # every établissement-level total adds up at bassin, département and académie level (additive indicators)
    sums = con.execute(
        """SELECT territoire_type, sum(valeur) FROM read_parquet($f)
           WHERE indicateur = 'nat_gar_connexions_mois' AND niveau = 'tous' GROUP BY 1""",
        {"f": files},
    ).fetchall()
    assert len({round(v, 3) for _, v in sums}) == 1 and len(sums) == 4
    # parts add up exactly to the `tous` row
    gap = con.execute(
        """SELECT max(abs(tous - parts)) FROM (
             SELECT territoire_code, periode, sum(valeur) FILTER (WHERE public <> 'tous') AS parts,
                    sum(valeur) FILTER (WHERE public = 'tous') AS tous
             FROM read_parquet($f) WHERE indicateur = 'nat_ent_visites_mois' AND territoire_type = 'bassin'
             GROUP BY ALL)""",
        {"f": files},
    ).fetchone()[0]
    assert gap == 0


def test_dataset_is_synthetic_and_cannot_be_mistaken_for_nancy_metz(dataset):
    con = duckdb.connect()
    files = [str(p) for p in (dataset / "mesures").glob("*.parquet")]
    origins = con.execute("SELECT DISTINCT origine FROM read_parquet($f)", {"f": files}).fetchall()
    assert origins == [("illustratif",)]
    sources = con.execute("SELECT DISTINCT source FROM read_parquet($f)", {"f": files}).fetchall()
    assert len(sources) == 1 and "synthétique" in sources[0][0]
    real_deps = set(pd.read_csv(REF / "communes_bassins.csv", sep=";", dtype=str)["departement"])
    real_bassins = set(pd.read_csv(REF / "bassins_sieges.csv", sep=";", dtype=str)["code"])
    for table in ("departements", "bassins", "academies", "etablissements"):
        frame = pd.read_parquet(dataset / "reference" / f"{table}.parquet")
        assert frame["nom"].str.contains("synthétique").all(), table
        assert not set(frame["code"]) & (real_deps | real_bassins | {"nancy-metz"}), table


def test_generator_is_deterministic(dataset, tmp_path):
    again = generate_national.generate(tmp_path / "jeu", seed=7, quiet=True, memory_limit="512MB", **TINY)
    con = duckdb.connect()
    for name in again["fichiers_mesures"]:
        a = con.execute(f"SELECT * FROM read_parquet('{dataset / name}')").df()
        b = con.execute(f"SELECT * FROM read_parquet('{tmp_path / 'jeu' / name}')").df()
        pd.testing.assert_frame_equal(a, b)  # same rows in the same order, exactly


# ------------------------------------------------------------------------------------ same answers, both ways


def test_versions_describe_the_same_data(cons):
    a, b = cons
    assert parquet.storage_of(a) == parquet.PARQUET and parquet.storage_of(b) == parquet.DUCKDB
    views = {r[0] for r in a.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert "mesures" in views
    va, vb = store.data_version(a), store.data_version(b)
    assert (va.empreinte, va.mesures, va.lots_actifs) == (vb.empreinte, vb.mesures, vb.lots_actifs)
    assert queries.school_years(a) == queries.school_years(b) == ["2021-2022", "2022-2023", "2023-2024"]
    assert queries.choices(a) == queries.choices(b)


FILTERS = [
    Filters(),
    Filters(departements=("S001",)),
    Filters(departements=("S001", "S003")),
    Filters(bassins=("S001-B01", "S002-B02")),
    Filters(niveaux=("college",)),
    Filters(niveaux=("college", "lycee"), departements=("S002",)),
    Filters(publics=("eleves",), periode_debut="2022-2023", periode_fin="2023-2024"),
    Filters(thematiques=("programmation_ia",)),
    Filters(thematiques=("robotique_programmation",)),  # a sub-thème: read at its main thème
]


@pytest.mark.parametrize("by", ["total", "departement", "bassin", "niveau", "public", "thematique"])
def test_series_identical(cons, by):
    a, b = cons
    compared = 0
    for indicator, *_ in generate_national.INDICATORS:
        for filters in FILTERS:
            for annual in (True, False) if by == "total" else (True,):  # months: one breakdown
                ra = queries.series(a, indicator, filters, by=by, annual=annual)
                _results_equal(ra, queries.series(b, indicator, filters, by=by, annual=annual))
                compared += not ra.empty
    assert compared >= 5  # real data compared (not only empty results), for every breakdown


def test_overview_queries_identical(cons):
    a, b = cons
    for filters in FILTERS:
        ka, kb = queries.kpis(a, filters), queries.kpis(b, filters)
        assert len(ka) == 6
        for x, y in zip(ka, kb):
            assert (x.indicateur, x.annee, x.annees, x.sources, x.origines, x.illustratif) == (
                y.indicateur,
                y.annee,
                y.annees,
                y.sources,
                y.origines,
                y.illustratif,
            )
            assert x.valeur == pytest.approx(y.valeur) and x.historique == pytest.approx(y.historique)
        for indicator in ("nat_ent_visites_mois", "nat_equipement_taux_mois"):
            va = queries.values_by_bassin(a, indicator, "2023-2024", filters)
            vb = queries.values_by_bassin(b, indicator, "2023-2024", filters)
            # a rate (mean) may tie between two bassins up to the last bit: rank the values as compared
            for res in (va, vb):
                res.data["rang"] = res.data["valeur"].round(6).rank(ascending=False, method="min").astype("Int64")
            _results_equal(va, vb)
            _results_equal(
                queries.evolution(a, indicator, filters, "departement", "2021-2022", "2023-2024"),
                queries.evolution(b, indicator, filters, "departement", "2021-2022", "2023-2024"),
            )
    _frames_equal(
        queries.bassin_profile(a, "S002-B01", "2022-2023", Filters()),
        queries.bassin_profile(b, "S002-B01", "2022-2023", Filters()),
    )
    _frames_equal(queries.measures(a, FILTERS[5]), queries.measures(b, FILTERS[5]))
    assert len(queries.measures(a, Filters())) == store.data_version(a).mesures
    assert queries.kpis(a, Filters())[0].illustratif  # every figure of the synthetic set is illustrative


def test_demo_data_moved_to_parquet_answers_the_same(tmp_path):
    """The Nancy-Metz demo version (labs, overlapping indicators, thèmes) exported and republished in Parquet."""
    internal = versions.Repository(tmp_path / "interne")
    internal.init(author="tests")
    with internal.connect() as con:
        dataset = parquet.export_dataset(con, tmp_path / "export")
    moved = versions.Repository(tmp_path / "parquet")
    parquet.publish(moved, dataset, label="Démo déplacée en Parquet")
    with internal.connect() as a, parquet.connect(moved) as b:
        assert parquet.storage_of(b) == parquet.PARQUET
        assert store.data_version(a).mesures == store.data_version(b).mesures
        filters = [
            Filters(),
            Filters(departements=("57",), niveaux=("college", "lycee")),
            Filters(thematiques=("webmedias",), departements=("54",)),
        ]
        for (indicator,) in a.execute("SELECT id FROM indicateurs ORDER BY id").fetchall():
            for f in filters[:2]:
                for by in ("bassin", "laboratoire"):
                    _results_equal(
                        queries.series(a, indicator, f, by=by, annual=True),
                        queries.series(b, indicator, f, by=by, annual=True),
                    )
        for f in filters:
            assert [k.valeur for k in queries.kpis(a, f)] == pytest.approx([k.valeur for k in queries.kpis(b, f)])
        _frames_equal(
            queries.lab_profile(a, "lab-cirey", "2023-2024"), queries.lab_profile(b, "lab-cirey", "2023-2024")
        )


# ---------------------------------------------------------------------------------- read-only, errors


def test_parquet_version_is_read_only_and_its_files_immutable(pair, cons):
    a, _ = cons
    with pytest.raises(duckdb.Error):
        a.execute("INSERT INTO mesures_locales SELECT * FROM mesures_locales")
    with pytest.raises(duckdb.Error):
        a.execute("CREATE TABLE x (i INTEGER)")
    files = parquet.files_of(a)
    assert files and all(p.is_absolute() and p.is_relative_to(pair[0].root.resolve()) for p in files)
    assert all(p.stat().st_mode & 0o222 == 0 for p in files)  # installed read-only
    assert parquet.verify(a) is None


def _copy(dataset: Path, dest: Path) -> Path:
    shutil.copytree(dataset, dest)
    return dest


def test_missing_measure_file_is_refused_in_french(dataset, tmp_path):
    broken = _copy(dataset, tmp_path / "jeu")
    (broken / "mesures" / "nat_gar_connexions_mois-agregats.parquet").unlink()
    repo = versions.Repository(tmp_path / "store")
    with pytest.raises(parquet.ParquetError, match="Fichier Parquet de mesures introuvable"):
        parquet.publish(repo, broken)
    assert repo.current() is None  # nothing published


def test_damaged_measure_file_is_refused_in_french(dataset, tmp_path):
    broken = _copy(dataset, tmp_path / "jeu")
    (broken / "mesures" / "nat_gar_connexions_mois-agregats.parquet").write_bytes(b"PAR1 pas du parquet")
    repo = versions.Repository(tmp_path / "store")
    with pytest.raises(parquet.ParquetError, match="n'est pas un fichier Parquet lisible"):
        parquet.publish(repo, broken)
    assert repo.current() is None


def test_wrong_columns_are_refused_in_french(dataset, tmp_path):
    broken = _copy(dataset, tmp_path / "jeu")
    target = broken / "mesures" / "nat_gar_connexions_mois-agregats.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * EXCLUDE (valeur), CAST(valeur AS VARCHAR) AS value
                          FROM read_parquet('{dataset / "mesures" / target.name}')) TO '{target}' (FORMAT parquet)""")
    with pytest.raises(parquet.ParquetError, match="colonnes manquantes : valeur ; colonnes inconnues : value"):
        parquet.publish(versions.Repository(tmp_path / "store"), broken)


def test_missing_manifest_is_a_french_error(tmp_path):
    with pytest.raises(parquet.ParquetError, match="Jeu de données introuvable"):
        parquet.publish(versions.Repository(tmp_path / "store"), tmp_path / "nulle-part")


def test_reader_gets_a_french_error_when_a_published_file_disappears(dataset, tmp_path):
    repo = versions.Repository(tmp_path / "store")
    parquet.publish(repo, _copy(dataset, tmp_path / "jeu"))
    with parquet.connect(repo) as con:
        victim = parquet.files_of(con)[0]
    victim.unlink()
    with pytest.raises(parquet.ParquetError, match="stockées en Parquet et ne sont pas lisibles.*introuvable"):
        parquet.connect(repo)


def _writable_copy(version: versions.Version, dest: Path) -> duckdb.DuckDBPyConnection:
    shutil.copyfile(version.path, dest)
    return duckdb.connect(str(dest))


def test_a_later_lot_overrides_parquet_rows_like_the_store_view(pair, tmp_path):
    """`parquet.ACTIVE_VIEW` (no window over the Parquet rows) follows `store.DDL`'s rule: a later active lot
    wins for its keys, a retired lot gives way; breakdowns (`disponibilites`) follow."""
    a = _writable_copy(pair[0].current(), tmp_path / "parquet.duckdb")
    b = _writable_copy(pair[1].current(), tmp_path / "interne.duckdb")
    key = "indicateur, periode, territoire_type, territoire_code, niveau, thematique, public"
    for con, table in ((a, parquet.LOCAL_TABLE), (b, "mesures")):
        con.execute("INSERT INTO lots VALUES (2, 'import', 'test', now()::TIMESTAMP, 3, 'x', TRUE)")
        con.execute(f"""INSERT INTO "{table}" SELECT 2, indicateur, periode, annee_scolaire, territoire_type,
                        territoire_code, niveau, thematique, public, valeur + 1000, 'import', 'fichier.csv'
                        FROM mesures WHERE lot_id = 1 AND territoire_type = 'bassin'
                        AND indicateur = 'nat_gar_connexions_mois' AND periode = '2023-01'""")
        con.execute(f"""INSERT INTO "{table}" VALUES (2, 'nat_equipement_taux_mois', '2023-01', '2022-2023',
                        'bassin', 'S001-B01', 'college', 'tous', 'tous', 42.0, 'import', 'fichier.csv')""")
    replaced = a.execute(f"SELECT count(*) FROM {parquet.LOCAL_TABLE}").fetchone()[0]
    assert replaced > 10
    for active in (True, False):
        for con in (a, b):
            con.execute("UPDATE lots SET actif = $a WHERE lot_id = 2", {"a": active})
        rows_a = a.execute(f"SELECT * FROM mesures_actives ORDER BY {key}").df()
        rows_b = b.execute(f"SELECT * FROM mesures_actives ORDER BY {key}").df()
        pd.testing.assert_frame_equal(rows_a, rows_b)
        assert (rows_a["origine"] == "import").sum() == (replaced if active else 0)
        avail = f"SELECT * FROM {parquet.AVAILABILITY} ORDER BY ALL"
        pd.testing.assert_frame_equal(a.execute(avail).df(), b.execute(avail).df())
        assert a.execute(
            f"SELECT count(*) FROM ({avail}) WHERE niveau = 'college' AND indicateur = 'nat_equipement_taux_mois'"
        ).fetchone()[0] == (1 if active else 0)
    a.close()
    b.close()
