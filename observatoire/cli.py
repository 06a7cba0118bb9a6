"""Command line: `python -m observatoire init | check | import FILE | versions | changements | annuler LOT |
export | presentation | academie nouvelle CODE`.

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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from observatoire import checks, clock, config, exporting, failures, published, queries, schema, store, versions

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


def _report(problems: schema.Problems, data_dir: Path, out: TextIO | None = None) -> None:
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
    return (
        f"version n° {version.number} ({version.path.name}) : {_count(info.mesures)} mesures actives dans "
        f"{info.lots_actifs} lot(s)"
    )


def _size(count: int) -> str:
    """`1401413` → `1,3 Mio`; `811000` → `792 Kio` (French decimal comma)."""
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f}".replace(".", ",") + "\u00a0Mio"
    return f"{max(1, round(count / 1024))}\u00a0Kio"


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
        version = published or _current(repo)
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
        academie = published.academie(con)  # the académie the current version was published with
    try:
        incoming = importing.read_import(data, path.name, tables, academie)
    except schema.ValidationError as err:
        for notice in getattr(err, "notices", ()):
            print(f"Note : {notice}", file=sys.stderr)
        raise
    preview = importing.preview(incoming.frame, current)
    print(f"{path.name} : {incoming.details}.")
    for notice in incoming.notices:
        print(f"Note : {notice}")
    print(
        f"Valeurs : {_agreed(preview.new, 'nouvelle')}, {_agreed(preview.changed, 'modifiée')}, "
        f"{_agreed(preview.unchanged, 'inchangée')}."
    )
    version = repo.import_measures(
        incoming.frame, path.name, incoming.sha256, args.auteur or versions.default_author()
    )
    journaled = repo.change_of(version)  # counted under the writers' lock, against the version replaced
    if (journaled.nouvelles, journaled.modifiees, journaled.inchangees) != (
        preview.new,
        preview.changed,
        preview.unchanged,
    ):
        print(
            "Une autre version a été publiée entre-temps : par rapport à la version remplacée, valeurs : "
            f"{_agreed(int(journaled.nouvelles), 'nouvelle')}, {_agreed(int(journaled.modifiees), 'modifiée')}, "
            f"{_agreed(int(journaled.inchangees), 'inchangée')} (inscrit au journal)."
        )
    print(f"Publiée : {_describe(repo, version)}, en {_seconds(time.perf_counter() - start)}.")
    return 0


def _agreed(n: int, adjective: str) -> str:
    """`0 nouvelle`, `1 modifiée`, `2 inchangées` (French plural from 2 on)."""
    return f"{_count(n)} {adjective}{'s' if n > 1 else ''}"


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
        when = clock.paris_datetime(row.date)
        print(f"{mark} n° {row.version:>4}  {when}  {row.auteur} — {row.resume}{sha}{extra}")
    print("* courante ; - version plus conservée (seul son journal reste)")
    return 0


def _starting_version(repo: versions.Repository, text: str | None, target: int, kept: list[int]) -> int:
    """`--depuis`: a version number, or a date (JJ/MM/AAAA or AAAA-MM-JJ: the version in force at the start of
    that day, Paris time); default: the kept version before `target`."""
    from observatoire import changes

    if text is None:
        earlier = [k for k in kept if k < target]
        if not earlier:
            raise CommandError(
                f"Aucune version conservée avant la n° {target} : rien à comparer "
                f"(versions conservées : {_kept_text(kept)})."
            )
        return earlier[-1]
    text = text.strip()
    if text.isdigit() and text.isascii():
        return int(text)
    day = _parse_day(text)
    if day is None:
        raise CommandError(
            f"--depuis : « {text[:40]} » n'est ni un numéro de version ni une date (JJ/MM/AAAA ou AAAA-MM-JJ)."
        )
    number = changes.since_day(repo.journal(), day)
    when = day.strftime("%d/%m/%Y")
    if number is None:
        raise CommandError(
            f"Aucune version n'était publiée avant le {when} (versions conservées : {_kept_text(kept)})."
        )
    if number not in kept:
        raise CommandError(
            f"La version en vigueur le {when} (n° {number}) n'est plus conservée (versions "
            f"conservées : {_kept_text(kept)}) : choisissez une date plus récente."
        )
    print(f"Version en vigueur le {when} au matin : n° {number}.")
    return number


def _kept_text(kept: list[int]) -> str:
    return f"n° {kept[0]} à n° {kept[-1]}" if kept else "aucune"


def _parse_day(text: str) -> date | None:
    import re

    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$|^(\d{4})-(\d{1,2})-(\d{1,2})$", text)
    if not match:
        return None
    day, month, year = (
        (match.group(1), match.group(2), match.group(3))
        if match.group(1)
        else (match.group(6), match.group(5), match.group(4))
    )
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _changes(args: argparse.Namespace) -> int:
    """What changed between two versions: the French summary, the publications, the first value changes; with
    --output, every value change as CSV or XLSX (with its « À propos »)."""
    from observatoire.figures.formatting import exact
    from observatoire.views.changes import build_changes

    output = Path(args.output) if args.output else None
    if output is not None and output.suffix.lower() not in (".csv", ".xlsx"):
        raise CommandError(f"Le fichier de sortie doit se terminer par .csv ou .xlsx (reçu : « {output.name} »).")
    repo = _repository(args)
    current = _current(repo)
    kept = [v.number for v in repo.versions()]
    target = args.vers if args.vers is not None else current.number
    start = _starting_version(repo, args.depuis, target, kept)
    with repo.connect(repo.version(start)) as old, repo.connect(repo.version(target)) as new:
        view = build_changes(old, new)
    changes = view.items.changes
    print(view.title)
    print(view.subtitle)
    print(view.text("none") or view.text("summary"))
    print(view.text("publications"))
    values_table = view.require_table("valeurs")
    values = values_table.frame
    limit = max(0, args.lignes)
    if not values.empty and limit:
        print(f"Valeurs changées ({_count(len(values))}) :")
        for row in values.head(limit).to_dict("records"):
            old_value, new_value = exact(row["Ancienne valeur"]) or "—", exact(row["Nouvelle valeur"]) or "—"
            version = row["Version"]
            who = (
                f"n° {version}, {row['Publié par']}, {row['Publié le (heure de Paris)']}"
                if version is not None and not _missing(version)
                else ""
            )
            print(
                f"  {row['Changement']:<9} {row['Indicateur']} · {row['Période']} · {row['Territoire']} · "
                f"{row['Niveau']} · {row['Thématique']} · {row['Public']} : {old_value} → {new_value}"
                + (f" ({who})" if who else "")
            )
        if len(values) > limit:
            print(f"… et {_count(len(values) - limit)} autres (--output fichier.csv pour la liste complète).")
    for key in ("periodes", "lots"):
        for row in view.require_table(key).frame.itertuples(index=False):
            if key == "periodes":
                print(f"  {row[0]} : {row[1]} {row[2]} ({_count(int(row[3]))} valeur(s))")
            else:
                print(f"  {row[1]} : n° {row[0]} « {row[3]} » ({row[2]}, {_count(int(row[5]))} ligne(s))")
    if output is not None:
        about = exporting.About(title=values_table.title, context=view.context, source=values_table.source)
        data = (
            exporting.to_xlsx_bytes(values, about=about)
            if output.suffix.lower() == ".xlsx"
            else exporting.to_csv_bytes(values, about=about)
        )
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(data)
        except OSError as err:
            raise CommandError(f"Écriture impossible de {output} : {err.strerror or err}") from err
        print(f"{_count(len(values))} valeur(s) changée(s) écrite(s) dans {output}.")
    del changes
    return 0


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _undo(args: argparse.Namespace) -> int:
    repo = _repository(args)
    version = repo.undo(args.lot, args.auteur or versions.default_author())
    print(f"Import {args.lot} annulé. Publiée : {_describe(repo, version)}.")
    return 0


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


def _current(repo: versions.Repository) -> versions.Version:
    """The current version; `CommandError` when nothing was ever published."""
    current = repo.current()
    if current is None:
        raise CommandError(f"Aucune version publiée dans {repo.root} (« python -m observatoire init »).")
    return current


class CommandError(Exception):
    """An expected problem with the command's arguments or files, explained in French (exit code 1)."""


