"""The « fiche bassin » and the « fiche laboratoire » as data: `build_bassin_fiche(con, code, year, filters)`,
`build_lab_fiche(con, code, year, filters) -> Fiche`.

A fiche is what the bassin panel of the Carte page and the lab fiche of the Laboratoires page show, on one page:
key figures of the year compared with the académie (value, share of the académie, rank — formatted exactly as
on screen, small counts of people « < 5 »), the labs or the place, the projects cited by the bilan, a map with
the bassin outlined, and where every figure comes from. `observatoire.exports.pdf.fiche_pdf` draws it on one A4
landscape page. Pure functions, no Streamlit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from observatoire import published, queries, small_counts
from observatoire.figures import bassin_panel, cards, classification
from observatoire.filters import Filters
from observatoire.views.carte import bassin_contents
from observatoire.views.context import build_context
from observatoire.views.laboratories import comparison_note, lab_scope
from observatoire.views.model import ILLUSTRATIVE, Context, Figure, KeyFigure
from observatoire.views.static_map import bassins_map_figure

HIGHLIGHT_FILL = "#000091"  # « bleu France »: the bassin of the fiche
OTHER_FILL = "#eceef1"  # the other bassins, light
MAP_WIDTH = 1000  # pixels of the map image (the fiche's right column, legend under the map)
MAP_HEIGHT = 1000
LAB_STATUS = {
    "bilan": "Cité par le bilan",
    "partiel": "Cité par le bilan · attributs en partie illustratifs",
    "illustratif": "Laboratoire illustratif",
}
BASSIN_NOTE = (
    "Part : part du bassin dans le total académique (indicateurs additifs). Rang : parmi les bassins "
    "de l'académie ayant une valeur (1 = le plus élevé)."
)


@dataclass(frozen=True)
class Fiche:
    """One page about one bassin or one lab. Every text is French and already formatted."""

    kind: str  # "bassin" or "laboratoire"
    code: str
    name: str  # « Forbach », « Laboratoire numérique de Forbach » (file name)
    title: str  # « Bassin de Forbach »
    subtitle: str
    context: Context
    facts: tuple[KeyFigure, ...]  # « 2 058 002 » or « < 5 »; delta « 3,2 % de l'académie (64,5 M) · rang : … »
    figure: Figure | None
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, bullets)
    source: str  # without « Source : »
    illustrative: bool
    status: str = ""  # lab: « Cité par le bilan », « Laboratoire illustratif »…
    status_illustrative: bool = False
    notes: tuple[str, ...] = ()  # how to read the figures, small counts rule

    @property
    def kind_label(self) -> str:
        return "Fiche bassin" if self.kind == "bassin" else "Fiche laboratoire"


# ------------------------------------------------------------------------------------------- helpers


def _of(name: str) -> str:
    """« de Forbach », « d'Épinal » (French elision)."""
    return f"d'{name}" if name[:1].lower() in "aeiouyhàâéèêëîïôöûüœ" else f"de {name}"


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def profile_texts(row: dict, level: str, rules: small_counts.Policy | None = None) -> tuple[str, str, str, str]:
    """(value, académie, share, rank) of one `bassin_profile` / `lab_profile` row: the screen's own texts
    (`observatoire.figures.bassin_panel.profile_rows`, small counts of people `< 5` without their share)."""
    texts = bassin_panel.profile_rows(pd.DataFrame([row]), level, rules)[0]
    return texts["bassin"], texts["academie"], texts["part"], texts["rang"]


def _comparison(acad: str, part: str, rank: str) -> str:
    """« 3,2 % de l'académie (64,5 M) · rang : 13e sur 17 » (the screen's second line)."""
    share = f"{part} de l'académie ({acad})" if part else f"académie : {acad}"
    return f"{share} · rang : {rank}"


def _origin_source(sources: object, origins_of: dict[str, str], illustrative: bool) -> tuple[tuple[str, ...], str]:
    """(origins, short source) of one value from its `sources` cell (« a | b »)."""
    names = [s for s in str(sources or "").split(" | ") if s] if not _missing(sources) else []
    origins = [origins_of.get(s, "") for s in names]
    if illustrative and ILLUSTRATIVE not in origins:
        origins.append(ILLUSTRATIVE)
        names.append(ILLUSTRATIVE)
    found = tuple(queries.sorted_origins([o for o in origins if o]))
    if illustrative and set(found) <= {ILLUSTRATIVE}:
        return found or (ILLUSTRATIVE,), "illustratif (valeur générée)"
    return found, cards.short_source(names, origins=origins) if names else "non précisée"


