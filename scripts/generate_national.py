"""Generate a SYNTHETIC national-shape dataset written as Parquet (deterministic, seeded).

    .venv/bin/python scripts/generate_national.py                      # 30 académies, 60 000 établissements,
                                                                       # 10 years × 12 months × 7 indicators
    .venv/bin/python scripts/generate_national.py --dir /tmp/nat --etablissements 200 --annees 3 --academies 3

What it is for: measuring the query layer at national scale (`bench/national.py`) and testing the Parquet-backed
data versions (`observatoire/parquet.py`). It is NOT data: every territory is invented and named so that it can
never be mistaken for the real Nancy-Metz reference data (`Académie synthétique 07`, département `S021`, bassin
`S021-B03`, établissement `SE004512`), every measure has `origine = illustratif` and a `source` that says
« jeu national synthétique ».

Shape (defaults): 30 académies; 2–5 départements each (≈ 100); 12–20 bassins each (≈ 480); ≈ 60 000
établissements spread unevenly over the bassins; 120 months (school years 2014-2015 to 2023-2024); 7 monthly
indicators (`nat_…`). Measure rows:
- établissement rows (`territoire_type = etablissement`, niveau/thématique/public `tous`): établissements ×
  months × indicators = 50 400 000 with the defaults;
- bassin, département and académie rows: the `tous` row (sum of the établissements; mean for the rate) and one
  row per part of the dimension the indicator declares (parts add up exactly to the `tous` row).

Layout of `--dir` (default `var/national/`)::

    manifest.json                          parameters, seed, row counts, files
    mesures/<indicateur>-agregats.parquet  bassin/département/académie rows, sorted (territoire_type, code, …)
    mesures/<indicateur>-etablissements.parquet   établissement rows, sorted (code, periode)
    reference/<table>.parquet              indicateurs, thematiques, niveaux, publics, departements, bassins,
                                           territoires, communes_bassins, laboratoires, projets (empty: no
                                           laboratory in the synthetic set), academies, etablissements

Measure files have the columns of the store's `mesures` table without `lot_id` (see `observatoire/store.py`),
compressed with zstd. Values come from integer hashing (no random generator state): the same parameters give
the same files, bit for bit, on any machine with the same DuckDB version.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DIR = ROOT / "var" / "national"
GENERATOR_VERSION = "1"
SOURCE = "Jeu national synthétique (illustratif, scripts/generate_national.py)"
ORIGIN = "illustratif"
FIRST_YEAR = 2014
MEASURE_COLUMNS = [
    "indicateur",
    "periode",
    "annee_scolaire",
    "territoire_type",
    "territoire_code",
    "niveau",
    "thematique",
    "public",
    "valeur",
    "origine",
    "source",
]
"""The store's `mesures` columns without `lot_id`, in its order."""

