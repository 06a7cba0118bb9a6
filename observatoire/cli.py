"""Command line: `python -m observatoire init | check | export --output FILE [--format csv|xlsx]`.

Messages are in French. Exit codes: 0 done; 1 expected problem (data refused, database busy, bad argument),
explained in French; 2 unexpected error: « erreur inattendue » and the path of a log file holding the
traceback (never a traceback on the terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from observatoire import checks, config, exporting, queries, schema, store

LOG_DIR_ENV_VAR = "OBSERVATOIRE_LOG_DIR"
"""Folder of the logs of unexpected errors (default: var/log/, or the temporary folder if not writable)."""


# argparse's own texts (usage, help headings, errors), in French: argparse looks up `_` at call time.
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "affiche cette aide et quitte",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "expected one argument": "une valeur attendue",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (choix possibles : "
                                                           "%(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur invalide : %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s (%(matches)s)",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
}


def _french(text: str) -> str:
    return _ARGPARSE_FR.get(text, text)


def _seconds(value: float) -> str:
    """`0.284` → `0,28 s` (French decimal comma)."""
    return f"{value:.2f}".replace(".", ",") + "\u00a0s"


def _report(problems: schema.Problems, data_dir: Path, out: object = None) -> None:
    out = out or sys.stdout
    print(f"{problems.count} problème(s) trouvé(s) dans {data_dir} :", file=out)
    for p in problems.listed:
        print(f"- {p}", file=out)
    rest = problems.count - len(problems.listed)
    if rest > 0:
        print(f"… et {rest} autres problèmes", file=out)


def _init(args: argparse.Namespace) -> int:
    path = Path(args.db) if args.db else config.database_path()
    data_dir = Path(args.data) if args.data else config.DATA_DIR
    measures_file, reference_dir = data_dir / "demo" / "mesures.csv", data_dir / "reference"
    start = time.perf_counter()
    # the same checks as `check` (bilan figures included) before anything is written
    problems = checks.check_data(data_dir)
    if problems:
        print("Données refusées, la base n'a pas été modifiée.", file=sys.stderr)
        _report(problems, data_dir, sys.stderr)
        return 1
    if args.if_needed:
        action = store.refresh(path, measures_file, reference_dir)
        with store.connect(path) as con:
            version = store.data_version(con)
        label = {store.BUILT: "construite", store.REFRESHED: "actualisée", store.CURRENT: "vérifiée (à jour)"}
        verb = label[action]
    else:
        version = store.build(path, measures_file, reference_dir)
        verb = "construite"
    elapsed = time.perf_counter() - start
    print(f"Base {verb} : {path}")
    print(f"{version.mesures} mesures dans {version.lots_actifs} lot(s), {version.label}, en {_seconds(elapsed)}.")
    return 0


def check_all(data_dir: Path = config.DATA_DIR) -> list[str]:
    """Validate every file under data/: the first problems (at most `schema.MAX_LISTED`), as text, followed by
    « … et N autres problèmes » when there are more."""
    problems = checks.check_data(data_dir)
    lines = [str(p) for p in problems.listed]
    if problems.count > len(problems.listed):
        lines.append(f"… et {problems.count - len(problems.listed)} autres problèmes")
    return lines


def _check(args: argparse.Namespace) -> int:
    data_dir = Path(args.data) if args.data else config.DATA_DIR
    start = time.perf_counter()
    problems = checks.check_data(data_dir)
    if problems:
        _report(problems, data_dir)
        return 1
    print(f"Toutes les données sont valides ({data_dir}, vérifiées en {_seconds(time.perf_counter() - start)}).")
    return 0


class CommandError(Exception):
    """An expected problem with the command's arguments or files, explained in French (exit code 1)."""


def _export(args: argparse.Namespace) -> int:
    fmt = (args.format or Path(args.output).suffix.lstrip(".") or "csv").lower()
    if fmt not in exporting.FORMATS:
        raise CommandError(f"Format inconnu : « {fmt} » (formats possibles : csv, xlsx).")
    path = store.ensure(Path(args.db) if args.db else None)
    with store.connect(path) as con:
        frame = queries.all_measures(con)
    try:
        output = exporting.export_measures(frame, Path(args.output), args.format)
    except OSError as err:
        raise CommandError(f"Écriture impossible de {args.output} : {err.strerror or err}") from err
    print(f"{len(frame)} mesures exportées dans {output}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    argparse._ = _french  # type: ignore[attr-defined]  # argparse's messages in French (looked up at call time)
    parser = argparse.ArgumentParser(prog="python -m observatoire",
                                     description="Observatoire du numérique éducatif — données.")
    parser.add_argument("--db", help="chemin de la base (défaut : $OBSERVATOIRE_DB ou var/observatoire.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="construit (ou reconstruit) la base depuis data/")
    init.add_argument("--if-needed", action="store_true",
                      help="ne reconstruit pas : crée la base si elle manque, l'actualise si data/ a changé")
    init.add_argument("--data", help="dossier de données (défaut : $OBSERVATOIRE_DATA ou data/)")
    init.set_defaults(func=_init)
    check = sub.add_parser("check", help="valide tous les fichiers de data/")
    check.add_argument("--data", help="dossier de données (défaut : data/)")
    check.set_defaults(func=_check)
    export = sub.add_parser("export", help="exporte toutes les mesures (colonnes canoniques)")
    export.add_argument("--output", required=True, help="fichier de sortie (.csv ou .xlsx)")
    export.add_argument("--format", help="csv ou xlsx (défaut : d'après l'extension)")
    export.set_defaults(func=_export)
    return parser


def _log_dir() -> Path:
    env = os.environ.get(LOG_DIR_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else config.PROJECT_ROOT / "var" / "log"


def _log_unexpected(argv: list[str] | None) -> Path:
    """Write the current exception's traceback to a log file; return its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    text = (f"python -m observatoire {' '.join(argv if argv is not None else sys.argv[1:])}\n"
            f"{datetime.now(UTC).isoformat(timespec='seconds')}\n\n{traceback.format_exc()}")
    for folder in (_log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f"observatoire-{stamp}-", suffix=".log", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8") as log:
                log.write(text)
            return Path(name)
        except OSError:
            continue
    return Path(tempfile.gettempdir())  # pragma: no cover - nowhere to write


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except schema.ValidationError as err:
        print(f"Données refusées, rien n'a été écrit.\n{err}", file=sys.stderr)
        return 1
    except (store.StoreError, CommandError) as err:
        print(f"Erreur : {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - never a traceback on the terminal: it goes to a log file
        log = _log_unexpected(argv)
        print(f"Erreur inattendue (ce n'est pas un problème de données connu) : détails dans {log}",
              file=sys.stderr)
        return 2