def _export(args: argparse.Namespace) -> int:
    fmt = (args.format or Path(args.output).suffix.lstrip(".") or "csv").lower()
    if fmt not in exporting.FORMATS:
        raise CommandError(f"Format inconnu : « {fmt} » (formats possibles : csv, xlsx).")
    repo = _repository(args)
    if args.version is None:
        repo.ensure()
    version = repo.version(args.version) if args.version is not None else _current(repo)
    with repo.connect(version) as con:
        frame = queries.all_measures(con)
    try:
        output = exporting.export_measures(frame, Path(args.output), args.format)
    except OSError as err:
        raise CommandError(f"Écriture impossible de {args.output} : {_why(err)}") from err
    print(f"{_count(len(frame))} mesures exportées (version n° {version.number}) dans {output}.")
    return 0


def _new_academie(args: argparse.Namespace) -> int:
    from observatoire import scaffold

    try:
        written = scaffold.new_academie(args.code, args.departements, Path(args.dossier), nom=args.nom)
    except scaffold.ScaffoldError as err:
        raise CommandError(str(err)[:1].upper() + str(err)[1:]) from err
    folder = Path(args.dossier)
    print(f"Dossier de l'académie créé : {folder} ({len(written)} fichiers).")
    for path in written:
        print(f"  {path.relative_to(folder)}")
    print(f"Suite : la liste à cocher {folder / 'LISEZMOI.md'} (laboratoires, géographie, check, init, import).")
    return 0