# id, libellé, unité, agrégation, dimension détaillée, parts, base monthly value per établissement, kpi
INDICATORS = [
    (
        "nat_ent_visites_mois",
        "Visites mensuelles de l'ENT (synthétique)",
        "visites",
        "somme",
        "public",
        ("eleves", "parents", "enseignants"),
        2500.0,
        1,
    ),
    (
        "nat_ressources_consultations_mois",
        "Ressources numériques consultées (synthétique)",
        "consultations",
        "somme",
        "niveau",
        ("ecole", "college", "lycee"),
        900.0,
        2,
    ),
    (
        "nat_gar_connexions_mois",
        "Connexions au GAR (synthétique)",
        "connexions",
        "somme",
        "niveau",
        ("college", "lycee", "lycee_pro"),
        1200.0,
        3,
    ),
    (
        "nat_visio_minutes_mois",
        "Minutes de classe virtuelle (synthétique)",
        "minutes",
        "somme",
        "public",
        ("eleves", "enseignants"),
        4000.0,
        4,
    ),
    (
        "nat_formations_heures_mois",
        "Heures de formation au numérique (synthétique)",
        "heures",
        "somme",
        "thematique",
        ("savoirs_fondamentaux", "programmation_ia", "bon_usage_numerique"),
        6.0,
        5,
    ),
    ("nat_equipement_taux_mois", "Taux d'équipement numérique (synthétique)", "%", "moyenne", None, (), 60.0, 6),
    ("nat_tickets_assistance_mois", "Tickets d'assistance (synthétique)", "tickets", "somme", None, (), 3.0, None),
]
SEASON = [1.0, 1.05, 0.85, 1.0, 0.9, 1.0, 0.95, 1.0, 0.9, 0.8, 0.25, 0.1]  # September … August
NIVEAUX = [
    ("ecole", "École", 1),
    ("college", "Collège", 2),
    ("lycee", "Lycée", 3),
    ("lycee_pro", "Lycée professionnel", 4),
    ("tous", "Tous niveaux", 9),
]
PUBLICS = [
    ("eleves", "Élèves", 1),
    ("enseignants", "Enseignants et personnels", 2),
    ("parents", "Parents", 3),
    ("tous", "Tous publics", 9),
]
THEMATIQUES = [
    ("savoirs_fondamentaux", "Savoirs fondamentaux", "Thématiques des laboratoires", None, None),
    ("programmation_ia", "Programmation et intelligence artificielle", "Thématiques des laboratoires", None, None),
    ("bon_usage_numerique", "Bon usage du numérique", "Thématiques des laboratoires", None, None),
    (
        "robotique_programmation",
        "Robotique et programmation",
        "Thèmes d'accompagnement",
        "programmation_ia",
        "Sous-thème synthétique de « Programmation et intelligence artificielle ».",
    ),
    ("tous", "Toutes thématiques", "Toutes", None, None),
]
EMPTY_TABLES = {
    "communes_bassins": "code_commune VARCHAR, nom_commune VARCHAR, departement VARCHAR, bassin VARCHAR, "
    "population BIGINT, methode VARCHAR",
    "laboratoires": "code VARCHAR, nom VARCHAR, commune VARCHAR, code_commune VARCHAR, departement VARCHAR, "
    "bassin VARCHAR, latitude DOUBLE, longitude DOUBLE, structure VARCHAR, territoire VARCHAR, "
    "thematiques VARCHAR, niveaux VARCHAR, ouverture BIGINT, source VARCHAR",
    "projets": "thematique VARCHAR, intitule VARCHAR, lieu VARCHAR, laboratoire VARCHAR, projet VARCHAR, "
    "source VARCHAR",
}


def _unit(values: np.ndarray, salt: int) -> np.ndarray:
    """A deterministic number in [0, 1) per integer (multiplicative hashing, no generator state)."""
    x = (values.astype(np.uint64) * np.uint64(2654435761) + np.uint64(salt * 40503 + 12345)) % np.uint64(2**32)
    return x.astype(np.float64) / 2.0**32


