"""National scale: the app's real queries on a Parquet-backed data version of ≥ 50 M measure rows, vs pandas.

    .venv/bin/python bench/national.py                    # generate var/national/ (≈ 50 M rows) unless --reuse
    .venv/bin/python bench/national.py --reuse            # reuse the dataset already generated
    .venv/bin/python bench/national.py --rows 5000000 --dir /tmp/nat --runs 30

Steps
1. dataset: `scripts/generate_national.py` (30 académies, ≈ 480 bassins, établissements from --rows, 120 months,
   7 indicators; SYNTHETIC, origine `illustratif`), kept under --dir; --reuse skips it when a manifest exists;
2. publish: a Parquet-backed version (`observatoire.parquet.publish`) in --store (never the dashboard's var/);
3. DuckDB, in a fresh process: open the version read-only (`parquet.connect`), then the REAL functions of
   `observatoire/queries.py` — `choices`, `series` by département / bassin with filters (annual and monthly),
   `values_by_bassin`, `kpis` — first call (cold) and p50 / p95 over --runs calls (the filter values rotate);
   one ad-hoc aggregate of the établissement rows (one indicator, one school year, by département: 7 M rows
   read) shows the raw scan; VmRSS after each step and the peak (VmHWM);
4. pandas, in a fresh process: the measure files loaded in memory (categorical columns: text columns would not
   fit), load time and RSS, then the same filtered aggregates written in pandas, checked equal to DuckDB's.
No assertion: figures only; the load average is printed (other processes on the machine change the figures).
Writes artifacts/bench/national.json and national.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._server import table  # noqa: E402

OUT_DIR = ROOT / "artifacts" / "bench"
DEFAULT_DIR = ROOT / "var" / "national"
DEFAULT_STORE = ROOT / "var" / "national-store"
DEFAULT_ROWS = 50_400_000
IND = "nat_gar_connexions_mois"  # broken down by niveau
YEAR = "2023-2024"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def memory() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, MiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mib": out.get("VmRSS", 0.0), "peak_mib": out.get("VmHWM", 0.0)}


def stats(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms) + 0.5) - 1))]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ms[-1], 1),
    }


def cpu_seconds() -> float:
    """CPU time of this process, every thread (user + system): what a query costs whatever the machine's load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn, runs: int) -> tuple[float, dict[str, float]]:
    """First call (cold), then `runs` calls with the rotating argument index: wall-clock statistics and the
    median CPU time (all threads) per call, `cpu_p50_ms`."""
    start = time.perf_counter()
    fn(0)
    cold = time.perf_counter() - start
    samples, cpu = [], []
    for i in range(1, runs + 1):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        fn(i)
        samples.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - start_cpu)
    return cold, {**stats(samples), "cpu_p50_ms": round(statistics.median(cpu) * 1000, 1)}


# ------------------------------------------------------------------------------------------ DuckDB child