PRESENTATION_FORMATS = ("pptx", "html")


def _presentation(args: argparse.Namespace) -> int:
    from observatoire import sharing
    from observatoire.filters import PARAM_NAMES, parse_params, to_params
    from observatoire.views.presentation import build_presentation, focus_choices

    output = Path(args.output)
    fmt = (args.format or output.suffix.lstrip(".")).lower()
    if fmt not in PRESENTATION_FORMATS:
        raise CommandError(f"Format inconnu : « {fmt} » (formats possibles : pptx, html).")
    if output.suffix.lower() != f".{fmt}":
        raise CommandError(f"Le fichier de sortie doit se terminer par .{fmt} (reçu : « {output.name} »).")
    repo = _repository(args)
    if args.version is None:
        repo.ensure()
    version = repo.version(args.version) if args.version is not None else _current(repo)
    start = time.perf_counter()
    with repo.connect(version) as con:
        params = {
            PARAM_NAMES[attr]: values
            for attr, values in (
                ("departements", args.dep),
                ("bassins", args.bassin),
                ("thematiques", args.theme),
                ("niveaux", args.niveau),
                ("publics", args.public),
            )
            if values
        }
        filters, notices = parse_params(params, queries.choices(con))
        if notices:  # a code that does not exist: refuse rather than present other figures than asked
            raise CommandError(
                "Filtre refusé, aucune présentation écrite : "
                + " ; ".join(
                    n.removeprefix("Lien : ")
                    .replace(", ce critère est ignoré.", "")
                    .replace(", il est ignoré.", "")
                    for n in notices
                )
                + "."
            )
        zoom = None
        if args.zoom:
            choices = focus_choices(con, filters)
            if args.zoom not in choices:
                raise CommandError(
                    f"Bassin du zoom refusé, aucune présentation écrite : « {args.zoom} » n'est "
                    "pas un bassin de ces filtres (codes possibles : " + ", ".join(choices) + ")."
                )
            zoom = args.zoom
        link = args.lien or ""
        if not link:  # the configured public address of the dashboard (OBSERVATOIRE_URL_PUBLIQUE), if any
            base, problem = sharing.configured_base(secrets={})
            if problem:
                raise CommandError(problem)
            if base:
                link = sharing.view_link(base, {**to_params(filters), "version": str(version.number)})
        deck = build_presentation(con, filters, url=link, highlight=zoom)
    if fmt == "html":  # the instantané: « Ouvrir le tableau de bord » leads to the same address as the QR code
        from observatoire.exports import html

        data = html.presentation_html(deck, dashboard_url=link).encode("utf-8")
    else:
        from observatoire.exports import pptx

        data = pptx.presentation_pptx(deck)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as err:
        raise CommandError(f"Écriture impossible de {output} : {_why(err)}") from err
    what = "Instantané (HTML)" if fmt == "html" else "Présentation"
    print(
        f"{what} de {len(deck.slides)} diapositives (version n° {version.number}, "
        f"{deck.context.filters_text}) écrite dans {output} ({_size(len(data))}), "
        f"en {_seconds(time.perf_counter() - start)}."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    argparse._ = _french  # type: ignore[attr-defined]  # argparse's messages in French (looked up at call time)
    parser = argparse.ArgumentParser(
        prog="python -m observatoire", description="Observatoire du numérique éducatif — données."
    )
    parser.add_argument("--store", help="dossier des versions publiées (défaut : $OBSERVATOIRE_STORE ou var/)")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser(
        "init",
        help="publie une version construite depuis data/ (les imports n'y sont pas "
        "repris : ils restent dans les versions précédentes)",
    )
    init.add_argument(
        "--if-needed",
        action="store_true",
        help="ne reconstruit pas : publie une version seulement s'il n'y en a pas, si data/ a "
        "changé ou si le schéma doit migrer (les imports sont conservés)",
    )
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
    chg = sub.add_parser(
        "changements",
        help="ce qui a changé entre deux versions : valeurs nouvelles, modifiées "
        "ou retirées, périodes, lots, publications",
    )
    chg.add_argument(
        "--depuis",
        help="version de départ : numéro, ou date JJ/MM/AAAA (la version en vigueur au "
        "début de ce jour, par exemple celui de la dernière séance) ; défaut : la version précédente",
    )
    chg.add_argument("--vers", type=int, help="version d'arrivée (défaut : la courante)")
    chg.add_argument("--output", help="écrit toutes les valeurs changées dans ce fichier (.csv ou .xlsx)")
    chg.add_argument("--lignes", type=int, default=30, help="valeurs changées affichées (défaut : 30)")
    chg.set_defaults(func=_changes)
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
    pres = sub.add_parser(
        "presentation",
        help="écrit la présentation du séminaire (PPTX 16:9) ou son "
        "instantané (HTML autonome, lisible hors ligne et sur téléphone) pour des filtres",
    )
    pres.add_argument("--output", required=True, help="fichier de sortie .pptx ou .html")
    pres.add_argument("--format", help="pptx ou html (défaut : d'après l'extension)")
    pres.add_argument("--dep", action="append", default=[], help="département (code, répétable)")
    pres.add_argument("--bassin", action="append", default=[], help="bassin (code, répétable)")
    pres.add_argument("--theme", action="append", default=[], help="thématique (code, répétable)")
    pres.add_argument("--niveau", action="append", default=[], help="niveau scolaire (code, répétable)")
    pres.add_argument("--public", action="append", default=[], help="public (code, répétable)")
    pres.add_argument("--version", type=int, help="numéro de la version des données (défaut : la courante)")
    pres.add_argument(
        "--lien",
        help="adresse à mettre en code QR sur la première diapositive et, dans "
        "l'instantané, celle du lien « Ouvrir le tableau de bord » (défaut : la vue à l'adresse "
        "publique de $OBSERVATOIRE_URL_PUBLIQUE, sinon pas de code QR)",
    )
    pres.add_argument(
        "--zoom",
        help="bassin de la diapositive « Zoom » (code ; défaut : celui qui compte le plus "
        "de personnes dans ses laboratoires)",
    )
    pres.set_defaults(func=_presentation)
    acad = sub.add_parser("academie", help="une nouvelle académie : dossier de données à remplir")
    acad_sub = acad.add_subparsers(dest="action", required=True)
    new = acad_sub.add_parser(
        "nouvelle",
        help="crée le dossier de données d'une académie (academie.json, "
        "catalogues, fichiers à remplir, liste à cocher LISEZMOI.md)",
    )
    new.add_argument("code", help="code de l'académie : minuscules, chiffres, tirets (grenoble, aix-marseille)")
    new.add_argument(
        "--departements",
        required=True,
        help="codes des départements séparés par des virgules (07,26 ; 2A,2B ; 971)",
    )
    new.add_argument("--dossier", required=True, help="dossier à créer (absent ou vide)")
    new.add_argument("--nom", help="nom affiché (défaut : « Académie de » suivi du code)")
    new.set_defaults(func=_new_academie)
    return parser


def _log_dir() -> Path:
    env = os.environ.get(LOG_DIR_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else config.PROJECT_ROOT / "var" / "log"


def _log_unexpected(argv: list[str] | None) -> Path:
    """Write the current exception's traceback to a log file; return its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    text = (
        f"python -m observatoire {' '.join(argv if argv is not None else sys.argv[1:])}\n"
        f"{datetime.now(UTC).isoformat(timespec='seconds')}\n\n{traceback.format_exc()}"
    )
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
            print(
                f"Erreur : disque plein (dossier des versions : {where}) : rien n'a été écrit ni publié. "
                "Libérez de la place sur le disque, puis recommencez.",
                file=sys.stderr,
            )
            return 1
        log = _log_unexpected(argv)
        print(
            f"Erreur inattendue (ce n'est pas un problème de données connu) : détails dans {log}", file=sys.stderr
        )
        return 2
