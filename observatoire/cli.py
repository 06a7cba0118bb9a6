"""Command line: `python -m observatoire init | check | export --output FILE [--format csv|xlsx]`.

Messages are in French; exit code 1 on any problem (never a traceback for expected errors).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from observatoire import config, exporting, queries, schema, store


def _init(args: argparse.Namespace) -> int:
    path = Path(args.db) if args.db else config.database_path()
    start = time.perf_counter()
    if args.if_needed:
        store.ensure(path)
        with store.connect(path) as con:
            version = store.data_version(con)
    else:
        version = store.build(path)
    elapsed = time.perf_counter() - start
    print(f"Base {'vérifiée' if args.if_needed else 'construite'} : {path}")
    print(f"{version.mesures} mesures dans {version.lots_actifs} lot(s), {version.label}, en {elapsed:.2f} s.")
    return 0


def check_all(data_dir: Path = config.DATA_DIR) -> list[str]:
    """Validate every file under data/: reference tables, then the demo measures against them."""
    problems: list[str] = []
    try:
        tables = store.load_reference(data_dir / "reference")
    except schema.ValidationError as err:
        return [str(p) for p in err.problems]
    measures_file = data_dir / "demo" / "mesures.csv"
    try:
        store.validate_measures(store.read_measures_csv(measures_file), tables)
    except schema.ValidationError as err:
        problems.extend(str(p) for p in err.problems)
    except FileNotFoundError:
        problems.append(f"fichier manquant : {measures_file}")
    problems.extend(_check_bilan_figures(data_dir / "demo" / "chiffres_bilan.csv", tables))
    problems.extend(_check_seats(data_dir / "reference" / "bassins_sieges.csv", tables))
    return problems


def _check_bilan_figures(path: Path, tables: dict) -> list[str]:
    """The bilan figures file: académie-level measures without the territory columns."""
    if not path.exists():
        return [f"fichier manquant : {path}"]
    frame = store.read_measures_csv(path)
    frame.insert(2, "territoire_type", "academie")
    frame.insert(3, "territoire_code", config.academie(path.parent.parent / "reference").code)
    try:
        store.validate_measures(frame[schema.MEASURE_COLUMNS] if set(schema.MEASURE_COLUMNS) <= set(frame)
                                else frame, tables)
    except schema.ValidationError as err:
        return [f"{path.name} — {p}" for p in err.problems]
    return []


def _check_seats(path: Path, tables: dict) -> list[str]:
    """Seats of the bassins (input of build_geodata.py) must match bassins.geojson."""
    if not path.exists():
        return [f"fichier manquant : {path}"]
    import pandas as pd

    seats = pd.read_csv(path, sep=";", dtype=str)
    bassins = tables["bassins"].set_index("code")
    problems = []
    for line, row in enumerate(seats.itertuples(index=False), start=2):
        if row.code not in bassins.index:
            problems.append(f"{path.name} — ligne {line}, colonne « code » : bassin inconnu de bassins.geojson "
                            f"(valeur « {row.code} »)")
        elif bassins.at[row.code, "siege"] != row.siege:
            problems.append(f"{path.name} — ligne {line}, colonne « siege » : différent de bassins.geojson "
                            f"(valeur « {row.siege} »)")
    return problems


def _check(args: argparse.Namespace) -> int:
    problems = check_all(Path(args.data) if args.data else config.DATA_DIR)
    if problems:
        print(f"{len(problems)} problème(s) trouvé(s) :")
        for p in problems:
            print(f"- {p}")
        return 1
    print("Toutes les données sont valides.")
    return 0


def _export(args: argparse.Namespace) -> int:
    fmt = (args.format or Path(args.output).suffix.lstrip(".") or "csv").lower()
    if fmt not in exporting.FORMATS:
        raise ValueError(f"Format inconnu : « {fmt} » (formats possibles : csv, xlsx).")
    path = store.ensure(Path(args.db) if args.db else None)
    with store.connect(path) as con:
        frame = queries.all_measures(con)
    output = exporting.export_measures(frame, Path(args.output), args.format)
    print(f"{len(frame)} mesures exportées dans {output}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m observatoire",
                                     description="Observatoire du numérique éducatif — données.")
    parser.add_argument("--db", help="chemin de la base (défaut : $OBSERVATOIRE_DB ou var/observatoire.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="construit (ou reconstruit) la base depuis data/")
    init.add_argument("--if-needed", action="store_true",
                      help="ne reconstruit pas : crée la base si elle manque, l'actualise si data/ a changé")
    init.set_defaults(func=_init)
    check = sub.add_parser("check", help="valide tous les fichiers de data/")
    check.add_argument("--data", help="dossier de données (défaut : data/)")
    check.set_defaults(func=_check)
    export = sub.add_parser("export", help="exporte toutes les mesures (colonnes canoniques)")
    export.add_argument("--output", required=True, help="fichier de sortie (.csv ou .xlsx)")
    export.add_argument("--format", help="csv ou xlsx (défaut : d'après l'extension)")
    export.set_defaults(func=_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except schema.ValidationError as err:
        print(str(err), file=sys.stderr)
        return 1
    except (store.StoreError, ValueError, OSError) as err:
        print(f"Erreur : {err}", file=sys.stderr)
        return 1