def child_duckdb(store_dir: Path, runs: int) -> dict:
    from observatoire import parquet, queries, versions
    from observatoire.filters import Filters
    from observatoire.rows import one_row

    out: dict = {"memoire": {"depart": memory()}, "requetes": {}}
    start = time.perf_counter()
    con = parquet.connect(versions.Repository(store_dir))
    out["ouverture_s"] = round(time.perf_counter() - start, 3)
    out["memoire"]["ouverture"] = memory()
    start = time.perf_counter()
    choices = queries.choices(con)
    out["choices_s"] = round(time.perf_counter() - start, 3)
    out["memoire"]["choices"] = memory()
    deps = list(choices.departements)
    bassins = list(choices.bassins)
    out["territoires"] = {"departements": len(deps), "bassins": len(bassins)}

    def dep_pair(i: int) -> tuple[str, ...]:
        return (deps[(2 * i) % len(deps)], deps[(2 * i + 1) % len(deps)])

    cases = {
        "series_departement_annuel": (
            "series par département, 2 départements filtrés, annuel",
            lambda i: queries.series(con, IND, Filters(departements=dep_pair(i)), by="departement", annual=True),
        ),
        "series_bassin_mensuel": (
            "series par bassin, 3 bassins filtrés, mensuel, 2 années",
            lambda i: queries.series(
                con,
                IND,
                Filters(
                    bassins=tuple(bassins[(3 * i + k) % len(bassins)] for k in range(3)),
                    periode_debut="2022-2023",
                    periode_fin=YEAR,
                ),
                by="bassin",
            ),
        ),
        "series_bassin_niveau": (
            "series par bassin, niveau collège + 1 département, annuel",
            lambda i: queries.series(
                con, IND, Filters(niveaux=("college",), departements=dep_pair(i)[:1]), by="bassin", annual=True
            ),
        ),
        "values_by_bassin": (
            "values_by_bassin, tous les bassins (≈ 480), une année",
            lambda i: queries.values_by_bassin(con, ("nat_ent_visites_mois", IND)[i % 2], YEAR, Filters()),
        ),
        "kpis": (
            "kpis (6 indicateurs, historique 10 ans), 1 département",
            lambda i: queries.kpis(con, Filters(departements=dep_pair(i)[:1])),
        ),
    }
    for key, (label, fn) in cases.items():
        cold, st = timed(fn, runs)
        out["requetes"][key] = {"libelle": label, "froid_ms": round(cold * 1000, 1), **st}
        out["memoire"][key] = memory()
    # the change proposed for queries.py: breakdowns read from the version's `disponibilites` (a few hundred
    # rows, precomputed at publish) instead of a DISTINCT over the indicator's measures (7 M rows here)
    parts = getattr(queries, "_CATALOG_PARTS", {})
    has_view = one_row(
        con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = $v", {"v": parquet.AVAILABILITY})
    )[0]
    if "FROM mesures_actives" in parts.get("avail", "") and has_view:
        original = parts["avail"]
        parts["avail"] = original.replace("FROM mesures_actives", f"FROM {parquet.AVAILABILITY}")
        try:
            for key, (label, fn) in cases.items():
                cold, st = timed(fn, runs)
                out["requetes"][key + "+disponibilites"] = {
                    "libelle": label + " [avec disponibilites]",
                    "froid_ms": round(cold * 1000, 1),
                    **st,
                }
                out["memoire"][key + "+disponibilites"] = memory()
        finally:
            parts["avail"] = original
    sql = """SELECT e.departement, sum(m.valeur) AS valeur FROM mesures_actives m
             JOIN etablissements e ON e.code = m.territoire_code
             WHERE m.indicateur = $ind AND m.territoire_type = 'etablissement' AND m.annee_scolaire = $annee
             GROUP BY 1 ORDER BY 1"""
    years = ["2019-2020", "2020-2021", "2021-2022", "2022-2023", YEAR]
    cold, st = timed(lambda i: con.execute(sql, {"ind": IND, "annee": years[i % len(years)]}).df(), runs)
    out["requetes"]["adhoc_etablissements"] = {
        "libelle": "ad hoc : lignes établissement → département, 1 indicateur, 1 année",
        "froid_ms": round(cold * 1000, 1),
        **st,
    }
    out["memoire"]["adhoc_etablissements"] = memory()
    # results for the pandas comparison
    out["controle"] = {
        "series_departement_annuel": queries.series(
            con, IND, Filters(departements=dep_pair(0)), by="departement", annual=True
        )
        .data[["periode", "groupe", "valeur"]]
        .to_dict("list"),
        "adhoc_etablissements": con.execute(sql, {"ind": IND, "annee": YEAR}).df().to_dict("list"),
        "departements": list(dep_pair(0)),
    }
    out["lignes"] = one_row(con.execute("SELECT count(*) FROM mesures"))[0]
    out["memoire"]["fin"] = memory()
    return out


# ------------------------------------------------------------------------------------------ pandas child