def _fact(row: dict, level: str, origins: tuple[str, ...], source: str, rules: small_counts.Policy) -> KeyFigure:
    value, acad, part, rank = profile_texts(row, level, rules)
    raw = None if _missing(row.get("valeur")) or value.startswith("<") else float(row["valeur"])
    return KeyFigure(
        label=str(row["libelle"]),
        value=value,
        raw=raw,
        unit=str(row.get("unite") or ""),
        delta=_comparison(acad, part, rank),
        origins=origins,
        source=source,
    )


def _sources_line(pairs: list[tuple[str, str]]) -> str:
    sources = [s for s, _ in pairs]
    origins = [o for _, o in pairs]
    return cards.short_source(sources, origins=origins) if sources else ""


def _lab_markers(labs: pd.DataFrame, group: str) -> pd.DataFrame | None:
    if labs.empty:
        return None
    return pd.DataFrame(
        {
            "lon": labs["longitude"].astype(float),
            "lat": labs["latitude"].astype(float),
            "nom": labs["nom"],
            "couleur": [
                classification.MARKER_HEX[classification.theme_style(classification.main_theme(t))[1]]
                for t in labs["thematiques"]
            ],
            "groupe": group,
        }
    )


def _map(
    con: duckdb.DuckDBPyConnection,
    bassin: str,
    bassin_name: str,
    labs: pd.DataFrame,
    group: str,
    key: str,
    alt: str,
    source: str,
    illustrative: bool,
) -> Figure:
    """Every bassin, this one dark blue and outlined, the others light; `labs` as markers; legend under."""
    names = dict(con.execute("SELECT code, nom FROM bassins").fetchall())
    colors = {code: HIGHLIGHT_FILL if code == bassin else OTHER_FILL for code in names}
    legend = [(HIGHLIGHT_FILL, f"Bassin {_of(bassin_name)}"), (OTHER_FILL, "Autres bassins")]
    figure = bassins_map_figure(
        published.geojson(con, "bassins"),
        published.geojson(con, "departements"),
        colors,
        names,
        legend,
        "Situation",
        _lab_markers(labs, group),
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        highlight=bassin,
        labs_title="",
        latitude=published.academie(con).projection,
    )
    # one column on the fiche: the map takes the whole width, the legend goes under it
    # the image is drawn about 10 cm wide: larger names and markers than on the screen's map
    figure.update_layout(
        xaxis={"domain": [0, 1]},
        yaxis={"domain": [0.13, 1]},
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 0,
            "yanchor": "top",
            "tracegroupgap": 8,
            "font": {"size": 26},
        },
        margin={"l": 6, "r": 6, "t": 6, "b": 6},
    )
    for note in figure.layout.annotations:
        note.font.size = round((note.font.size or 15) * 1.2)
    figure.update_traces(
        marker={"size": 24, "line": {"width": 3}}, legend="legend", selector={"legendgroup": "labs"}
    )
    figure.layout.legend2 = None  # one legend, under the map
    return Figure(key, f"Situation du bassin {_of(bassin_name)}", figure, alt, source, illustrative)


def _map_name(con: duckdb.DuckDBPyConnection) -> str:
    """« Carte des 17 bassins de l'académie » (the count of the version's bassins)."""
    count = len(queries.catalogue(con, "bassins"))
    return f"Carte des {count} bassins de l'académie" if count != 1 else "Carte du bassin de l'académie"


def _check_year(con: duckdb.DuckDBPyConnection, year: str) -> None:
    years = queries.school_years(con)
    if year not in years:
        known = ", ".join(years) or "aucune"
        raise ValueError(f"Année scolaire inconnue : « {year} » (années disponibles : {known}).")


def _lab_line(lab: dict, theme_labels: Mapping[str, str]) -> str:
    theme = classification.main_theme(lab.get("thematiques"))
    origin = cards.lab_origin(lab.get("source"))
    mark = {
        "bilan": "cité par le bilan",
        "partiel": "cité par le bilan, attributs en partie illustratifs",
        "illustratif": "illustratif",
    }[origin]
    return f"{lab['nom']} — {lab['commune']} · {theme_labels.get(theme, theme) or '—'} ({mark})"


# ------------------------------------------------------------------------------------------- fiches


