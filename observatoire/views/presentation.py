"""The séminaire presentation as data: `build_presentation(con, filters) -> Presentation`.

Slides, in order: title (académie, filters, school year, data version, QR code of the view), key figures (every
key figure of the overview, `KEY_FIGURES_PER_SLIDE` a slide: two slides when needed), bassins map with labs,
2–3 indicator evolutions, labs by thème, one highlighted bassin, sources. Every text is French and formatted as
on the screen (the same builders: `figures.cards`, `figures.classification`, `figures.charts`); a slide fed by an
illustrative input says so.

What each slide says about itself (a forwarded slide has no other context): `Slide.scope` names the territory
and the filters that apply to what it shows, and a chosen filter that does not apply is written « non
appliqué » (`Context.scoped`), never as applied; a key figure whose indicator ignores a filter says so on its
card (`KeyFigure.scope_note`). Years: the key figures are each of the latest school year that has a value; when
they mix years (a new year imported for some sources only) the headline says the rule (« Chiffres clés :
2024-2025 quand disponible, sinon 2023-2024 ») and each card not of the headline year says its own
(`KeyFigure.year_note`). No slide disappears: the map and the zoom use the latest year that has values per
bassin and say so, or say why they are empty.

The page « Présentation », the PPTX and the CLI `presentation` render this same value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import duckdb
import pandas as pd

from observatoire import config, published, queries, schema, small_counts
from observatoire.figures import cards, charts, classification, formatting
from observatoire.filters import Filters
from observatoire.text import escape_markdown
from observatoire.views.context import build_context, element_context, not_applied_note
from observatoire.views.model import Card, Context, Figure, KeyFigure, Presentation, Slide
from observatoire.views.static_map import bassins_map_figure, lab_markers

TITLE = "Observatoire du numérique éducatif"
KEY_FIGURES_PER_SLIDE = 4
"""Key figures on one slide (2 × 2 cards): each card keeps its value at 44 pt and every other line ≥ 14 pt."""
ILLUSTRATIVE_NOTE = "Données illustratives : certaines valeurs sont générées pour la démonstration."
LATEST = "dernière année disponible"
CARD_SCOPE_NOTE = "Un filtre qui ne s'applique pas à un chiffre est signalé sur sa carte."


def map_indicator(con: duckdb.DuckDBPyConnection) -> str:
    """The indicator of the overview's small map and of the slides' map: the académie's `carte` (academie.json
    `indicateurs`, as the version holds it), else its `defaut`, else the first headline indicator."""
    roles = published.academie(con).indicateurs
    if roles.carte or roles.defaut:
        return roles.carte or roles.defaut
    first = con.execute("SELECT id FROM indicateurs ORDER BY coalesce(kpi, 99), id LIMIT 1").fetchall()
    return str(first[0][0]) if first else ""


def key_figure(
    kpi: queries.Kpi,
    rules: small_counts.Policy | None,
    headline: str | None = None,
    meta: Mapping[str, object] | None = None,
    bilan: str = "",
) -> KeyFigure:
    """A key figure as the overview card and the slides show it; `headline`: the year the page or slide is
    about (a value of another year says its own: `year_note`). With `meta` (the indicator's catalogue row:
    `definition`, `domaine`, `source`), its screen `Card` too (`bilan`: how the académie cites its bilan)."""
    delta = cards.kpi_delta_text(kpi, rules) or ""
    # a change computed with an illustrative previous year is illustrative too
    origins = tuple(dict.fromkeys((*kpi.origines, *(kpi.origines_precedente if delta else ()))))
    mark = "évolution illustrative" if delta and not kpi.valeur_illustrative and kpi.evolution_illustrative else ""
    return KeyFigure(
        label=kpi.libelle,
        value=cards.kpi_value_text(kpi, rules=rules),
        raw=kpi.valeur,
        unit=kpi.unite,
        delta=delta.replace("vs", "par rapport à", 1) if delta else "",
        origins=origins,
        source=cards.kpi_caption(kpi),
        year=kpi.annee if kpi.valeur is not None else "",
        year_note=cards.kpi_year_note(kpi, headline),
        scope_note=not_applied_note(queries.not_applied_filters(kpi.ignored)),
        illustrative_mark=mark,
        indicator=kpi.indicateur,
        card=card_face(kpi, rules, meta, bilan) if meta is not None else None,
        sources=tuple(kpi.sources),
        source_origins=tuple(kpi.sources_origines or ("",) * len(kpi.sources)),
        inputs_illustrative=bool(kpi.illustratif),
    )


def card_face(
    kpi: queries.Kpi, rules: small_counts.Policy | None, meta: Mapping[str, object], bilan: str = ""
) -> Card:
    """The screen card of `kpi` (`Card`): what `figures.cards` formats for it, once."""

    def text(key: str) -> str | None:
        value = meta.get(key)
        return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)

    color, arrow = cards.kpi_delta_style(kpi)
    badge = cards.kpi_badge(kpi) or ""
    lines = [escape_markdown(line) for line in cards.kpi_origin_lines(kpi, rules)]
    badge_help = "\n\n".join([*lines, cards.illustrative_explanation(bilan)]) if badge else ""
    return Card(
        icon=cards.DOMAIN_ICONS.get(text("domaine") or "", ":material/insights:"),
        help=cards.kpi_help(kpi, text("definition"), rules, bilan),
        value_markup=cards.kpi_value_text(kpi, markup=True, rules=rules),
        delta=cards.kpi_card_delta_text(kpi, rules),
        delta_color=color,
        delta_arrow=arrow,
        badge=badge,
        badge_help=badge_help,
        sparkline=cards.kpi_sparkline(kpi, rules),
        caption=cards.kpi_caption(kpi, text("source")),
    )


def catalogue_rows(catalogue: pd.DataFrame) -> dict[str, dict[str, object]]:
    """The catalogue's rows by indicator id (`key_figure`'s `meta`)."""
    if catalogue is None or catalogue.empty:
        return {}
    return {str(row["id"]): row for row in catalogue.to_dict("records")}


def year_line(kpis: list[queries.Kpi], year: str) -> str:
    """« Année scolaire 2023-2024 », or « Chiffres clés : 2024-2025 quand disponible, sinon 2023-2024 »."""
    rule = cards.kpi_year_rule(kpis)
    return f"Chiffres clés : {rule}" if rule and rule != year else f"Année scolaire {year}"


def _title_slide(context: Context, years: str) -> Slide:
    return Slide(
        "titre",
        TITLE,
        context.academie,
        bullets=(years, context.filters_text, context.version_text),
        notes=f"{TITLE}, {context.academie}. {years}. {context.filters_text}. {context.version_text}.",
    )


def _key_figures_slides(key_figures: tuple[KeyFigure, ...], context: Context) -> list[Slide]:
    """The overview's key figures (`build_overview(...).key_figures`: the same values, changes, origins and
    notes as its cards), `KEY_FIGURES_PER_SLIDE` a slide."""
    figures = [f for f in key_figures if f.raw is not None]
    year = next(iter(sorted({f.year for f in figures if f.year}, reverse=True)), "") or context.school_year
    rule = _year_rule(figures) or year
    title = f"Chiffres clés {year}" if rule == year else f"Chiffres clés : {rule}"
    count = max(1, -(-len(figures) // KEY_FIGURES_PER_SLIDE))
    size = -(-len(figures) // count) if figures else 0  # balanced: 7 → 4 + 3
    scope = CARD_SCOPE_NOTE if any(f.scope_note for f in figures) else ""
    slides = []
    for index in range(count):
        part = figures[index * size : (index + 1) * size]
        illustrative = any(f.illustrative or f.inputs_illustrative for f in part)
        notes = "\n".join(
            f"{f.label} : {f.value}"
            + (f" ({f.delta})" if f.delta else "")
            + (f" — {f.year_note}" if f.year_note else "")
            + (f" — {f.scope_note}" if f.scope_note else "")
            + f". {f.source}"
            for f in part
        )
        sources = [s for f in part for s in f.sources]
        origins = [o for f in part for o in f.source_origins]
        source = cards.short_source(sources, origins=origins) if sources else ""
        suffix = f" ({index + 1}/{count})" if count > 1 else ""
        slides.append(
            Slide(
                "chiffres",
                title + suffix,
                context.scope_text,
                figures=tuple(part),
                notes=notes,
                source=source,
                illustrative=illustrative,
                scope=scope,
            )
        )
    if not figures:
        slides.append(
            Slide(
                "chiffres",
                title,
                context.scope_text,
                bullets=("Aucun chiffre clé pour ces filtres.",),
                scope=scope,
            )
        )
    return slides


def _year_rule(figures: list[KeyFigure]) -> str:
    """`cards.kpi_year_rule` of key figures: « 2024-2025 quand disponible, sinon 2023-2024 » when years mix."""
    years = sorted({f.year for f in figures if f.year})
    if len(years) < 2:
        return years[0] if years else ""
    return f"{years[-1]} quand disponible, sinon " + " ou ".join(reversed(years[:-1]))


def latest_bassin_values(
    con: duckdb.DuckDBPyConnection, indicator: str, year: str, filters: Filters
) -> tuple[queries.Result, str]:
    """`values_by_bassin` of `year`, or of the latest earlier school year that has values per bassin (a new
    year imported for some sources only): (result, the year used)."""
    result = queries.values_by_bassin(con, indicator, year, filters)
    if not result.empty_reason:
        return result, year
    series = queries.series(con, indicator, filters.with_(bassins=()), by="bassin", annual=True).data
    known = (
        sorted({str(p) for p in series.dropna(subset=["valeur"])["periode"] if str(p) <= year})
        if not series.empty
        else []
    )
    if not known:
        return result, year
    return queries.values_by_bassin(con, indicator, known[-1], filters), known[-1]


def _year_said(used: str, year: str) -> str:
    return used if used == year else f"{used} ({LATEST}, {year} non publiée)"


def _map_slide(con: duckdb.DuckDBPyConnection, filters: Filters, year: str, context: Context) -> Slide:
    mapped = map_indicator(con)
    meta = queries.indicator(con, mapped)
    label = str(meta["libelle"])
    result, used = latest_bassin_values(con, mapped, year, filters)
    scope = element_context(context, result.ignored).scope_text
    title = "Les bassins et les laboratoires"
    if result.empty_reason or result.data.empty:
        reason = result.empty_reason or "Aucune donnée par bassin pour ces filtres."
        return Slide("carte", title, f"{label}, {year}", bullets=(reason,), notes=reason, scope=scope)
    data = result.data
    unit = str(meta["unite"])
    mask = small_counts.for_level(unit, "bassin", published.policy(con))
    classes = classification.classify(data["valeur"], classification.DEFAULT_METHOD, 5, mask=mask)
    colors = {code: classes.color(b) for code, b in zip(data["code"], classes.bins, strict=True)}
    values = {
        code: classification.format_value(v, unit, mask)
        for code, v in zip(data["code"], data["valeur"], strict=True)
    }
    labs = queries.laboratories(con, filters, open_in=used).data
    said = _year_said(used, year)
    figure = bassins_map_figure(
        published.geojson(con, "bassins"),
        published.geojson(con, "departements"),
        colors,
        dict(zip(data["code"], data["nom"], strict=True)),
        classification.legend_items(classes, unit),
        f"{label}, {used}",
        lab_markers(labs, queries.labels(con).thematiques),
        values=values,
        latitude=published.academie(con).projection,
        selection=set(data["code"]),
    )
    ranked = data.dropna(subset=["valeur"]).sort_values("valeur", ascending=False)
    top = [f"{n} : {values[c]}" for c, n in zip(ranked["code"].head(3), ranked["nom"].head(3), strict=True)]
    alt = (
        f"Carte des {len(data)} bassins colorés selon {_lower_first(label)} en {used} "
        f"({classification.METHOD_PHRASES[classification.DEFAULT_METHOD]}), et {len(labs)} laboratoires "
        "colorés selon leur thème principal. " + ("Bassins en tête : " + " ; ".join(top) + "." if top else "")
    )
    source = ", ".join(result.sources)
    view = Figure(
        "carte-bassins",
        f"{label} par bassin, {used}",
        figure,
        alt,
        source,
        result.illustrative,
        ignored=result.ignored,
    )
    notes = (
        f"{len(labs)} laboratoires dans {labs['bassin'].nunique() if not labs.empty else 0} bassins. "
        + ("En tête : " + " ; ".join(top) + "." if top else "")
        + (f" Valeurs {used} : {year} n'est pas encore publiée pour cet indicateur." if used != year else "")
    )
    return Slide(
        "carte",
        title,
        f"{label}, {said}",
        figure=view,
        notes=notes,
        source=source,
        illustrative=result.illustrative,
        scope=scope,
    )


def _evolution_slides(
    con: duckdb.DuckDBPyConnection, filters: Filters, kpis: list[queries.Kpi], context: Context, year: str
) -> list[Slide]:
    slides = []
    policy = published.policy(con)
    rules = policy if filters.bassins else None
    chosen = published.academie(con).indicateurs.evolutions or tuple(k.indicateur for k in kpis[:3])
    for kpi in [k for k in kpis if k.indicateur in chosen]:
        result = queries.series(con, kpi.indicateur, filters, annual=True)
        frame = result.data
        scope = element_context(context, result.ignored).scope_text
        points_known = frame.dropna(subset=["valeur"])["periode"].nunique() if not frame.empty else 0
        if result.empty_reason or frame.empty or points_known < 2:
            reason = result.empty_reason or (
                "Une seule année scolaire a une valeur : pas d'évolution à montrer."
                if points_known
                else "Aucune donnée pour ces filtres."
            )
            slides.append(
                Slide(
                    "evolution",
                    kpi.libelle,
                    "Évolution par année scolaire",
                    bullets=(reason,),
                    notes=reason,
                    scope=scope,
                )
            )
            continue
        fig = charts.line_figure(frame, kpi.unite, height=560, mask=rules)
        totals = frame.dropna(subset=["valeur"]).groupby("periode")["valeur"].sum().sort_index()
        # a bassin's small count of people reads « < 5 » in the alt text and the notes too, as in the chart
        mask = small_counts.for_level(kpi.unite, "bassin", policy) if filters.bassins else None
        points = [f"{p} : {charts.value_with_unit(v, kpi.unite, mask)}" for p, v in totals.items()]
        alt = f"Évolution {_of(_lower_first(kpi.libelle))} par année scolaire : " + " ; ".join(points) + "."
        source = ", ".join(result.sources)
        view = Figure(
            f"evolution-{kpi.indicateur}",
            f"{kpi.libelle} par année scolaire",
            fig,
            alt,
            source,
            result.illustrative,
            ignored=result.ignored,
        )
        delta = cards.kpi_delta_text(kpi, rules)
        slides.append(
            Slide(
                "evolution",
                kpi.libelle,
                "Évolution par année scolaire",
                figure=view,
                figures=(key_figure(kpi, rules, year),),
                notes=" ; ".join(points) + (f". Dernière évolution : {delta}." if delta else "."),
                source=source,
                illustrative=result.illustrative,
                scope=scope,
            )
        )
    return slides


def _labs_slide(con: duckdb.DuckDBPyConnection, filters: Filters, year: str, context: Context) -> Slide:
    result = queries.laboratories(con, filters, open_in=year)
    labs = result.data
    labels = queries.labels(con).thematiques
    themes = Counter(classification.main_theme(t) for t in labs["thematiques"]) if not labs.empty else Counter()
    bullets = tuple(
        f"{labels.get(t, t)} : {n} laboratoire{'s' if n > 1 else ''}"
        for t, n in sorted(themes.items(), key=lambda x: (-x[1], labels.get(x[0], x[0])))
    )
    bassins = labs["bassin"].nunique() if not labs.empty else 0
    subtitle = (
        f"{len(labs)} laboratoire{'s' if len(labs) != 1 else ''} dans {bassins} bassin"
        f"{'s' if bassins != 1 else ''}, ouverts en {year}"
    )
    partly = any(cards.is_illustrative_source(s) for s in labs["source"]) if not labs.empty else False
    illustrative = bool(result.illustrative) or partly
    names = "; ".join(f"{n} ({c})" for n, c in zip(labs["nom"], labs["commune"], strict=True))
    bilan = published.academie(con).bilan
    return Slide(
        "laboratoires",
        "Les laboratoires numériques par thème",
        subtitle,
        bullets=bullets or ("Aucun laboratoire pour ces filtres.",),
        notes=names,
        source=cards.labs_source_text(labs["source"], bilan).removeprefix("Source : ") if not labs.empty else "",
        illustrative=illustrative,
        scope=element_context(context, result.ignored, "la liste des laboratoires").scope_text,
    )


def _lower_first(label: str) -> str:
    """« Visites de l'ENT » → « visites de l'ENT » (inside a sentence; acronyms keep their capitals)."""
    first = label.split(" ", 1)[0]
    return label if len(first) > 1 and first.isupper() else label[:1].lower() + label[1:]


def _of(name: str) -> str:
    """« de Forbach », « d'Épinal » (French elision)."""
    return f"d'{name}" if name[:1].lower() in "aeiouyhàâéèêëîïôöûüœ" else f"de {name}"


