"""The séminaire presentation as data: `build_presentation(con, filters) -> Presentation`.

Slides, in order: title (académie, filters, school year, data version, QR code of the view), key figures,
bassins map with labs, 2–3 indicator evolutions, labs by thème, one highlighted bassin, sources. Every text is
French and formatted as on the screen (the same builders: `figures.cards`, `figures.classification`,
`figures.charts`); a slide fed by an illustrative input says so. The page « Présentation », the PPTX and the CLI
`presentation` render this same value.
"""

from __future__ import annotations

from collections import Counter

import duckdb
import pandas as pd

from observatoire import config, geo, queries, schema, small_counts
from observatoire.figures import cards, charts, classification, formatting
from observatoire.filters import Filters
from observatoire.views.context import build_context
from observatoire.views.model import Context, Figure, KeyFigure, Presentation, Slide
from observatoire.views.static_map import bassins_map_figure

TITLE = "Observatoire du numérique éducatif"
MAP_INDICATOR = "labo_personnes"
EVOLUTIONS = ("ent_visites", "gar_connexions", "pix_eleves_certifies")
MAX_KEY_FIGURES = 6
ILLUSTRATIVE_NOTE = "Données illustratives : certaines valeurs sont générées pour la démonstration."


def key_figure(kpi: queries.Kpi, rules: small_counts.Policy | None) -> KeyFigure:
    delta = cards.kpi_delta_text(kpi, rules) or ""
    # a change computed with an illustrative previous year is illustrative too
    origins = tuple(dict.fromkeys((*kpi.origines, *(kpi.origines_precedente if delta else ()))))
    return KeyFigure(label=kpi.libelle, value=cards.kpi_value_text(kpi, rules=rules), raw=kpi.valeur,
                     unit=kpi.unite, delta=delta.replace("vs", "par rapport à", 1) if delta else "",
                     origins=origins, source=cards.kpi_caption(kpi))


def _title_slide(context: Context) -> Slide:
    return Slide("titre", TITLE, context.academie,
                 bullets=(f"Année scolaire {context.school_year}", context.filters_text, context.version_text),
                 notes=f"{TITLE}, {context.academie}. {context.filters_text}. {context.version_text}.")


def _key_figures_slide(kpis: list[queries.Kpi], filters: Filters, context: Context) -> Slide:
    rules = small_counts.policy() if filters.bassins else None
    shown = [k for k in kpis if k.valeur is not None][:MAX_KEY_FIGURES]
    figures = tuple(key_figure(k, rules) for k in shown)
    illustrative = any(f.illustrative for f in figures) or any(k.illustratif for k in shown)
    notes = "\n".join(f"{f.label} : {f.value}" + (f" ({f.delta})" if f.delta else "") + f". {f.source}"
                      for f in figures)
    year = cards.kpi_year_text(kpis) or context.school_year
    sources = [s for k in shown for s in k.sources]
    origins = [o for k in shown for o in (k.sources_origines or ("",) * len(k.sources))]
    source = cards.short_source(sources, origins=origins) if sources else ""
    return Slide("chiffres", f"Chiffres clés {year}", context.filters_text, figures=figures, notes=notes,
                 source=source, illustrative=illustrative)


