"""Indicateurs — one indicator in detail: definition, series by breakdown, months, bassin ranking, evolution.

Page-level choices are mirrored in the URL (`indicateur`, `par`, `annee`, `de_annee`, `a_annee`) through
`components.sidebar.url_selectbox`; the shared filters come from the sidebar (`st.session_state["filters"]`).
One cached query per chart (`components.context`), figures built by `components.charts`.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from components import context, picker
from components.charts import render_figure, table_column_config
from components.common import render_data_table, render_empty, render_notes, render_source, result_about
from components.sidebar import label_of, url_selectbox
from observatoire import queries, small_counts
from observatoire.figures import charts
from observatoire.filters import Filters, school_years_between
from observatoire.labels import Labels
from observatoire.text import escape_markdown

DEFAULT_INDICATOR = "ent_visites"
BREAKDOWNS = dict(queries.BREAKDOWNS)
GRANULARITY = {"annuelle": "annuelle (année scolaire)", "mensuelle": "mensuelle"}
AGGREGATION = {"somme": "somme des territoires", "moyenne": "moyenne des territoires",
               "dernier": "dernière valeur connue"}
TABS = ["Évolution", "Mois", "Classement des bassins", "Évolution en %"]


def _selection_name(filters: Filters, labels: Labels, ignored: tuple[str, ...]) -> str | None:
    """French name of the filtered territory (the « Ensemble » line is not the académie when filtered)."""
    if any(note.startswith("Territoire") for note in ignored):
        return None
    if filters.bassins:
        names = [labels.of("bassins", b) for b in filters.bassins]
    elif filters.departements:
        names = [labels.of("departements", d) for d in filters.departements]
    else:
        return None
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} territoires choisis"


def _working_breakdowns(indicator: str, filters: Filters, exclude: str) -> list[str]:
    """Breakdowns that give data for this indicator and filters (only computed on an empty result)."""
    return [label for by, label in BREAKDOWNS.items()
            if by != exclude and not context.series(indicator, filters, by=by, annual=True).empty]


def _monthly_companion(indicator: str, catalogue: pd.DataFrame) -> str | None:
    granularity = dict(zip(catalogue["id"], catalogue["granularite"]))
    if granularity.get(indicator) == "mensuelle":
        return indicator
    companion = f"{indicator}_mois"
    return companion if granularity.get(companion) == "mensuelle" else None


def _definition(meta: dict, years: list[str]) -> None:
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(meta['libelle'])}** — {escape_markdown(meta['definition'])}")
        period = f"{years[0]} à {years[-1]}" if len(years) > 1 else (years[0] if years else "—")
        granularity = GRANULARITY.get(meta["granularite"], meta["granularite"])
        aggregation = AGGREGATION.get(meta["agregation"], meta["agregation"])
        e = escape_markdown
        st.caption(
            f"Unité : **{e(meta['unite'])}** · Granularité : {e(granularity)} · Agrégation : {e(aggregation)}"
            f" · Période affichée : {e(period)} · Source : {e(meta['source'])}"
        )


# ------------------------------------------------------------------------------------------------ tabs


def _mask(unit: str, by: str, filters: Filters, ignored: tuple[str, ...]) -> small_counts.Policy | None:
    """Small counts of people to show « < 5 »: the groups are bassins or labs, or the values are read from the
    chosen bassins (a bassin filter that applies)."""
    level = by
    if by not in ("bassin", "laboratoire", "departement") and filters.bassins \
            and not any(note.startswith("Territoire") for note in ignored):
        level = "bassin"
    return small_counts.for_level(unit, level)


def _small_counts_note(mask: small_counts.Policy | None) -> None:
    if mask is not None:
        st.caption(escape_markdown(small_counts.note(mask)))


def _series_section(indicator: str, meta: dict, by: str, filters: Filters, labels: Labels,
                    years: list[str]) -> None:
    unit = meta["unite"]
    label = BREAKDOWNS[by]
    heading = f"{meta['libelle']} par année scolaire" + ("" if by == "total" else f", par {label.lower()}")
    st.subheader(escape_markdown(heading), anchor=False)
    result = context.series(indicator, filters, by=by, annual=True)
    render_notes(result.ignored)
    if result.empty:
        working = _working_breakdowns(indicator, filters, by) if by != "total" else []
        if working:  # the breakdown is the problem, not the filters
            reason = escape_markdown(result.empty_reason or "Aucune donnée pour ce découpage.")
            st.info(f"{reason} Découpages disponibles pour cet indicateur avec ces filtres : "
                    + ", ".join(f"«\u00a0{w}\u00a0»" for w in working)
                    + ". Choisissez-en un dans « Découper par ».", icon=":material/lightbulb:")
        else:
            render_empty(result.empty_reason)
        return
    frame = result.data
    if by == "total":
        name = _selection_name(filters, labels, result.ignored)
        if name:
            frame = frame.assign(libelle=name)
    if meta["granularite"] == "mensuelle":
        st.caption("Valeur de chaque année scolaire : somme des mois (détail dans l'onglet « Mois »).")
    groups = frame["groupe"].nunique()
    shown, others = charts.top_groups(frame)
    if others:
        if st.toggle(f"Tracer les {groups} courbes (sinon les {charts.MAX_GROUPS} plus élevées)",
                     key="ind_all_groups"):
            shown, others = frame, []
        else:
            st.caption(f"Courbes tracées : les {charts.MAX_GROUPS} valeurs les plus élevées de la dernière année. "
                       f"Non tracées ({len(others)}) : " + escape_markdown(", ".join(others))
                       + " — voir le tableau de données.")
    mask = _mask(unit, by, filters, result.ignored)  # bassins, labs: small counts of people « < 5 »
    figure = charts.line_figure(shown, unit, periods=[p for p in years if p in set(frame["periode"])], mask=mask)
    render_figure(figure, "chart_series",
                         alt=f"Courbes : {heading}, {years[0]} à {years[-1]}. Valeurs dans le tableau de données.")
    render_source(result.sources, result.illustrative, result.origins)
    table = charts.display_table(frame, "series", unit, group=label if by != "total" else "Territoire",
                                 mask=mask)
    render_data_table(table, heading, "tbl_series", column_config=table_column_config(table), figure=figure,
                      about=result_about(heading, result, indicator=meta['libelle'], unit=unit))
    _small_counts_note(mask)


def _monthly_section(indicator: str, meta: dict, filters: Filters, catalogue: pd.DataFrame,
                     labels: Labels) -> None:
    monthly = _monthly_companion(indicator, catalogue)
    if monthly is None:
        names = [r["libelle"] for r in catalogue.to_dict("records")
                 if _monthly_companion(r["id"], catalogue) is not None]
        st.info(f"« {escape_markdown(meta['libelle'])} » est un indicateur annuel : il n'a pas de détail mensuel. "
                "Détail mensuel disponible pour : " + ", ".join(f"« {escape_markdown(n)} »" for n in names) + ".",
                icon=":material/event_busy:")
        return
    info = catalogue.set_index("id").loc[monthly]
    unit = info["unite"]
    heading = f"{info['libelle']}, de septembre à août"
    st.subheader(escape_markdown(heading), anchor=False)
    result = context.series(monthly, filters, by="total")
    render_notes(result.ignored)
    if result.empty:
        render_empty(result.empty_reason)
        return
    where = _selection_name(filters, labels, result.ignored) or "ensemble de l'académie"
    st.caption(f"Une courbe par année scolaire ({escape_markdown(where)}, filtres appliqués). "
               f"{escape_markdown(info['definition'])}")
    mask = _mask(unit, "total", filters, result.ignored)
    figure = charts.monthly_figure(result.data, unit, mask=mask)
    render_figure(figure, "chart_monthly",
                         alt=f"Courbes mensuelles : {heading}. Valeurs dans le tableau de données.")
    render_source(result.sources, result.illustrative, result.origins)
    table = charts.display_table(result.data, "monthly", unit, mask=mask)
    render_data_table(table, heading, "tbl_monthly", column_config=table_column_config(table), figure=figure,
                      about=result_about(heading, result, indicator=info['libelle'], unit=unit))
    _small_counts_note(mask)


def _ranking_section(indicator: str, meta: dict, filters: Filters, labels: Labels, years: list[str]) -> None:
    unit = meta["unite"]
    latest_first = list(reversed(years))
    title = st.empty()  # the heading names the year chosen just below it
    annee = url_selectbox("Année scolaire", latest_first, "annee", "ind_annee", default=latest_first[0],
                          width=260)
    heading = f"Classement des bassins : {meta['libelle']}, {annee}"
    title.subheader(escape_markdown(heading), anchor=False)
    result = context.values_by_bassin(indicator, annee, filters)
    render_notes(result.ignored)
    if result.empty_reason:
        render_empty(result.empty_reason)
        return
    frame = result.data
    scope = []
    if filters.departements:
        scope.append("bassins des départements choisis ("
                     + ", ".join(labels.of("departements", d) for d in filters.departements) + ")")
    if filters.bassins:
        scope.append("bassins choisis en couleur, les autres en clair pour comparaison")
    if scope:
        st.caption("Classement : " + escape_markdown(" ; ".join(scope)) + ".")
    missing = frame.loc[frame["valeur"].isna(), "nom"].tolist()
    if missing:
        st.caption(f"Pas de donnée pour {annee} : " + escape_markdown(", ".join(str(m) for m in missing))
                   + " (non classés).")
    mask = small_counts.for_level(unit, "bassin")
    figure = charts.ranking_figure(frame, unit, mask=mask)
    render_figure(figure, "chart_ranking",
                         alt=f"Barres horizontales : {heading}, du plus élevé au plus faible. "
                             "Valeurs dans le tableau de données.")
    render_source(result.sources, result.illustrative, result.origins)
    table = charts.display_table(frame, "ranking", unit, mask=mask)
    render_data_table(table, heading, "tbl_ranking", column_config=table_column_config(table), figure=figure,
                      about=result_about(heading, result, indicator=meta['libelle'], unit=unit))
    _small_counts_note(mask)


def _evolution_section(indicator: str, meta: dict, by: str, filters: Filters, years: list[str]) -> None:
    unit = meta["unite"]
    if len(years) < 2:
        render_empty("La période choisie ne contient qu'une année scolaire : il en faut deux pour calculer "
                     "une évolution (filtres « Depuis » et « Jusqu'à »).")
        return
    title = st.empty()
    left, right, _ = st.columns([1, 1, 2])
    year_a = url_selectbox("De", years, "de_annee", "ind_de", default=years[0], container=left)
    year_b = url_selectbox("À", years, "a_annee", "ind_a", default=years[-1], container=right)
    group_by = by if by != "total" else "bassin"
    heading = f"{meta['libelle']} : évolution de {year_a} à {year_b}, par {BREAKDOWNS[group_by].lower()}"
    title.subheader(escape_markdown(heading), anchor=False)
    if year_a == year_b:
        st.info("Choisissez deux années scolaires différentes pour calculer une évolution.",
                icon=":material/compare_arrows:")
        return
    result = context.evolution(indicator, filters, group_by, year_a, year_b)
    render_notes(result.ignored)
    if result.empty:
        render_empty(result.empty_reason)
        return
    mask = _mask(unit, group_by, filters, result.ignored)
    data = charts.mask_evolution(result.data, mask)
    notes = []
    if by == "total":
        notes.append("Découpage « Ensemble » : l'évolution est détaillée par bassin.")
    if unit == "%":
        notes.append("Évolution relative du taux (et non différence en points).")
    if result.data["evolution_pct"].isna().any():
        notes.append(f"« {charts.NOT_AVAILABLE} » : pas de valeur en {year_a} (ou valeur nulle), évolution non "
                     "calculable.")
    if "secret" in data and data["secret"].any():
        notes.append(f"« {charts.NOT_AVAILABLE} ({charts.SECRET}) » : une des deux valeurs est un petit "
                     f"effectif (« {mask.label} »), l'évolution le révélerait.")  # type: ignore[union-attr]
    if notes:
        st.caption(" ".join(notes))
    figure = charts.evolution_figure(data, unit, mask=mask)
    render_figure(figure, "chart_evolution",
                         alt=f"Barres divergentes : {heading}. Hausses à droite, baisses à gauche. "
                             "Valeurs dans le tableau de données.")
    render_source(result.sources, result.illustrative, result.origins)
    table = charts.display_table(data, "evolution", unit, group=BREAKDOWNS[group_by],
                                 year_a=year_a, year_b=year_b, mask=mask)
    render_data_table(table, heading, "tbl_evolution", column_config=table_column_config(table), figure=figure,
                      about=result_about(heading, result, indicator=meta['libelle'], unit=unit))
    _small_counts_note(mask)


# ------------------------------------------------------------------------------------------------ page

filters: Filters = st.session_state.get("filters") or Filters()
choices = context.choices()
catalogue = context.indicators()
names = {r["id"]: f"{r['domaine']} — {r['libelle']}" for r in catalogue.to_dict("records")}
years = school_years_between(choices.annees, filters.periode_debut, filters.periode_fin)

st.title("Indicateurs", anchor=False)
choose, split = st.columns([3, 1])
choose_box, toggle_box = choose.container(), choose.container()  # the switch below the selectbox
indicator = picker.render_picker("Indicateur", list(catalogue["id"]), names, context.filter_response(filters),
                                 filters, "indicateur", "ind_indicateur", DEFAULT_INDICATOR, container=choose_box,
                                 toggle_container=toggle_box,
                                 help="Indicateurs classés par domaine (domaine — indicateur). Avec un niveau "
                                      "ou un thème choisi : seulement ceux qui sont détaillés par ce filtre.")
by = url_selectbox("Découper par", list(BREAKDOWNS), "par", "ind_par", format_func=partial(label_of, BREAKDOWNS),
                   default="total", container=split,
                   help="Une courbe par groupe. Tous les indicateurs ne sont pas détaillés partout.")
meta = catalogue.set_index("id").loc[indicator].to_dict() | {"id": indicator}
labels = choices.labels
_definition(meta, years)

series_tab, monthly_tab, ranking_tab, evolution_tab = st.tabs(TABS)
with series_tab:
    _series_section(indicator, meta, by, filters, labels, years)
with monthly_tab:
    _monthly_section(indicator, meta, filters, catalogue, labels)
with ranking_tab:
    _ranking_section(indicator, meta, filters, labels, years)
with evolution_tab:
    _evolution_section(indicator, meta, by, filters, years)