def focus_choices(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, str]:
    """The bassins the zoom slide may show for `filters` (code → name): the chosen bassins, else those of the
    chosen départements, else all, in name order."""
    bassins = queries.catalogue(con, "bassins")
    if filters.bassins:
        bassins = bassins[bassins["code"].isin(filters.bassins)]
    elif filters.departements:
        bassins = bassins[bassins["departement"].isin(filters.departements)]
    return dict(sorted(zip(bassins["code"].astype(str), bassins["nom"].astype(str)), key=lambda x: x[1]))


def default_focus(con: duckdb.DuckDBPyConnection, filters: Filters, year: str) -> str | None:
    """The bassin the zoom slide shows when none is chosen: the first bassin of the filters, else the one with
    the most people in its labs (latest year with values per bassin)."""
    if filters.bassins:
        return filters.bassins[0]
    mapped = map_indicator(con)
    values, _ = latest_bassin_values(con, mapped, year, filters)
    ranked = values.data.dropna(subset=["valeur"]).sort_values(["valeur", "code"], ascending=[False, True])
    return None if ranked.empty else str(ranked["code"].iloc[0])


def _focus_slide(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    kpis: list[queries.Kpi],
    year: str,
    highlight: str | None,
    context: Context,
) -> Slide:
    """One bassin highlighted: the chosen one (`highlight`), else `default_focus`; its key figures (each of the
    latest year with a value for the bassin) with their share of the académie's."""
    choices = focus_choices(con, filters)
    code = highlight if highlight in choices else default_focus(con, filters, year)
    if code is None or code not in choices:
        reason = "Aucun bassin n'a de valeur pour ces filtres : pas de zoom."
        return Slide(
            "focus",
            "Zoom sur un bassin",
            f"Année scolaire {year}",
            bullets=(reason,),
            notes=reason,
            scope=context.scope_text,
        )
    name = choices[code]
    base = filters.with_(bassins=(), departements=())
    academie = {k.indicateur: k for k in queries.kpis(con, base)}
    policy = published.policy(con)
    bullets: list[str] = []
    illustrative, not_applied = False, set[str]()
    cited: dict[tuple[str, str], None] = {}  # (source, origin) of the values shown, in order
    for kpi in kpis:
        per_bassin, used = latest_bassin_values(con, kpi.indicateur, kpi.annee or year, base)
        mine = per_bassin.data[per_bassin.data["code"] == code]
        if mine.empty or pd.isna(mine["valeur"].iloc[0]):
            continue
        value = float(mine["valeur"].iloc[0])
        mask = small_counts.for_level(kpi.unite, "bassin", policy)
        text = f"{kpi.libelle} : {classification.format_value(value, kpi.unite, mask)}"
        total = academie.get(kpi.indicateur)
        additive = kpi.unite != schema.RATE_UNIT
        if (
            total is not None
            and total.valeur
            and total.annee == used
            and additive
            and not (mask is not None and mask.is_small(value))
        ):
            text += f" ({formatting.percent(value / total.valeur * 100)} de l'académie)"
        if used != year:
            text += f" — valeur {used}"
        ignored = queries.not_applied_filters(per_bassin.ignored)
        not_applied.update(a for a in ignored if a not in ("departements", "bassins"))
        note = not_applied_note([a for a in ignored if a not in ("departements", "bassins")])
        if note:
            text += f" — {note[:1].lower()}{note[1:]}"
        bullets.append(text)
        illustrative = illustrative or bool(mine["illustratif"].iloc[0])
        origins = per_bassin.origins or ("",) * len(per_bassin.sources)
        own = str(mine["sources"].iloc[0]) if "sources" in mine else ""  # the bassin's row names its sources
        pairs = zip(per_bassin.sources, origins, strict=True)
        cited.update(dict.fromkeys((s, o) for s, o in pairs if not own or s in own))
    labs = queries.laboratories(con, filters.with_(bassins=(code,), departements=()), open_in=year).data
    if not labs.empty:
        bullets.append("Laboratoires : " + ", ".join(labs["nom"]))
    sources = [cards.short_source([s for s, _ in cited], origins=[o for _, o in cited])] if cited else []
    if not labs.empty:
        lab_source = cards.labs_source_text(labs["source"], published.academie(con).bilan)
        sources.append("laboratoires : " + lab_source.removeprefix("Source : "))
    if not bullets:
        bullets.append(f"Aucune valeur pour le bassin {_of(name)} avec ces filtres.")
    # the bassin's scope names its département (« Département : 57 — Moselle · Bassin : Forbach »)
    seat = con.execute("SELECT departement FROM bassins WHERE code = $code", {"code": code}).fetchone()
    where = filters.with_(bassins=(code,), departements=(str(seat[0]),) if seat else ())
    bassin_context = build_context(con, where, school_year=year)
    chosen = " (choisi par l'orateur)" if highlight == code else ""
    return Slide(
        "focus",
        f"Zoom sur le bassin {_of(name)}",
        f"Année scolaire {year}{chosen}",
        bullets=tuple(bullets[:8]),
        notes="\n".join(bullets),
        source=" ; ".join(sources),
        illustrative=illustrative,
        scope=bassin_context.scope_text,
    )


