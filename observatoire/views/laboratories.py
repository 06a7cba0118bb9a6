"""The Laboratoires page as data: `build_laboratories(con, filters, params) -> View` (no Streamlit).

`params`: the page's own choices, the same values as its URL parameters: `labo` (the lab whose fiche is shown;
optional). The view holds

- the list: `items["labs"]` (`queries.laboratories(con, filters).data`, the cards), the table `"laboratoires"`
  (what the « Tableau » tab shows; its files join the list cells), `texts["count"]` (« 12 laboratoires sur
  16 »), `texts["labs_source"]`, `notices` (a filter that does not apply, no lab for the filters), and
  `items["names"]` (code → name of EVERY lab: a shared link may open a lab outside the filters);
- the fiche of `labo` (`items["fiche"]`, a `LabFiche`, None without `labo` or for an unknown lab): facts,
  projects cited by the bilan, the comparison with the académie, and its activity as a `View` of its own
  (`LabFiche.activity`: KPI cards, the bar chart `"activite"`, the table `"activite"`), whose context is the
  period only — the activity of one lab does not depend on the territory, thème or niveau filters.

Texts are French and plain (not escaped): the page escapes them where they become Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from observatoire import config, queries, small_counts
from observatoire.figures import cards, formatting
from observatoire.filters import Filters, school_years_between
from observatoire.views.context import build_context
from observatoire.views.model import Figure, Notice, Table, View, source_line

TITLE = "Laboratoires numériques"
INTRO = ("Tiers-lieux éducatifs de l'académie : où ils sont, leurs thématiques, leurs niveaux, leur activité "
         "et les projets cités par le bilan.")
COMPARISON_NOTE = ("Part : part du laboratoire dans le total académique. Rang : parmi les laboratoires ayant une "
                   "valeur cette année-là (1 = le plus élevé). Tous les laboratoires de l'académie, sans filtre.")
NO_ACTIVITY = "Aucune activité enregistrée pour ce laboratoire sur la période choisie."


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
    activity: View  # KPI cards (`items["kpis"]`), figure and table "activite", their sources
    in_filters: bool = True  # False: opened from a link although the filters do not list it


def _activity(con: duckdb.DuckDBPyConnection, filters: Filters, code: str, name: str) -> View:
    """A lab's activity over the filters' period: one KPI card per `labo_*` indicator with data, the bar chart of
    its main indicator (not when it would show a small count), the table of every year."""
    catalogue = queries.indicators(con)
    lab_indicators = cards.lab_activity_indicators(catalogue)
    period = Filters(periode_debut=filters.periode_debut, periode_fin=filters.periode_fin)
    activity: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    illustrative = False
    for row in lab_indicators.to_dict("records"):
        result = queries.series(con, row["id"], period, by="laboratoire", annual=True)
        activity[row["id"]] = cards.lab_rows(result.data, code)
        if not activity[row["id"]].empty:
            for source, origin in zip(result.sources, result.origins):  # origin from the `origine` column
                sources[source] = origin if sources.get(source) in (None, origin) else config.ILLUSTRATIVE
            illustrative = illustrative or bool(activity[row["id"]]["illustratif"].any())
    kpis = tuple(cards.lab_activity_kpi(row, activity[row["id"]]) for row in lab_indicators.to_dict("records")
                 if not activity[row["id"]].empty)
    context = build_context(con, period)
    if not kpis:
        return View(page="laboratoires", title=f"Activité — {name}", context=context,
                    notices=(Notice(NO_ACTIVITY, "vide"),), items={"kpis": (), "catalogue": catalogue})
    rules = small_counts.policy()  # one lab: its small counts of people are shown « < 5 »
    people = small_counts.people_indicators(catalogue, rules)
    source = source_line(tuple(sources), tuple(sources.values()))
    main = "labo_personnes" if not activity.get("labo_personnes", pd.DataFrame()).empty else kpis[0].indicateur
    meta = catalogue.set_index("id").loc[main]
    figures: tuple[Figure, ...] = ()
    if not cards.masked(next(k for k in kpis if k.indicateur == main), rules):  # bars would show a small count
        title = f"{meta['libelle']} — {name}"
        figure = cards.activity_figure(activity[main], None, str(meta["unite"]))  # the page writes the title
        years = activity[main].sort_values("periode")
        alt = f"{title} : " + " ; ".join(f"{p} : {formatting.number(v)}"
                                         for p, v in zip(years["periode"], years["valeur"]))
        figures = (Figure(key="activite", title=title, figure=figure, alt=alt, source=source,
                          illustrative=illustrative),)
    table = Table(key="activite", title=f"Activité — {name}",
                  frame=cards.activity_table(activity, dict(zip(catalogue["id"], catalogue["libelle"])), people,
                                             rules),
                  source=source, illustrative=illustrative)
    return View(page="laboratoires", title=f"Activité — {name}", context=context, figures=figures,
                tables=(table,), sources=tuple(sources), origins=tuple(sources.values()),
                illustrative=illustrative,
                texts={"table_label": f"activité {name}", "small_counts": small_counts.note(rules)},
                items={"kpis": kpis, "catalogue": catalogue, "rules": rules, "main": main})


def _fiche(con: duckdb.DuckDBPyConnection, filters: Filters, lab: dict, in_filters: bool) -> LabFiche:
    code, name = str(lab["code"]), str(lab["nom"])
    labels = queries.labels(con)
    projects = queries.projects(con, code)
    all_years = queries.school_years(con)
    years = school_years_between(all_years, filters.periode_debut, filters.periode_fin)
    profile = queries.lab_profile(con, code, years[-1]) if years else pd.DataFrame()
    if not profile.empty:
        profile = profile[profile["valeur"].notna()]
    source = (f"Source : {lab['source']}" if lab["source"] != config.ILLUSTRATIVE
              else "Source : laboratoire illustratif (lieu plausible, non cité par le bilan).")
    projects_source = ("" if projects.empty
                       else "Source : " + " ; ".join(str(s) for s in dict.fromkeys(projects["source"])) + ".")
    return LabFiche(
        code=code, name=name, lab=lab, origin=cards.lab_origin(lab["source"]),
        facts=tuple((str(k), str(v)) for k, v in cards.lab_facts(lab, labels)), source=source, projects=projects,
        projects_source=projects_source, year=(years or all_years)[-1] if (years or all_years) else "",
        comparison_year=years[-1] if years else "", profile=profile,
        activity=_activity(con, filters, code, name), in_filters=in_filters)


def build_laboratories(con: duckdb.DuckDBPyConnection, filters: Filters,
                       params: Mapping[str, str] | None = None) -> View:
    """The Laboratoires page for `filters` and the page's choices `params` (see the module docstring)."""
    params = dict(params or {})
    labels = queries.labels(con)
    every_lab = queries.laboratories(con, Filters())
    labs = queries.laboratories(con, filters)
    notices = [Notice(note, "filtre") for note in labs.ignored]
    if labs.empty:
        notices.append(Notice(labs.empty_reason or "Aucune donnée pour cette sélection.", "vide"))
    table = Table(key="laboratoires", title=TITLE, frame=cards.labs_table(labs.data, labels),
                  source=source_line(labs.sources, labs.origins), illustrative=bool(labs.illustrative))
    texts = {"count": cards.count_text(len(labs.data), len(every_lab.data))}
    if not labs.empty:
        texts["labs_source"] = cards.labs_source_text(labs.data["source"])
    fiche = None
    requested = params.get("labo") or ""
    rows = every_lab.data[every_lab.data["code"] == requested]
    if not rows.empty:
        fiche = _fiche(con, filters, rows.iloc[0].to_dict(), requested in set(labs.data["code"]))
    return View(
        page="laboratoires", title=TITLE, context=build_context(con, filters), subtitle=INTRO, tables=(table,),
        notices=tuple(notices), sources=tuple(labs.sources), origins=tuple(labs.origins),
        illustrative=bool(labs.illustrative), texts=texts,
        items={"labs": labs.data, "names": dict(zip(every_lab.data["code"], every_lab.data["nom"])),
               "fiche": fiche})
