"""The Laboratoires page as data: `build_laboratories(con, filters, params) -> View` (no Streamlit).

`params`: the page's own choices, the same values as its URL parameters: `labo` (the lab whose fiche is shown;
optional). The view holds

- the list: `items.labs` (`queries.laboratories(con, filters).data`, the cards), the table `"laboratoires"`
  (what the « Tableau » tab shows; its files join the list cells), `texts["count"]` (« 12 laboratoires sur
  16 »), `texts["labs_source"]`, `notices` (a filter that does not apply, no lab for the filters), and
  `items.names` (code → name of EVERY lab: a shared link may open a lab outside the filters);
- the fiche of `labo` (`items.fiche`, a `LabFiche`, None without `labo` or for an unknown lab): facts,
  projects cited by the bilan, the comparison with the académie, and its activity as a `View` of its own
  (`LabFiche.activity`: KPI cards, the bar chart `"activite"`, the table `"activite"`).

One number per question: the fiche's figures answer the same filters as the overview (`lab_scope`). The lab's
activity is broken down by thème and niveau, so a chosen thème or niveau that the lab has is applied — with
Moselle + IA + Collège, the fiches of the two IA labs of Moselle add up to the overview's « personnes
concernées » —, and the period; a territory the lab is in changes nothing. A chosen filter that does not apply
is said, with why (`LabScope.not_applied`): a thème or niveau the lab does not have (a shared link), a territory
it is not in, the public (the labs' activity is not broken down by public). The PDF fiche
(`observatoire.views.fiches.build_lab_fiche`) uses the same scope.

Texts are French and plain (not escaped): the page escapes them where they become Markdown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from observatoire import config, published, queries, small_counts
from observatoire.figures import cards, formatting
from observatoire.filters import Filters, school_years_between
from observatoire.views.context import build_context, filter_lines
from observatoire.views.model import Figure, Notice, Table, View, source_line
from observatoire.views.presentation import catalogue_rows, key_figure

TITLE = "Laboratoires numériques"
INTRO = (
    "Tiers-lieux éducatifs de l'académie : où ils sont, leurs thématiques, leurs niveaux, leur activité "
    "et les projets cités par le bilan."
)
COMPARISON_NOTE = (
    "Part : part du laboratoire dans le total académique. Rang : parmi les laboratoires ayant une "
    "valeur cette année-là (1 = le plus élevé). Tous les laboratoires de l'académie, sans filtre."
)
NO_ACTIVITY = "Aucune activité enregistrée pour ce laboratoire sur la période choisie."
NO_ACTIVITY_FILTERED = (
    "Aucune activité enregistrée pour ce laboratoire sur la période choisie avec ces filtres (thématique, niveau)."
)


@dataclass(frozen=True)
class LabScope:
    """Which chosen filters the figures of one lab's fiche (screen and PDF) answer, and which they do not."""

    filters: Filters  # what the lab's series are read with: the thème / niveau that apply, the period, the public
    applied: tuple[str, ...]  # French lines of the chosen filters that apply (`views.context.filter_lines`)
    not_applied: tuple[str, ...]  # « Public : Élèves (non appliqué) »: one line per chosen filter not applied
    reasons: tuple[str, ...]  # why, one French sentence each
    in_filters: bool  # the lab is in the list of the chosen filters
    parts: str = ""  # « Programmation et intelligence artificielle, Collège »: what the figures are for ("": all)

    @property
    def context_filters(self) -> tuple[str, ...]:
        """The fiche's filter lines: applied ones, then the ones not applied, said so."""
        return self.applied + self.not_applied


def _names(codes: tuple[str, ...], mapping: Mapping[str, str]) -> str:
    return ", ".join(f"« {mapping.get(c, c)} »" for c in codes)