def child_pandas(dataset: Path, runs: int, departements: list[str]) -> dict:
    import pandas as pd
    import pyarrow.parquet as pq
    from pandas.api.types import union_categoricals

    out: dict = {"memoire": {"depart": memory()}, "requetes": {}}
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    text_columns = [
        "indicateur",
        "periode",
        "annee_scolaire",
        "territoire_type",
        "territoire_code",
        "niveau",
        "thematique",
        "public",
        "origine",
        "source",
    ]
    start = time.perf_counter()
    frames = [
        pq.read_table(dataset / name, read_dictionary=text_columns).to_pandas()
        for name in manifest["fichiers_mesures"]
    ]
    columns = {c: union_categoricals([f[c] for f in frames]) for c in text_columns}
    columns["valeur"] = pd.concat([f["valeur"] for f in frames], ignore_index=True).to_numpy()
    del frames
    data = pd.DataFrame(columns)
    del columns
    out["chargement_s"] = round(time.perf_counter() - start, 2)
    out["lignes"] = len(data)
    out["memoire"]["charge"] = memory()
    out["octets_dataframe_mib"] = round(data.memory_usage(deep=True).sum() / 2**20, 1)
    territoires = pd.read_parquet(dataset / "reference" / "territoires.parquet")
    etab = pd.read_parquet(dataset / "reference" / "etablissements.parquet")[["code", "departement"]]
    all_deps = sorted(territoires.loc[territoires["type"] == "departement", "code"])

    def dep_pair(i: int) -> list[str]:
        return [all_deps[(2 * i) % len(all_deps)], all_deps[(2 * i + 1) % len(all_deps)]] if i else departements

    def series_departement(i: int) -> pd.DataFrame:
        rows = data[
            (data["indicateur"] == IND)
            & (data["territoire_type"] == "departement")
            & data["territoire_code"].isin(dep_pair(i))
            & (data["niveau"] == "tous")
            & (data["thematique"] == "tous")
            & (data["public"] == "tous")
        ]
        return (
            rows.groupby(["annee_scolaire", "territoire_code"], observed=True)
            .agg(valeur=("valeur", "sum"), sources=("source", "unique"))
            .reset_index()
        )

    years = ["2019-2020", "2020-2021", "2021-2022", "2022-2023", YEAR]

    def adhoc(i: int) -> pd.DataFrame:
        rows = data[
            (data["indicateur"] == IND)
            & (data["territoire_type"] == "etablissement")
            & (data["annee_scolaire"] == (years[i % len(years)] if i else YEAR))
        ]
        merged = rows[["territoire_code", "valeur"]].merge(etab, left_on="territoire_code", right_on="code")
        return merged.groupby("departement", observed=True)["valeur"].sum().reset_index()

    for key, label, fn in (
        ("series_departement_annuel", "même filtre que series par département (annuel)", series_departement),
        ("adhoc_etablissements", "même agrégat ad hoc établissements → département", adhoc),
    ):
        cold, st = timed(fn, runs)
        out["requetes"][key] = {"libelle": label, "froid_ms": round(cold * 1000, 1), **st}
    first = series_departement(0)
    out["controle"] = {
        "series_departement_annuel": {
            "periode": list(first["annee_scolaire"].astype(str)),
            "groupe": list(first["territoire_code"].astype(str)),
            "valeur": [float(v) for v in first["valeur"]],
        },
        "adhoc_etablissements": {
            k: [float(v) if k == "valeur" else str(v) for v in col] for k, col in adhoc(0).to_dict("list").items()
        },
    }
    out["memoire"]["fin"] = memory()
    return out


# -------------------------------------------------------------------------------------------------- main