def build_bassin_fiche(con: duckdb.DuckDBPyConnection, code: str, year: str, filters: Filters) -> Fiche:
    """The fiche of bassin `code` for the school year `year` (as the Carte page's bassin panel: key indicators
    vs the académie, with every bassin of the académie; its labs open that year matching the thème / niveau
    filters). Raises ValueError (French) for an unknown bassin or year."""
    row = con.execute("SELECT code, nom, departement FROM bassins WHERE code = ?", [code]).fetchone()
    if row is None:
        raise ValueError(f"Bassin inconnu : « {code} ». Choisissez un bassin de l'académie.")
    _check_year(con, year)
    _, name, departement = row
    labels = queries.labels(con)
    context = build_context(con, filters, school_year=year)
    base = filters.with_(bassins=(), departements=())  # académie-wide, as the panel
    profile, labs = bassin_contents(con, code, year, filters)  # what the Carte page's panel shows
    rules = published.policy(con)
    facts, pairs, notes = [], [], [BASSIN_NOTE]
    masked = False
    for record in profile.to_dict("records"):
        result = queries.values_by_bassin(con, record["indicateur"], year, base)
        mine = result.data[result.data["code"] == code]
        origins_of = dict(zip(result.sources, result.origins, strict=False))
        cell = mine["sources"].iloc[0] if not mine.empty else None
        origins, source = _origin_source(cell, origins_of, bool(record["illustratif"]))
        if not _missing(record["valeur"]):
            pairs += [(s, origins_of.get(s, "")) for s in str(cell or "").split(" | ") if s]
            if record["illustratif"]:
                pairs.append((ILLUSTRATIVE, ILLUSTRATIVE))
        fact = _fact(record, "bassin", origins if not _missing(record["valeur"]) else (), source, rules)
        masked = masked or fact.value == rules.label
        facts.append(fact)
    if masked:
        notes.append(small_counts.note(rules))
    theme_labels = labels.thematiques
    lab_lines = tuple(_lab_line(lab, theme_labels) for lab in labs.to_dict("records"))
    n = len(labs)
    heading = f"Laboratoires numériques du bassin ({n})"
    sections = ((heading, lab_lines or ("Aucun laboratoire numérique dans ce bassin avec les filtres actuels.",)),)
    labs_illustrative = bool(not labs.empty and labs["source"].map(cards.is_illustrative_source).any())
    bilan = published.academie(con).bilan
    labs_source = cards.labs_source_text(labs["source"], bilan).removeprefix("Source : ").rstrip(".") if n else ""
    indicators_source = _sources_line(pairs)
    source = (
        " ; ".join(
            part
            for part in (
                f"indicateurs : {indicators_source}" if indicators_source else "",
                f"laboratoires : {labs_source}" if labs_source else "",
            )
            if part
        )
        or "non précisée"
    )
    dep_name = labels.of("departements", departement)
    alt = f"{_map_name(con)} : le bassin {_of(name)} ({dep_name}) est en bleu foncé, entouré de rouge" + (
        f", avec ses {n} laboratoire{'s' if n > 1 else ''} numérique{'s' if n > 1 else ''}." if n else "."
    )
    figure = _map(
        con,
        code,
        name,
        labs,
        "Laboratoires du bassin",
        f"fiche-bassin-{code}",
        alt,
        f"laboratoires : {labs_source}" if labs_source else "",
        labs_illustrative,
    )
    illustrative = any(f.illustrative for f in facts if f.origins) or labs_illustrative
    return Fiche(
        kind="bassin",
        code=code,
        name=name,
        title=f"Bassin {_of(name)}",
        subtitle=f"Département {departement} — {dep_name} · indicateurs clés de l'année scolaire {year}",
        context=context,
        facts=tuple(facts),
        figure=figure,
        sections=sections,
        source=source,
        illustrative=illustrative,
        notes=tuple(notes),
    )