def lab_scope(con: duckdb.DuckDBPyConnection, lab: Mapping[str, Any], filters: Filters) -> LabScope:
    """The scope of the fiche of `lab` (a row of `queries.laboratories`) for the chosen `filters`.

    - thème, niveau: applied when the lab has them (the same rule as the list of labs, a main thème standing for
      its branch); else not applied: the lab's figures are then for every thème / niveau, and it is said;
    - département, bassin: the lab is in one place — inside the chosen territory they change nothing (listed as
      applied), outside it is said (a shared link keeps the fiche);
    - public: the labs' activity indicators are not broken down by public (catalogue `publics = non`): said;
    - the period: applied (the activity's years; the fiche's year is its last)."""
    code, name = str(lab["code"]), str(lab["nom"])
    labels = queries.labels(con)

    def has(**chosen: tuple[str, ...]) -> bool:
        return code in set(queries.laboratories(con, Filters(**chosen)).data["code"])  # type: ignore[arg-type]

    themes = filters.thematiques if filters.thematiques and has(thematiques=filters.thematiques) else ()
    niveaux = filters.niveaux if filters.niveaux and has(niveaux=filters.niveaux) else ()
    inside = has(departements=filters.departements, bassins=filters.bassins)
    not_applied: list[str] = []
    reasons: list[str] = []
    if filters.thematiques and not themes:
        not_applied += [
            line + " (non appliqué)" for line in filter_lines(Filters(thematiques=filters.thematiques), labels)
        ]
        reasons.append(
            f"Filtre thématique non appliqué : « {name} » ne travaille pas "
            f"{_names(filters.thematiques, labels.thematiques)} ; ses chiffres sont toutes thématiques "
            "confondues."
        )
    if filters.niveaux and not niveaux:
        not_applied += [
            line + " (non appliqué)" for line in filter_lines(Filters(niveaux=filters.niveaux), labels)
        ]
        reasons.append(
            f"Filtre niveau non appliqué : « {name} » n'accueille pas le niveau "
            f"{_names(filters.niveaux, labels.niveaux)} ; ses chiffres sont tous niveaux confondus."
        )
    if (filters.departements or filters.bassins) and not inside:
        territory = Filters(departements=filters.departements, bassins=filters.bassins)
        not_applied += [line + " (hors de ce territoire)" for line in filter_lines(territory, labels)]
        reasons.append(
            f"Filtre territoire : « {name} » ({lab.get('bassin_nom', '')}, {lab.get('departement', '')}"
            f" — {lab.get('departement_nom', '')}) est hors des territoires choisis ; sa fiche reste "
            "affichée."
        )
    if filters.publics:
        catalogue = cards.lab_activity_indicators(queries.indicators(con), published.academie(con).indicateurs)
        if catalogue.empty or all(str(v or "non") == "non" for v in catalogue["publics"]):
            not_applied += [
                line + " (non appliqué)" for line in filter_lines(Filters(publics=filters.publics), labels)
            ]
            reasons.append(
                "Filtre public non appliqué : l'activité des laboratoires n'est pas détaillée par public."
            )
    applied_filters = Filters(
        departements=filters.departements if inside else (),
        bassins=filters.bassins if inside else (),
        thematiques=themes,
        niveaux=niveaux,
        periode_debut=filters.periode_debut,
        periode_fin=filters.periode_fin,
    )
    read = Filters(
        thematiques=themes,
        niveaux=niveaux,
        publics=filters.publics,
        periode_debut=filters.periode_debut,
        periode_fin=filters.periode_fin,
    )
    parts = ", ".join([labels.of("thematique", t) for t in themes] + [labels.of("niveau", n) for n in niveaux])
    in_filters = code in set(queries.laboratories(con, filters).data["code"])
    return LabScope(
        filters=read,
        applied=filter_lines(applied_filters, labels),
        not_applied=tuple(not_applied),
        reasons=tuple(reasons),
        in_filters=in_filters,
        parts=parts,
    )


def comparison_note(scope: LabScope | None = None) -> str:
    """How to read the share and rank of a lab (screen and PDF): for the thème / niveau applied, if any."""
    if scope is None or not scope.parts:
        return COMPARISON_NOTE
    return (
        f"Part : part du laboratoire dans le total académique pour {scope.parts}. Rang : parmi les "
        f"laboratoires ayant une valeur pour {scope.parts} cette année-là (1 = le plus élevé). Tous les "
        "laboratoires de l'académie : les filtres de territoire ne s'appliquent pas à la comparaison."
    )


@dataclass(frozen=True)
class ActivityItems:
    """`View.items` of a lab's activity (`LabFiche.activity`)."""

    kpis: tuple[queries.Kpi, ...]  # one per `labo_*` indicator with values; () = no activity (a notice says so)
    catalogue: pd.DataFrame  # `queries.indicators`
    rules: small_counts.Policy | None = None  # the small-count policy of the lab's figures
    main: str = ""  # the indicator of the activity chart