def _map_slide(con: duckdb.DuckDBPyConnection, filters: Filters, year: str) -> Slide | None:
    meta = queries.indicator(con, MAP_INDICATOR)
    result = queries.values_by_bassin(con, MAP_INDICATOR, year, filters)
    if result.empty_reason or result.data.empty:
        return None
    data = result.data
    unit = str(meta["unite"])
    mask = small_counts.for_level(unit, "bassin")
    classes = classification.classify(data["valeur"], classification.DEFAULT_METHOD, 5, mask=mask)
    colors = {code: classes.color(b) for code, b in zip(data["code"], classes.bins, strict=True)}
    values = {code: classification.format_value(v, unit, mask) for code, v in zip(data["code"], data["valeur"],
                                                                                   strict=True)}
    labs = queries.laboratories(con, filters, open_in=year).data
    marker = pd.DataFrame({
        "lon": labs["longitude"], "lat": labs["latitude"], "nom": labs["nom"],
        "couleur": [classification.MARKER_HEX[classification.theme_style(classification.main_theme(t))[1]]
                    for t in labs["thematiques"]],
    }) if not labs.empty else None
    label = str(meta["libelle"])
    figure = bassins_map_figure(geo.geojson_dict("bassins"), geo.geojson_dict("departements"), colors,
                                dict(zip(data["code"], data["nom"], strict=True)),
                                classification.legend_items(classes, unit), f"{label}, {year}", marker,
                                values=values)
    ranked = data.dropna(subset=["valeur"]).sort_values("valeur", ascending=False)
    top = [f"{n} : {values[c]}" for c, n in zip(ranked["code"].head(3), ranked["nom"].head(3), strict=True)]
    alt = (f"Carte des {len(data)} bassins colorés selon {_lower_first(label)} en {year} "
           f"({classification.METHOD_PHRASES[classification.DEFAULT_METHOD]}), et {len(labs)} laboratoires. "
           + ("Bassins en tête : " + " ; ".join(top) + "." if top else ""))
    source = ", ".join(result.sources)
    view = Figure("carte-bassins", f"{label} par bassin, {year}", figure, alt, source, result.illustrative)
    notes = (f"{len(labs)} laboratoires dans {labs['bassin'].nunique() if not labs.empty else 0} bassins. "
             + ("En tête : " + " ; ".join(top) + "." if top else ""))
    return Slide("carte", "Les bassins et les laboratoires", f"{label}, {year}", figure=view, notes=notes,
                 source=source, illustrative=result.illustrative)


def _evolution_slides(con: duckdb.DuckDBPyConnection, filters: Filters, kpis: list[queries.Kpi]) -> list[Slide]:
    wanted = [k for k in kpis if k.indicateur in EVOLUTIONS and len(k.historique) >= 2]
    slides = []
    for kpi in wanted:
        result = queries.series(con, kpi.indicateur, filters, annual=True)
        frame = result.data
        if result.empty_reason or frame.empty:
            continue
        rules = small_counts.policy() if filters.bassins else None
        fig = charts.line_figure(frame, kpi.unite, height=560, mask=rules)
        totals = frame.dropna(subset=["valeur"]).groupby("periode")["valeur"].sum().sort_index()
        # a bassin's small count of people reads « < 5 » in the alt text and the notes too, as in the chart
        mask = small_counts.for_level(kpi.unite, "bassin") if filters.bassins else None
        points = [f"{p} : {charts.value_with_unit(v, kpi.unite, mask)}" for p, v in totals.items()]
        alt = f"Évolution {_of(_lower_first(kpi.libelle))} par année scolaire : " + " ; ".join(points) + "."
        source = ", ".join(result.sources)
        view = Figure(f"evolution-{kpi.indicateur}", f"{kpi.libelle} par année scolaire", fig, alt, source,
                      result.illustrative)
        delta = cards.kpi_delta_text(kpi, rules)
        slides.append(Slide("evolution", kpi.libelle, "Évolution par année scolaire", figure=view,
                            figures=(key_figure(kpi, rules),), notes=" ; ".join(points)
                            + (f". Dernière évolution : {delta}." if delta else "."), source=source,
                            illustrative=result.illustrative))
    return slides


def _labs_slide(con: duckdb.DuckDBPyConnection, filters: Filters, year: str) -> Slide:
    result = queries.laboratories(con, filters, open_in=year)
    labs = result.data
    labels = queries.labels(con).thematiques
    themes = Counter(classification.main_theme(t) for t in labs["thematiques"]) if not labs.empty else Counter()
    bullets = tuple(f"{labels.get(t, t)} : {n} laboratoire{'s' if n > 1 else ''}"
                    for t, n in sorted(themes.items(), key=lambda x: (-x[1], labels.get(x[0], x[0]))))
    bassins = labs["bassin"].nunique() if not labs.empty else 0
    subtitle = f"{len(labs)} laboratoire{'s' if len(labs) != 1 else ''} dans {bassins} bassin" \
               f"{'s' if bassins != 1 else ''}, ouverts en {year}"
    illustrative = bool(result.illustrative)
    names = "; ".join(f"{n} ({c})" for n, c in zip(labs["nom"], labs["commune"], strict=True))
    return Slide("laboratoires", "Les laboratoires numériques par thème", subtitle,
                 bullets=bullets or ("Aucun laboratoire pour ces filtres.",), notes=names,
                 source=cards.labs_source_text(labs["source"]).removeprefix("Source : ") if not labs.empty else "",
                 illustrative=illustrative)