def build_lab_fiche(con: duckdb.DuckDBPyConnection, code: str, year: str, filters: Filters | None = None) -> Fiche:
    """The fiche of lab `code` (as the Laboratoires page's fiche): place, bassin, thèmes, niveaux, its activity
    in `year` vs the académie (share, rank among the labs, small counts of people « < 5 »), the projects cited
    by the bilan, « cité par le bilan » or « laboratoire illustratif ». `filters`: the chosen filters, read as
    the screen's fiche reads them (`views.laboratories.lab_scope`: the thème and niveau the lab has are applied,
    the others are written « non appliqué » with why). Raises ValueError (French) for an unknown lab or year."""
    every = queries.laboratories(con, Filters()).data
    found = every[every["code"] == code]
    if found.empty:
        raise ValueError(f"Laboratoire inconnu : « {code} ». Choisissez un laboratoire de l'académie.")
    _check_year(con, year)
    lab = found.iloc[0].to_dict()
    labels = queries.labels(con)
    scope = lab_scope(con, lab, filters or Filters())
    context = dataclasses.replace(
        build_context(con, scope.filters, school_year=year), filters=scope.context_filters
    )
    origin = cards.lab_origin(lab["source"])
    profile = queries.lab_profile(con, code, year, scope.filters)
    profile = profile[profile["valeur"].notna()]
    rules = published.policy(con)
    facts, pairs, notes = [], [], [comparison_note(scope), *scope.reasons]
    masked = False
    for record in profile.to_dict("records"):
        result = queries.series(
            con, record["indicateur"], scope.filters, by="laboratoire", annual=True, periods=(year, year)
        )
        notes += [note for note in result.ignored if not note.startswith("Filtre public") and note not in notes]
        mine = result.data[result.data["groupe"] == code] if not result.data.empty else result.data
        origins_of = dict(zip(result.sources, result.origins, strict=False))
        cell = mine["sources"].iloc[0] if not mine.empty and "sources" in mine else None
        origins, source = _origin_source(cell, origins_of, bool(record["illustratif"]))
        pairs += [(s, origins_of.get(s, "")) for s in str(cell or "").split(" | ") if s]
        if record["illustratif"]:
            pairs.append((ILLUSTRATIVE, ILLUSTRATIVE))
        fact = _fact(record, "laboratoire", origins, source, rules)
        masked = masked or fact.value == rules.label
        facts.append(fact)
    if masked:
        notes.append(small_counts.note(rules))
    place = tuple(f"{label} : {value}" for label, value in cards.lab_facts(lab, labels))
    lab_source = (
        f"{lab['source']}"
        if origin != "illustratif"
        else "laboratoire illustratif (lieu plausible, non cité par le bilan)"
    )
    projects = queries.projects(con, code)
    if projects.empty:
        project_lines: tuple[str, ...] = ("Le bilan ne cite aucun projet pour ce laboratoire.",)
    else:
        project_lines = tuple(
            f"{p.get('intitule', '')} ({p.get('thematique_libelle') or p.get('thematique') or ''}) : "
            f"{p.get('projet', '')}"
            for p in projects.to_dict("records")
        )
    sections: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("Le laboratoire", place),
        ("Projets cités par le bilan", project_lines),
    )
    if not facts:
        sections += (
            (
                f"Activité en {year}",
                (
                    f"Aucune valeur de ce laboratoire en {year}"
                    + (f" pour {scope.parts}." if scope.parts else "."),
                ),
            ),
        )
    indicators_source = _sources_line(pairs)
    project_source = " ; ".join(dict.fromkeys(projects["source"])) if not projects.empty else ""
    source = " ; ".join(
        part
        for part in (
            f"lieu : {lab_source}",
            f"activité : {indicators_source}" if indicators_source else "",
            f"projets : {project_source}" if project_source else "",
        )
        if part
    )
    bassin_name = str(lab.get("bassin_nom") or lab.get("bassin"))
    alt = (
        f"{_map_name(con)} : {lab['nom']} ({lab['commune']}) est dans le bassin "
        f"{_of(bassin_name)}, en bleu foncé, entouré de rouge."
    )
    figure = _map(
        con,
        str(lab["bassin"]),
        bassin_name,
        found,
        str(lab["nom"]),
        f"fiche-labo-{code}",
        alt,
        f"lieu : {lab_source}",
        origin == "illustratif",
    )
    illustrative = origin != "bilan" or any(f.illustrative for f in facts)
    subtitle = (
        f"{lab['commune']} · bassin {_of(bassin_name)} · {lab['departement']} — "
        f"{lab.get('departement_nom', '')} · activité de l'année scolaire {year}"
        + (f" pour {scope.parts}" if scope.parts else " (toutes thématiques, tous niveaux)")
    )
    return Fiche(
        kind="laboratoire",
        code=code,
        name=str(lab["nom"]),
        title=str(lab["nom"]),
        subtitle=subtitle,
        context=context,
        facts=tuple(facts),
        figure=figure,
        sections=sections,
        source=source,
        illustrative=illustrative,
        status=LAB_STATUS[origin],
        status_illustrative=origin != "bilan",
        notes=tuple(notes),
    )


def fiche_file_stem(fiche: Fiche) -> str:
    """« Fiche bassin — Forbach — 2023-2024 » (the file name without extension; accents kept)."""
    return f"{fiche.kind_label} — {fiche.name} — {fiche.context.school_year}"