def reference_frames(academies: int, etablissements: int, seed: int) -> dict[str, pd.DataFrame]:
    """The synthetic territories and catalogues (small: pandas)."""
    acad_rows: list[tuple[str, str]] = []
    dep_rows: list[tuple[str, str, str]] = []
    bassin_rows: list[tuple[str, str, str]] = []
    for a in range(1, academies + 1):
        acad = f"syn-a{a:02d}"
        acad_rows.append((acad, f"Académie synthétique {a:02d}"))
        n_deps = 2 + (a * 7 + seed) % 4
        n_bassins = 12 + (a * 5 + seed) % 9
        deps = []
        for _ in range(n_deps):
            code = f"S{len(dep_rows) + 1:03d}"
            deps.append(code)
            dep_rows.append((code, f"Département synthétique {code[1:]}", acad))
        for b in range(n_bassins):
            dep = deps[b % n_deps]
            number = sum(1 for row in bassin_rows if row[2] == dep) + 1
            bassin_rows.append((f"{dep}-B{number:02d}", f"Bassin synthétique {dep} n° {number}", dep))
    academies_f = pd.DataFrame(acad_rows, columns=["code", "nom"])
    departements = pd.DataFrame(dep_rows, columns=["code", "nom", "academie"])
    bassins = pd.DataFrame(bassin_rows, columns=["code", "nom", "departement"])
    bassins["siege"] = "S0000"
    weights = 0.3 + _unit(np.arange(len(bassins)), seed + 1) ** 2 * 2.0  # uneven bassin sizes
    population = np.round(weights / weights.sum() * 12_000_000).astype(np.int64)
    bassins["population"] = population
    # établissements: unevenly spread, every bassin gets at least one when there are enough
    idx = np.arange(etablissements)
    cumulative = np.cumsum(weights) / weights.sum()
    bassin_idx = np.searchsorted(cumulative, _unit(idx, seed + 2), side="right").clip(0, len(bassins) - 1)
    if etablissements >= len(bassins):
        bassin_idx[: len(bassins)] = np.arange(len(bassins))
    kinds = np.array(["école", "collège", "lycée", "lycée professionnel"])
    etab = pd.DataFrame(
        {
            "code": [f"SE{i + 1:06d}" for i in idx],
            "nom": [f"Établissement synthétique {i + 1:06d}" for i in idx],
            "type": kinds[(_unit(idx, seed + 3) * 4).astype(int).clip(0, 3)],
            "bassin": bassins["code"].to_numpy()[bassin_idx],
        }
    )
    etab["departement"] = etab["bassin"].str.split("-").str[0]
    etab = etab.merge(
        departements[["code", "academie"]].rename(columns={"code": "departement"}), on="departement", how="left"
    )
    etab["taille"] = np.round(0.2 + _unit(idx, seed + 4) ** 2 * 3.0, 4)  # size factor of the établissement
    territoires = pd.concat(
        [
            pd.DataFrame(
                {
                    "type": "academie",
                    "code": academies_f["code"],
                    "nom": academies_f["nom"],
                    "departement": None,
                    "bassin": None,
                }
            ),
            pd.DataFrame(
                {
                    "type": "departement",
                    "code": departements["code"],
                    "nom": departements["nom"],
                    "departement": departements["code"],
                    "bassin": None,
                }
            ),
            pd.DataFrame(
                {
                    "type": "bassin",
                    "code": bassins["code"],
                    "nom": bassins["nom"],
                    "departement": bassins["departement"],
                    "bassin": bassins["code"],
                }
            ),
            pd.DataFrame(
                {
                    "type": "etablissement",
                    "code": etab["code"],
                    "nom": etab["nom"],
                    "departement": etab["departement"],
                    "bassin": etab["bassin"],
                }
            ),
        ],
        ignore_index=True,
    ).astype(object)
    indicateurs = pd.DataFrame(
        [
            {
                "id": ind,
                "libelle": label,
                "unite": unit,
                "definition": f"{label} : indicateur inventé pour mesurer l'application à l'échelle nationale.",
                "source": SOURCE,
                "agregation": agg,
                "granularite": "mensuelle",
                "domaine": "National (synthétique)",
                "kpi": kpi,
                "territoires": "academie|departement|bassin|etablissement",
                "niveaux": "|".join(parts) if dim == "niveau" else "non",
                "thematiques": "|".join(parts) if dim == "thematique" else "non",
                "publics": "|".join(parts) if dim == "public" else "non",
                "recouvrement": "non",
            }
            for ind, label, unit, agg, dim, parts, _base, kpi in INDICATORS
        ]
    )
    indicateurs["kpi"] = indicateurs["kpi"].astype("Int64")
    return {
        "indicateurs": indicateurs,
        "thematiques": pd.DataFrame(
            THEMATIQUES, columns=["code", "libelle", "famille", "parent", "justification"]
        ),
        "niveaux": pd.DataFrame(NIVEAUX, columns=["code", "libelle", "ordre"]),
        "publics": pd.DataFrame(PUBLICS, columns=["code", "libelle", "ordre"]),
        "departements": departements,
        "bassins": bassins,
        "territoires": territoires,
        "academies": academies_f,
        "etablissements": etab.drop(columns="taille"),
        "_etab_sizes": etab[["code", "bassin", "departement", "academie", "taille"]],
    }


def _months(years: int) -> pd.DataFrame:
    first = FIRST_YEAR + 10 - years  # the decade ends with 2023-2024 whatever the number of years
    m = np.arange(years * 12)
    start = first + m // 12
    month = (m + 8) % 12 + 1
    year = start + (month < 9)
    return pd.DataFrame(
        {
            "m": m,
            "periode": [f"{y:04d}-{mm:02d}" for y, mm in zip(year, month)],
            "annee_scolaire": [f"{s}-{s + 1}" for s in start],
            "saison": [SEASON[i % 12] for i in m],
            "annee_idx": m // 12,
        }
    )


