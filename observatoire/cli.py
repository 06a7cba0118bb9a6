"""Command line: `python -m observatoire init | check | import FILE | versions | annuler LOT | export`.

Every write publishes a new immutable data version (`versions.Repository`); readers are never disturbed.

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

from observatoire import checks, config, exporting, failures, queries, schema, store, versions

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


def _repository(args: argparse.Namespace) -> versions.Repository:
    return versions.Repository(Path(args.store) if args.store else None)


def _describe(repo: versions.Repository, version: versions.Version) -> str:
    with repo.connect(version) as con:
        info = store.data_version(con)
    return (f"version n° {version.number} ({version.path.name}) : {_count(info.mesures)} mesures actives dans "
            f"{info.lots_actifs} lot(s)")


def _count(value: int) -> str:
    """`64500000` → `64 500 000` (French thousands separator, narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")


def _init(args: argparse.Namespace) -> int:
    repo = _repository(args)
    data_dir = Path(args.data) if args.data else config.DATA_DIR
    start = time.perf_counter()
    # the same checks as `check` (bilan figures included) before anything is written
    problems = checks.check_data(data_dir)
    if problems:
        print("Données refusées, aucune version n'a été publiée.", file=sys.stderr)
        _report(problems, data_dir, sys.stderr)
        return 1
    if args.if_needed:
        published = repo.ensure(data_dir)
        verb = "publiées" if published else "vérifiées (à jour)"
        version = published or repo.current()
    else:
        version = repo.init(data_dir, author=args.auteur or "", with_demo=not args.sans_demo)
        verb = "publiées"
    elapsed = time.perf_counter() - start
    print(f"Données {verb} : {_describe(repo, version)}, en {_seconds(elapsed)}.")
    print(f"Dossier des versions : {repo.root}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from observatoire import importing

    path = Path(args.fichier)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CommandError(f"Lecture impossible de {path} : {err.strerror or err}") from err
    repo = _repository(args)
    start = time.perf_counter()
    with repo.connect() as con:
        tables = store.reference_tables(con)
        current = versions.active_measures(con)
    incoming = importing.read_import(data, path.name, tables, config.academie())
    preview = importing.preview(incoming.frame, current)
    print(f"{path.name} : {incoming.details}.")
    print(f"{_count(preview.new)} nouvelles valeurs, {_count(preview.changed)} modifiées, "
          f"{_count(preview.unchanged)} inchangées.")
    version = repo.import_measures(incoming.frame, path.name, incoming.sha256,
                                   args.auteur or versions.default_author())
    journaled = repo.change_of(version)  # counted under the writers' lock, against the version replaced
    if (journaled.nouvelles, journaled.modifiees, journaled.inchangees) != \
            (preview.new, preview.changed, preview.unchanged):
        print("Une autre version a été publiée entre-temps : par rapport à la version remplacée, "
              f"{_count(int(journaled.nouvelles))} nouvelles valeurs, "
              f"{_count(int(journaled.modifiees))} modifiées, {_count(int(journaled.inchangees))} inchangées "
              "(inscrit au journal).")
    print(f"Publiée : {_describe(repo, version)}, en {_seconds(time.perf_counter() - start)}.")
    return 0


def _text(value: object) -> str:
    """A text cell of the journal; '' when missing (pandas gives NaN, not None, for a NULL in a text column)."""
    return value if isinstance(value, str) else ""


def _versions(args: argparse.Namespace) -> int:
    repo = _repository(args)
    current = repo.current()
    if current is None:
        print(f"Aucune version publiée dans {repo.root} (« python -m observatoire init »).")
        return 0
    journal = repo.journal(current)
    kept = {v.number: v for v in repo.versions()}
    print(f"Versions des données ({repo.root}) — courante : n° {current.number}")
    for row in journal.itertuples(index=False):
        mark = "*" if row.version == current.number else (" " if row.version in kept else "-")
        lots = []
        if _text(row.lots_ajoutes):
            lots.append(f"lot(s) ajouté(s) : {row.lots_ajoutes}")
        if _text(row.lots_retires):
            lots.append(f"lot(s) retiré(s) : {row.lots_retires}")
        sha = f", sha256 {row.sha256[:12]}…" if _text(row.sha256) else ""
        extra = f" ({'; '.join(lots)})" if lots else ""
        when = f"{row.date:%d/%m/%Y %H:%M} UTC"
        print(f"{mark} n° {row.version:>4}  {when}  {row.auteur} — {row.resume}{sha}{extra}")
    print("* courante ; - version plus conservée (seul son journal reste)")
    return 0


def _undo(args: argparse.Namespace) -> int:
    repo = _repository(args)
    version = repo.undo(args.lot, args.auteur or versions.default_author())
    print(f"Import {args.lot} annulé. Publiée : {_describe(repo, version)}.")
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


def _why(err: OSError) -> str:
    """Why a file could not be written, in French when it is a full disk."""
    return "disque plein" if failures.disk_full(err) else str(err.strerror or err)


class CommandError(Exception):
    """An expected problem with the command's arguments or files, explained in French (exit code 1)."""


def _export(args: argparse.Namespace) -> int:
    fmt = (args.format or Path(args.output).suffix.lstrip(".") or "csv").lower()
    if fmt not in exporting.FORMATS:
        raise CommandError(f"Format inconnu : « {fmt} » (formats possibles : csv, xlsx).")
    repo = _repository(args)
    if args.version is None:
        repo.ensure()
    version = repo.version(args.version) if args.version is not None else repo.current()
    with repo.connect(version) as con:
        frame = queries.all_measures(con)
    try:
        output = exporting.export_measures(frame, Path(args.output), args.format)
    except OSError as err:
        raise CommandError(f"Écriture impossible de {args.output} : {_why(err)}") from err
    print(f"{_count(len(frame))} mesures exportées (version n° {version.number}) dans {output}.")
    return 0


def _presentation(args: argparse.Namespace) -> int:
    from observatoire.exports import pptx
    from observatoire.filters import PARAM_NAMES, parse_params
    from observatoire.views.presentation import build_presentation

    output = Path(args.output)
    if output.suffix.lower() != ".pptx":
        raise CommandError(f"Le fichier de sortie doit se terminer par .pptx (reçu : « {output.name} »).")
    repo = _repository(args)
    if args.version is None:
        repo.ensure()
    version = repo.version(args.version) if args.version is not None else repo.current()
    start = time.perf_counter()
    with repo.connect(version) as con:
        params = {PARAM_NAMES[attr]: values for attr, values in (
            ("departements", args.dep), ("bassins", args.bassin), ("thematiques", args.theme),
            ("niveaux", args.niveau), ("publics", args.public)) if values}
        filters, notices = parse_params(params, queries.choices(con))
        if notices:  # a code that does not exist: refuse rather than present other figures than asked
            raise CommandError("Filtre refusé, aucune présentation écrite : " + " ; ".join(
                n.removeprefix("Lien : ").replace(", ce critère est ignoré.", "").replace(", il est ignoré.", "")
                for n in notices) + ".")
        deck = build_presentation(con, filters, url=args.lien or "")
    data = pptx.presentation_pptx(deck)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as err:
        raise CommandError(f"Écriture impossible de {output} : {_why(err)}") from err
    print(f"Présentation de {len(deck.slides)} diapositives (version n° {version.number}, "
          f"{deck.context.filters_text}) écrite dans {output}, en {_seconds(time.perf_counter() - start)}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    argparse._ = _french  # type: ignore[attr-defined]  # argparse's messages in French (looked up at call time)
    parser = argparse.ArgumentParser(prog="python -m observatoire",
                                     description="Observatoire du numérique éducatif — données.")
    parser.add_argument("--store", help="dossier des versions publiées (défaut : $OBSERVATOIRE_STORE ou var/)")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="publie une version construite depuis data/ (les imports n'y sont pas "
                          "repris : ils restent dans les versions précédentes)")
    init.add_argument("--if-needed", action="store_true",
                      help="ne reconstruit pas : publie une version seulement s'il n'y en a pas, si data/ a "
                      "changé ou si le schéma doit migrer (les imports sont conservés)")
    init.add_argument("--data", help="dossier de données (défaut : $OBSERVATOIRE_DATA ou data/)")
    init.add_argument("--sans-demo", action="store_true", help="version vide : référentiels sans mesures")
    init.add_argument("--auteur", help="nom inscrit au journal")
    init.set_defaults(func=_init)
    imp = sub.add_parser("import", help="importe un fichier de mesures (CSV ou XLSX) et publie une version")
    imp.add_argument("fichier", help="fichier CSV (; , ou tabulation) ou XLSX aux colonnes canoniques")
    imp.add_argument("--auteur", help="nom inscrit au journal (défaut : l'utilisateur du système)")
    imp.set_defaults(func=_import)
    ver = sub.add_parser("versions", help="liste les versions publiées et leur journal")
    ver.set_defaults(func=_versions)
    undo = sub.add_parser("annuler", help="annule un import : publie une version sans ce lot")
    undo.add_argument("lot", type=int, help="numéro du lot importé (voir « versions »)")
    undo.add_argument("--auteur", help="nom inscrit au journal")
    undo.set_defaults(func=_undo)
    check = sub.add_parser("check", help="valide tous les fichiers de data/")
    check.add_argument("--data", help="dossier de données (défaut : data/)")
    check.set_defaults(func=_check)
    export = sub.add_parser("export", help="exporte toutes les mesures (colonnes canoniques)")
    export.add_argument("--output", required=True, help="fichier de sortie (.csv ou .xlsx)")
    export.add_argument("--format", help="csv ou xlsx (défaut : d'après l'extension)")
    export.add_argument("--version", type=int, help="numéro de la version à exporter (défaut : la courante)")
    export.set_defaults(func=_export)
    pres = sub.add_parser("presentation", help="écrit la présentation du séminaire (PPTX 16:9) pour des filtres")
    pres.add_argument("--output", required=True, help="fichier de sortie .pptx")
    pres.add_argument("--dep", action="append", default=[], help="département (code, répétable)")
    pres.add_argument("--bassin", action="append", default=[], help="bassin (code, répétable)")
    pres.add_argument("--theme", action="append", default=[], help="thématique (code, répétable)")
    pres.add_argument("--niveau", action="append", default=[], help="niveau scolaire (code, répétable)")
    pres.add_argument("--public", action="append", default=[], help="public (code, répétable)")
    pres.add_argument("--version", type=int, help="numéro de la version des données (défaut : la courante)")
    pres.add_argument("--lien", help="adresse du tableau de bord à mettre en code QR sur la première diapositive")
    pres.set_defaults(func=_presentation)
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
    except Exception as err:  # noqa: BLE001 - never a traceback on the terminal: it goes to a log file
        if failures.disk_full(err):  # a machine problem explained in French, not « erreur inattendue »
            where = getattr(args, "store", None) or config.store_dir()
            print(f"Erreur : disque plein (dossier des versions : {where}) : rien n'a été écrit ni publié. "
                  "Libérez de la place sur le disque, puis recommencez.", file=sys.stderr)
            return 1
        log = _log_unexpected(argv)
        print(f"Erreur inattendue (ce n'est pas un problème de données connu) : détails dans {log}",
              file=sys.stderr)
        return 2