@dataclass(frozen=True)
class LabFiche:
    """The fiche of one lab on the Laboratoires page."""

    code: str
    name: str
    lab: Mapping[str, Any]  # its row of `queries.laboratories(con, Filters()).data`
    origin: str  # `cards.lab_origin`: "bilan", "partiel" or "illustratif"
    facts: tuple[tuple[str, str], ...]  # (label, value) lines, plain text
    source: str  # « Source : … » of the lab (plain text)
    projects: pd.DataFrame  # `queries.projects(con, code)`: the projects cited by the bilan
    projects_source: str  # « Source : a ; b. » of the projects ("" without project)
    year: str  # school year of the fiche's PDF (the last of the period)
    comparison_year: str  # "" when the period has no school year (no comparison shown)
    profile: pd.DataFrame  # `queries.lab_profile` rows WITH a value (empty: « Aucune valeur … »)
    activity: View[ActivityItems]  # KPI cards (`key_figures`, from `items.kpis`), figure and table "activite"
    in_filters: bool = True  # False: opened from a link although the filters do not list it
    scope: LabScope | None = None  # the chosen filters its figures answer, and the ones they do not (why)
    comparison_note: str = COMPARISON_NOTE


def _activity(con: duckdb.DuckDBPyConnection, scope: LabScope, code: str, name: str) -> View[ActivityItems]:
    """A lab's activity over the period, for the thème / niveau of `scope`: one KPI card per `labo_*` indicator
    with data, the bar chart of its main indicator (not when it would show a small count), the table of every
    year. Its context says the filters applied and the ones not applied."""
    catalogue = queries.indicators(con)
    roles = published.academie(con).indicateurs
    lab_indicators = cards.lab_activity_indicators(catalogue, roles)
    activity: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    illustrative = False
    ignored: dict[str, None] = {}
    for row in lab_indicators.to_dict("records"):
        result = queries.series(con, row["id"], scope.filters, by="laboratoire", annual=True)
        ignored.update(dict.fromkeys(note for note in result.ignored if not note.startswith("Filtre public")))
        activity[row["id"]] = cards.lab_rows(result.data, code)
        if not activity[row["id"]].empty:
            for source, origin in zip(result.sources, result.origins):  # origin from the `origine` column
                sources[source] = origin if sources.get(source) in (None, origin) else config.ILLUSTRATIVE
            illustrative = illustrative or bool(activity[row["id"]]["illustratif"].any())
    kpis = tuple(
        cards.lab_activity_kpi(row, activity[row["id"]])
        for row in lab_indicators.to_dict("records")
        if not activity[row["id"]].empty
    )
    context = dataclasses.replace(build_context(con, scope.filters), filters=scope.context_filters)
    notices = tuple(Notice(note, "filtre") for note in (*scope.reasons, *ignored))
    if not kpis:
        empty = NO_ACTIVITY_FILTERED if scope.parts else NO_ACTIVITY
        return View(
            page="laboratoires",
            title=f"Activité — {name}",
            context=context,
            notices=(*notices, Notice(empty, "vide")),
            items=ActivityItems(kpis=(), catalogue=catalogue),
        )
    rules = published.policy(con)  # one lab: its small counts of people are shown « < 5 »
    people = small_counts.people_indicators(catalogue, rules)
    source = source_line(tuple(sources), tuple(sources.values()))
    first = next(iter(roles.activite_laboratoire), "")  # the académie's main lab figure, when it has values
    main = first if not activity.get(first, pd.DataFrame()).empty else kpis[0].indicateur
    meta = catalogue.set_index("id").loc[main]
    figures: tuple[Figure, ...] = ()
    if not cards.masked(next(k for k in kpis if k.indicateur == main), rules):  # bars would show a small count
        title = f"{meta['libelle']} — {name}"
        figure = cards.activity_figure(activity[main], None, str(meta["unite"]))  # the page writes the title
        years = activity[main].sort_values("periode")
        alt = f"{title} : " + " ; ".join(
            f"{p} : {formatting.number(v)}" for p, v in zip(years["periode"], years["valeur"])
        )
        figures = (
            Figure(key="activite", title=title, figure=figure, alt=alt, source=source, illustrative=illustrative),
        )
    table = Table(
        key="activite",
        title=f"Activité — {name}",
        frame=cards.activity_table(activity, dict(zip(catalogue["id"], catalogue["libelle"])), people, rules),
        source=source,
        illustrative=illustrative,
    )
    bilan = published.academie(con).bilan_source
    rows = catalogue_rows(catalogue)
    key_figures = tuple(key_figure(k, rules, None, rows.get(k.indicateur, {}), bilan) for k in kpis)
    return View(
        page="laboratoires",
        title=f"Activité — {name}",
        context=context,
        figures=figures,
        key_figures=key_figures,
        tables=(table,),
        notices=notices,
        sources=tuple(sources),
        origins=tuple(sources.values()),
        illustrative=illustrative,
        texts={"table_label": f"activité {name}", "small_counts": small_counts.note(rules)},
        items=ActivityItems(kpis=kpis, catalogue=catalogue, rules=rules, main=main),
    )