def _child(kind: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *args], capture_output=True, text=True, cwd=ROOT, timeout=3600
    )
    if done.returncode != 0:
        raise SystemExit(f"Échec du processus {kind} :\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same(a: dict, b: dict, key: str) -> bool:
    left = sorted(zip(*[a[key][c] for c in sorted(a[key])]))
    right = sorted(zip(*[b[key][c] for c in sorted(b[key])]))
    if len(left) != len(right):
        return False
    return all(
        all(
            (abs(x - y) <= 1e-6 * max(1.0, abs(x))) if isinstance(x, float) else str(x) == str(y)
            for x, y in zip(r1, r2)
        )
        for r1, r2 in zip(left, right)
    )


def fr(value: float, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="lignes de mesures visées (≈)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="dossier du jeu de données")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE, help="dossier des versions (remplacé)")
    parser.add_argument("--reuse", action="store_true", help="réutiliser le jeu de données existant")
    parser.add_argument("--runs", type=int, default=20, help="mesures par requête (après la première)")
    parser.add_argument("--no-pandas", action="store_true", help="ne pas mesurer pandas")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "duckdb":
            result = child_duckdb(Path(rest[0]), int(rest[1]))
        else:
            result = child_pandas(Path(rest[0]), int(rest[1]), json.loads(rest[2]))
        print(json.dumps(result, ensure_ascii=False))
        return 0

    from observatoire import parquet, versions
    from scripts import generate_national

    res: dict = {"charge_debut": load_average(), "machine": {"coeurs": os.cpu_count()}}
    manifest_path = args.dir / "manifest.json"
    if args.reuse and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        res["generation"] = {"reutilise": True, **{k: manifest[k] for k in ("lignes", "octets", "duree_s")}}
    else:
        etab = generate_national.etablissements_for_rows(args.rows)
        print(f"Génération du jeu national synthétique ({etab} établissements) dans {args.dir}…", flush=True)
        manifest = generate_national.generate(args.dir, etablissements=etab)
        res["generation"] = {
            "reutilise": False,
            **{k: manifest[k] for k in ("lignes", "octets", "duree_s")},
            "charge": load_average(),
        }
    print(f"Jeu de données : {fr(manifest['lignes'], 0)} lignes, {fr(manifest['octets'] / 2**20)} Mio", flush=True)
    if args.store.exists():
        shutil.rmtree(args.store)
    start = time.perf_counter()
    version = parquet.publish(versions.Repository(args.store), args.dir, author="bench/national.py")
    res["publication_s"] = round(time.perf_counter() - start, 2)
    res["version"] = version.id
    print(f"Version publiée ({version.id}) en {fr(res['publication_s'], 2)} s ; requêtes DuckDB…", flush=True)
    res["duckdb"] = _child("duckdb", str(args.store), str(args.runs))
    if not args.no_pandas:
        print("pandas (tout en mémoire)…", flush=True)
        res["pandas"] = _child(
            "pandas", str(args.dir), str(args.runs), json.dumps(res["duckdb"]["controle"]["departements"])
        )
        res["identiques"] = {
            k: _same(res["duckdb"]["controle"], res["pandas"]["controle"], k)
            for k in ("series_departement_annuel", "adhoc_etablissements")
        }
    res["charge_fin"] = load_average()
    text = report(res)
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "national.json").write_text(json.dumps(res, indent=2, ensure_ascii=False), encoding="utf-8")
    (OUT_DIR / "national.txt").write_text(text, encoding="utf-8")
    return 0


def report(res: dict) -> str:
    d = res["duckdb"]
    gen = res["generation"]
    out = [
        f"Échelle nationale (jeu synthétique, illustratif) — {fr(d['lignes'], 0)} lignes de mesures en Parquet "
        f"({fr(gen['octets'] / 2**20)} Mio), {d['territoires']['departements']} départements, "
        f"{d['territoires']['bassins']} bassins — {res['machine']['coeurs']} cœurs, charge (loadavg 1/5/15) "
        f"{res['charge_debut']} → {res['charge_fin']}\n",
        f"Génération : {'réutilisée' if gen['reutilise'] else fr(gen['duree_s']) + ' s'} ; publication de la "
        f"version Parquet : {fr(res['publication_s'], 2)} s ; ouverture : {fr(d['ouverture_s'] * 1000)} ms ; "
        f"choices (catalogues + années) : {fr(d['choices_s'] * 1000)} ms\n",
    ]
    rows = []
    for key, q in d["requetes"].items():
        mem = d["memoire"][key]
        goal = "" if key == "adhoc_etablissements" else ("atteint" if q["p95_ms"] <= 300 else "NON atteint")
        rows.append(
            [
                q["libelle"],
                fr(q["froid_ms"]),
                fr(q["p50_ms"]),
                fr(q["p95_ms"]),
                fr(q["max_ms"]),
                fr(q["cpu_p50_ms"]),
                fr(mem["rss_mib"], 0),
                goal,
            ]
        )
    out.append(
        table(
            f"DuckDB, requêtes réelles de observatoire/queries.py (ms ; {d['requetes']['kpis']['n']} "
            "mesures après la première)",
            ["requête", "1re", "p50", "p95", "max", "CPU p50", "RSS Mio", "p95 ≤ 300 ms"],
            rows,
        )
    )
    out.append(
        "CPU p50 : temps processeur médian par appel, tous fils (utilisateur + système) : ce que coûte la "
        "requête quelle que soit la charge ; les temps « p50 / p95 » sont des temps écoulés.\n"
    )
    out.append(
        f"Mémoire du processus DuckDB : RSS fin {fr(d['memoire']['fin']['rss_mib'], 0)} Mio, pic (VmHWM) "
        f"{fr(d['memoire']['fin']['peak_mib'], 0)} Mio (objectif ≤ 1 024 : "
        f"{'atteint' if d['memoire']['fin']['peak_mib'] <= 1024 else 'NON atteint'})\n"
    )
    if "pandas" in res:
        p = res["pandas"]
        out.append(
            f"pandas : chargement {fr(p['chargement_s'], 2)} s, DataFrame "
            f"{fr(p['octets_dataframe_mib'], 0)} Mio (colonnes catégorielles), RSS "
            f"{fr(p['memoire']['charge']['rss_mib'], 0)} Mio, pic "
            f"{fr(p['memoire']['fin']['peak_mib'], 0)} Mio\n"
        )
        rows = []
        for key, q in p["requetes"].items():
            duck = d["requetes"].get(key + "+disponibilites", d["requetes"][key])  # the best DuckDB variant
            rows.append(
                [
                    q["libelle"],
                    fr(q["p50_ms"]),
                    fr(q["p95_ms"]),
                    fr(q["cpu_p50_ms"]),
                    fr(duck["p50_ms"]),
                    fr(duck["cpu_p50_ms"]),
                    fr(q["p50_ms"] / max(duck["p50_ms"], 0.001)) + " ×",
                    "oui" if res["identiques"][key] else "NON",
                ]
            )
        out.append(
            table(
                "pandas vs DuckDB (mêmes filtres, ms ; DuckDB avec disponibilites quand mesuré)",
                [
                    "requête",
                    "pandas p50",
                    "pandas p95",
                    "pandas CPU",
                    "DuckDB p50",
                    "DuckDB CPU",
                    "pandas / DuckDB",
                    "mêmes résultats",
                ],
                rows,
            )
        )
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