def _sources_slide(context: Context, sources: list[str], illustrative: bool, acad: config.Academie) -> Slide:
    named = sorted({s for s in sources if s and s != config.ILLUSTRATIVE and not s.startswith(acad.bilan)})
    bullets: tuple[str, ...] = (acad.bilan, *named[:6])
    if illustrative:
        bullets += (ILLUSTRATIVE_NOTE,)
    bullets += (context.version_text + ".", "Tableau de bord : observatoire du numérique éducatif de la DRANE.")
    return Slide(
        "sources",
        "Sources",
        context.academie,
        bullets=bullets,
        notes="\n".join(bullets),
        scope=context.scope_text,
    )


def build_presentation(
    con: duckdb.DuckDBPyConnection, filters: Filters, url: str = "", highlight: str | None = None
) -> Presentation:
    """The slides for `filters` on the version `con` reads (`url`: the view's link, for the QR code;
    `highlight`: the bassin of the zoom slide chosen by the presenter, a code of `focus_choices`)."""
    from observatoire.views.overview import build_overview  # the overview builds on this module's key_figure

    overview = build_overview(con, filters)  # the key figures ARE the overview's cards
    kpis = list(overview.items.kpis)
    year = (
        cards.kpi_year_text([k for k in kpis if k.valeur is not None])
        or cards.kpi_year_text(kpis)
        or (queries.school_years(con) or [""])[-1]
    )
    context = build_context(con, filters, school_year=year, url=url)
    years = year_line([k for k in kpis if k.valeur is not None], year)
    slides: list[Slide] = [_title_slide(context, years), *_key_figures_slides(overview.key_figures, context)]
    slides += [
        _map_slide(con, filters, year, context),
        *_evolution_slides(con, filters, kpis, context, year),
        _labs_slide(con, filters, year, context),
        _focus_slide(con, filters, kpis, year, highlight, context),
    ]
    raw_sources = [s for k in kpis for s in k.sources]
    slides.append(
        _sources_slide(context, raw_sources, any(s.illustrative for s in slides), published.academie(con))
    )
    chosen = highlight if highlight in focus_choices(con, filters) else ""
    return Presentation(
        context,
        TITLE,
        tuple(slides),
        year_text=years,
        highlight=chosen or "",
        default_highlight=default_focus(con, filters, year) or "",
    )


def file_name(presentation: Presentation, ext: str = "pptx", kind: str = "Séminaire") -> str:
    """« Séminaire 2023-2024 — Moselle — Collège.pptx »: the deck's year and the values of ALL its chosen
    filters (the deck is made for them; each slide says where one does not apply), then the zoom's bassin when
    the presenter chose it (« zoom Forbach »): two decks of different filters or zoom get different names."""
    from observatoire import exporting

    context = presentation.context
    parts = [f"{kind} {context.school_year}".strip(), *exporting.filter_values(context.filters)]
    focus = next((s for s in presentation.slides if s.kind == "focus"), None)
    if presentation.highlight and focus is not None and focus.title.startswith("Zoom sur le bassin "):
        name = focus.title.removeprefix("Zoom sur le bassin ")
        for article in ("de ", "d'"):
            name = name.removeprefix(article)
        parts.append(f"zoom {name}")
    return exporting.safe_file_name(" — ".join(p for p in parts if p), ext)