def _aggregate_rows(con: duckdb.DuckDBPyConnection, k: int, seed: int) -> pd.DataFrame:
    """Bassin / département / académie rows of indicator `k` from the établissement values (table `v`)."""
    ind, _label, _unit_, agg, dim, parts, _base, _kpi = INDICATORS[k]
    fn = "avg" if agg == "moyenne" else "sum"
    frames = []
    for level in ("bassin", "departement", "academie"):
        totals = con.execute(
            f"""SELECT e.{level} AS territoire_code, v.m, {fn}(v.valeur) AS valeur
                FROM v JOIN etab e ON e.e = v.e GROUP BY ALL ORDER BY 1, 2"""
        ).df()
        totals["territoire_type"] = level
        frames.append(totals)
    tous = pd.concat(frames, ignore_index=True)
    if agg == "moyenne":
        tous["valeur"] = tous["valeur"].round(1)
    for column in ("niveau", "thematique", "public"):
        tous[column] = "tous"
    out = [tous]
    if dim:
        codes = tous["territoire_code"].astype("category").cat.codes.to_numpy()
        weights = np.stack([0.5 + _unit(codes * 7 + p, seed + 10 + k) for p in range(len(parts))], axis=1)
        shares = weights / weights.sum(axis=1, keepdims=True)
        done = np.zeros(len(tous))
        for p, part in enumerate(parts):
            if p < len(parts) - 1:
                values = np.round(tous["valeur"].to_numpy() * shares[:, p])
                done += values
            else:
                values = tous["valeur"].to_numpy() - done  # the parts add up exactly
            rows = tous.copy()
            rows[dim] = part
            rows["valeur"] = values
            out.append(rows)
    frame = pd.concat(out, ignore_index=True)
    frame["indicateur"] = ind
    return frame