def _lower_first(label: str) -> str:
    """« Visites de l'ENT » → « visites de l'ENT » (inside a sentence; acronyms keep their capitals)."""
    first = label.split(" ", 1)[0]
    return label if len(first) > 1 and first.isupper() else label[:1].lower() + label[1:]


def _of(name: str) -> str:
    """« de Forbach », « d'Épinal » (French elision)."""
    return f"d'{name}" if name[:1].lower() in "aeiouyhàâéèêëîïôöûüœ" else f"de {name}"


def _focus_slide(con: duckdb.DuckDBPyConnection, filters: Filters, kpis: list[queries.Kpi], year: str,
                 highlight: str | None) -> Slide | None:
    """One bassin highlighted: the chosen one, else the first bassin of the filters, else the bassin with the
    most people in the labs; its key figures with their share of the académie's."""
    values = queries.values_by_bassin(con, MAP_INDICATOR, year, filters).data
    if values.empty:
        return None
    code = highlight or (filters.bassins[0] if filters.bassins else None)
    if code is None:
        ranked = values.dropna(subset=["valeur"]).sort_values(["valeur", "code"], ascending=[False, True])
        if ranked.empty:
            return None
        code = str(ranked["code"].iloc[0])
    row = values[values["code"] == code]
    if row.empty:
        return None
    name = str(row["nom"].iloc[0])
    base = filters.with_(bassins=(), departements=())
    academie = {k.indicateur: k for k in queries.kpis(con, base)}
    bullets, illustrative = [], False
    for kpi in kpis:
        per_bassin = queries.values_by_bassin(con, kpi.indicateur, year, base)
        mine = per_bassin.data[per_bassin.data["code"] == code]
        if mine.empty or pd.isna(mine["valeur"].iloc[0]):
            continue
        value = float(mine["valeur"].iloc[0])
        mask = small_counts.for_level(kpi.unite, "bassin")
        text = f"{kpi.libelle} : {classification.format_value(value, kpi.unite, mask)}"
        total = academie.get(kpi.indicateur)
        additive = kpi.unite != schema.RATE_UNIT
        if total is not None and total.valeur and additive and not (mask is not None and mask.is_small(value)):
            text += f" ({formatting.percent(value / total.valeur * 100)} de l'académie)"
        bullets.append(text)
        illustrative = illustrative or bool(mine["illustratif"].iloc[0])
    labs = queries.laboratories(con, filters.with_(bassins=(code,), departements=()), open_in=year).data
    if not labs.empty:
        bullets.append("Laboratoires : " + ", ".join(labs["nom"]))
    return Slide("focus", f"Zoom sur le bassin {_of(name)}", f"Année scolaire {year}", bullets=tuple(bullets[:8]),
                 notes="\n".join(bullets), illustrative=illustrative)


def _sources_slide(context: Context, sources: list[str], illustrative: bool) -> Slide:
    acad = config.academie()
    named = sorted({s for s in sources if s and s != config.ILLUSTRATIVE and not s.startswith(acad.bilan)})
    bullets: tuple[str, ...] = (acad.bilan, *named[:6])
    if illustrative:
        bullets += (ILLUSTRATIVE_NOTE,)
    bullets += (context.version_text + ".", "Tableau de bord : observatoire du numérique éducatif de la DRANE.")
    return Slide("sources", "Sources", context.academie, bullets=bullets, notes="\n".join(bullets))


def build_presentation(con: duckdb.DuckDBPyConnection, filters: Filters, url: str = "",
                       highlight: str | None = None) -> Presentation:
    """The slides for `filters` on the version `con` reads (`url`: the view's link, for the QR code)."""
    kpis = queries.kpis(con, filters)
    year = cards.kpi_year_text(kpis) or (queries.school_years(con) or [""])[-1]
    context = build_context(con, filters, school_year=year, url=url)
    slides: list[Slide] = [_title_slide(context), _key_figures_slide(kpis, filters, context)]
    for slide in (_map_slide(con, filters, year), *_evolution_slides(con, filters, kpis),
                  _labs_slide(con, filters, year), _focus_slide(con, filters, kpis, year, highlight)):
        if slide is not None:
            slides.append(slide)
    raw_sources = [s for k in kpis for s in k.sources]
    slides.append(_sources_slide(context, raw_sources, any(s.illustrative for s in slides)))
    return Presentation(context, TITLE, tuple(slides))