def _fiche(con: duckdb.DuckDBPyConnection, filters: Filters, lab: dict, in_filters: bool) -> LabFiche:
    code, name = str(lab["code"]), str(lab["nom"])
    labels = queries.labels(con)
    scope = lab_scope(con, lab, filters)
    projects = queries.projects(con, code)
    all_years = queries.school_years(con)
    years = school_years_between(all_years, filters.periode_debut, filters.periode_fin)
    profile = queries.lab_profile(con, code, years[-1], scope.filters) if years else pd.DataFrame()
    if not profile.empty:
        profile = profile[profile["valeur"].notna()]
    source = (
        f"Source : {lab['source']}"
        if lab["source"] != config.ILLUSTRATIVE
        else "Source : laboratoire illustratif (lieu plausible, non cité par le bilan)."
    )
    projects_source = (
        "" if projects.empty else "Source : " + " ; ".join(str(s) for s in dict.fromkeys(projects["source"])) + "."
    )
    return LabFiche(
        code=code,
        name=name,
        lab=lab,
        origin=cards.lab_origin(lab["source"]),
        facts=tuple((str(k), str(v)) for k, v in cards.lab_facts(lab, labels)),
        source=source,
        projects=projects,
        projects_source=projects_source,
        year=(years or all_years)[-1] if (years or all_years) else "",
        comparison_year=years[-1] if years else "",
        profile=profile,
        activity=_activity(con, scope, code, name),
        in_filters=in_filters,
        scope=scope,
        comparison_note=comparison_note(scope),
    )


@dataclass(frozen=True)
class LaboratoriesItems:
    """`View.items` of the Laboratoires page."""

    labs: pd.DataFrame  # the labs of the filters (`queries.laboratories(con, filters).data`)
    names: Mapping[str, str]  # every lab's code → name (a link may open a lab the filters do not list)
    fiche: LabFiche | None  # the fiche of the lab chosen (`params["labo"]`), None when none


def build_laboratories(
    con: duckdb.DuckDBPyConnection, filters: Filters, params: Mapping[str, str] | None = None
) -> View[LaboratoriesItems]:
    """The Laboratoires page for `filters` and the page's choices `params` (see the module docstring)."""
    params = dict(params or {})
    labels = queries.labels(con)
    every_lab = queries.laboratories(con, Filters())
    labs = queries.laboratories(con, filters)
    notices = [Notice(note, "filtre") for note in labs.ignored]
    if labs.empty:
        notices.append(Notice(labs.empty_reason or "Aucune donnée pour cette sélection.", "vide"))
    # the list's « À propos » says what its rows say: how many labs are cited by the bilan, how many are
    # illustrative (or cited with illustrative attributes) — one flag, one source line, never two answers
    partly = any(cards.is_illustrative_source(s) for s in labs.data["source"]) if not labs.empty else False
    bilan = published.academie(con).bilan
    table = Table(
        key="laboratoires",
        title=TITLE,
        frame=cards.labs_table(labs.data, labels),
        source=cards.labs_source_text(labs.data["source"], bilan) if not labs.empty else "",
        illustrative=bool(labs.illustrative) or partly,
        ignored=labs.ignored,
    )
    texts = {"count": cards.count_text(len(labs.data), len(every_lab.data))}
    if not labs.empty:
        texts["labs_source"] = cards.labs_source_text(labs.data["source"], bilan)
    fiche = None
    requested = params.get("labo") or ""
    rows = every_lab.data[every_lab.data["code"] == requested]
    if not rows.empty:
        fiche = _fiche(con, filters, rows.iloc[0].to_dict(), requested in set(labs.data["code"]))
    return View(
        page="laboratoires",
        title=TITLE,
        context=build_context(con, filters),
        subtitle=INTRO,
        tables=(table,),
        notices=tuple(notices),
        sources=tuple(labs.sources),
        origins=tuple(labs.origins),
        illustrative=table.illustrative,
        texts=texts,
        items=LaboratoriesItems(
            labs=labs.data,
            names=dict(zip(every_lab.data["code"], every_lab.data["nom"])),
            fiche=fiche,
        ),
    )