def generate(
    dest: Path = DEFAULT_DIR,
    academies: int = 30,
    etablissements: int = 60_000,
    years: int = 10,
    seed: int = 2024,
    memory_limit: str = "2GB",
    quiet: bool = False,
) -> dict:
    """Write the dataset under `dest` (replaced); returns the manifest."""
    started = time.perf_counter()
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "mesures").mkdir(parents=True)
    (dest / "reference").mkdir()
    frames = reference_frames(academies, etablissements, seed)
    months = _months(years)
    n_months = len(months)
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(dest / ".tmp")})
    try:
        for name, frame in frames.items():
            if name.startswith("_"):
                continue
            con.register("frame", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
        for name, columns in EMPTY_TABLES.items():
            con.execute(f'CREATE TABLE "{name}" ({columns})')
        for name in [n for n in frames if not n.startswith("_")] + list(EMPTY_TABLES):
            con.execute(f"""COPY "{name}" TO '{dest / "reference" / (name + ".parquet")}'
                            (FORMAT parquet, COMPRESSION zstd)""")
        sizes = frames["_etab_sizes"].reset_index(drop=True)
        sizes.insert(0, "e", np.arange(len(sizes), dtype=np.int64))
        con.register("sizes", sizes)
        con.execute("CREATE TABLE etab AS SELECT * FROM sizes")
        con.register("months_frame", months)
        con.execute("CREATE TABLE months AS SELECT * FROM months_frame")
        files, counts = [], {}
        for k, (ind, _label, _u, agg, _dim, _parts, base, _kpi) in enumerate(INDICATORS):
            # établissement values: size × season × yearly trend × noise, all from integer hashing
            noise = f"(((v_i * 2654435761 + {(seed + k) * 40503 + 977}) % 4294967296)::DOUBLE / 4294967296.0)"
            if agg == "moyenne":
                value = (
                    f"round(least(100.0, {base} * (0.7 + 0.1 * e.taille) + 3.0 * mo.annee_idx "
                    f"+ 10.0 * {noise}), 1)"
                )
            else:
                value = f"round({base} * e.taille * mo.saison * (1 + 0.06 * mo.annee_idx) * (0.7 + 0.6 * {noise}))"
            con.execute(f"""
                CREATE OR REPLACE TABLE v AS
                SELECT e.e, mo.m, {value}::DOUBLE AS valeur
                FROM (SELECT i AS v_i, i // {n_months} AS e_i, i % {n_months} AS m_i
                      FROM range({len(sizes) * n_months}) r(i)) g
                JOIN etab e ON e.e = g.e_i JOIN months mo ON mo.m = g.m_i""")
            aggregates = _aggregate_rows(con, k, seed)
            aggregates = aggregates.merge(months[["m", "periode", "annee_scolaire"]], on="m")
            aggregates["origine"], aggregates["source"] = ORIGIN, SOURCE
            con.register("agg_frame", aggregates[MEASURE_COLUMNS])
            agg_file = dest / "mesures" / f"{ind}-agregats.parquet"
            con.execute(f"""COPY (SELECT * FROM agg_frame ORDER BY territoire_type, territoire_code, periode,
                                  niveau, thematique, public)
                            TO '{agg_file}' (FORMAT parquet, COMPRESSION zstd)""")
            con.unregister("agg_frame")
            etab_file = dest / "mesures" / f"{ind}-etablissements.parquet"
            con.execute(f"""COPY (SELECT '{ind}' AS indicateur, mo.periode, mo.annee_scolaire,
                                         'etablissement' AS territoire_type, e.code AS territoire_code,
                                         'tous' AS niveau, 'tous' AS thematique, 'tous' AS public, v.valeur,
                                         '{ORIGIN}' AS origine, '{SOURCE}' AS source
                                  FROM v JOIN etab e USING (e) JOIN months mo USING (m)
                                  ORDER BY e.code, mo.periode)
                            TO '{etab_file}' (FORMAT parquet, COMPRESSION zstd)""")
            counts[agg_file.name] = len(aggregates)
            counts[etab_file.name] = len(sizes) * n_months
            files += [agg_file.name, etab_file.name]
            if not quiet:
                print(
                    f"  {ind} : {len(sizes) * n_months + len(aggregates):,} lignes "
                    f"({time.perf_counter() - started:.0f} s)".replace(",", "\u202f"),
                    flush=True,
                )
    finally:
        con.close()
        shutil.rmtree(dest / ".tmp", ignore_errors=True)
    manifest = {
        "generateur": f"scripts/generate_national.py v{GENERATOR_VERSION}",
        "parametres": {"academies": academies, "etablissements": etablissements, "annees": years, "seed": seed},
        "origine": ORIGIN,
        "source": SOURCE,
        "lignes": int(sum(counts.values())),
        "lignes_par_fichier": counts,
        "fichiers_mesures": [f"mesures/{name}" for name in files],
        "duree_s": round(time.perf_counter() - started, 1),
        "octets": int(sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())),
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest


def etablissements_for_rows(rows: int, years: int = 10) -> int:
    """How many établissements give about `rows` measure rows (établissement rows dominate)."""
    return max(1, -(-rows // (years * 12 * len(INDICATORS))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Jeu de données national synthétique (Parquet).")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="dossier de sortie (remplacé)")
    parser.add_argument("--academies", type=int, default=30)
    parser.add_argument(
        "--etablissements",
        type=int,
        default=None,
        help="nombre d'établissements (défaut : 60 000, ou déduit de --rows)",
    )
    parser.add_argument("--rows", type=int, default=None, help="nombre approximatif de lignes de mesures")
    parser.add_argument("--annees", type=int, default=10, help="années scolaires (mois × 12), au plus 10")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    if not 1 <= args.annees <= 10 or args.academies < 1:
        parser.error("--annees doit être entre 1 et 10 et --academies au moins 1")
    etab = args.etablissements or (etablissements_for_rows(args.rows, args.annees) if args.rows else 60_000)
    print(
        f"Génération dans {args.dir} : {args.academies} académies, {etab} établissements, {args.annees} années",
        flush=True,
    )
    manifest = generate(args.dir, args.academies, etab, args.annees, args.seed)
    print(
        f"{manifest['lignes']:,} lignes de mesures, {manifest['octets'] / 2**20:,.0f} Mio, "
        f"{manifest['duree_s']} s".replace(",", "\u202f")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
