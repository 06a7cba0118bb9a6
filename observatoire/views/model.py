"""Views as data: what a page, a slide or an export shows, built by the core with no Streamlit.

A `View` is plain data (texts already formatted in French, plotly figures, tables, sources, origins). The screen,
the presentation mode and every export (PPTX, PNG, PDF, CSV/XLSX) render the same `View`, so they never
disagree. Builders live next to this module (`build_<page>(con, filters, params) -> View`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Generic, TypeVar

import pandas as pd
import plotly.graph_objects as go

if TYPE_CHECKING:
    from observatoire.figures.cards import DeltaArrow, DeltaColor

TRUSTED = ("bilan", "deduit", "import")
TERRITORY_FILTERS = ("departements", "bassins")
ILLUSTRATIVE = "illustratif"

ItemsT = TypeVar("ItemsT", covariant=True)
"""A page's own structured data (`View.items`): one frozen dataclass per page, next to its builder."""


def source_line(sources: Sequence[str], origins: Sequence[str] | None = None) -> str:
    """`Source : …` line naming the sources of trusted rows (bilan, deduced, imported); the illustrative ones
    are summed up (« autres valeurs illustratives »)."""
    from observatoire.text import short_list

    origins = list(origins) if origins is not None else [""] * len(sources)
    named = [s for s, o in zip(sources, origins) if o != ILLUSTRATIVE]
    if not named and sources:
        return "Source : données illustratives (générées)."
    if not named:
        return ""
    extra = " ; autres valeurs illustratives" if len(named) < len(sources) else ""
    # a short label: each source cut, a dozen named at most (imported texts are bounded, labels are too)
    return "Source : " + short_list(named) + extra + "."


@dataclass(frozen=True)
class Context:
    """What every view and export says about where its figures come from."""

    academie: str  # « Académie de Nancy-Metz »
    filters: tuple[str, ...]  # French, one per active filter: « Département : 57 — Moselle »; () = none
    school_year: str  # « 2023-2024 » (the year the key figures are about)
    version: int  # published data version number
    version_date: str  # « 23/11/2026 »
    url: str = ""  # the view's shareable URL (QR code), when known
    dimensions: tuple[str, ...] = ()
    """The `Filters` attribute of each line of `filters` (same order: `departements`, `niveaux`, `periode`…)."""
    not_applied: tuple[str, ...] = ()
    """French, one per chosen filter that does NOT apply to this content (`scoped`): « Niveau : non détaillé
    pour cet indicateur (« Collège » non appliqué) ». Never in a file name, never written as a filter."""
    drane: str = ""
    """« DRANE Nancy-Metz » (academie.json, `Academie.drane`): who publishes the figures (PDF fiches' footer)."""
    bilan: str = ""
    """« Bilan DRANE 2023-2024 » (academie.json `bilan_court`): how a source cites the bilan."""

    @property
    def filters_text(self) -> str:
        """The filters that apply, « · »-separated (« Aucun filtre (toute l'académie) » when none is chosen)."""
        if self.filters:
            return " · ".join(self.filters)
        if self.not_applied:
            return "Aucun filtre appliqué (toute l'académie)"
        return "Aucun filtre (toute l'académie)"

    @property
    def territorial(self) -> bool:
        """A territory (département or bassin) applies to this content."""
        return any(d in TERRITORY_FILTERS for d in self.dimensions)

    @property
    def scope_text(self) -> str:
        """What this content covers, territory first, then the filters that apply, then the chosen filters that
        do not: « Département : 57 — Moselle · Niveau : non détaillé pour cet indicateur (« Collège » non
        appliqué) »; « Toute l'académie » first when no territory applies; « Aucun filtre (toute l'académie) »
        when nothing is chosen."""
        if not self.filters and not self.not_applied:
            return self.filters_text
        parts = [] if self.territorial else ["Toute l'académie"]
        return " · ".join([*parts, *self.filters, *self.not_applied])

    def scoped(self, not_applied: Sequence[str], subject: str = "cet indicateur") -> Context:
        """This context for a content that the filters `not_applied` (`Filters` attributes, as given by
        `queries.not_applied_filters(result.ignored)`) do not reach: their lines leave `filters` (so they are
        never in a file name nor written as applied) and are said in `not_applied`."""
        drop = set(not_applied)
        if not drop or not (drop & set(self.dimensions)):
            return self
        kept, said = [], list(self.not_applied)
        for line, dimension in zip(self.filters, self.dimensions, strict=True):
            if dimension not in drop:
                kept.append((line, dimension))
                continue
            name, _, value = line.partition(" : ")
            where = ", valeur de l'académie" if dimension in TERRITORY_FILTERS else ""
            said.append(f"{name} : non détaillé pour {subject}{where} (« {value} » non appliqué)")
        return replace(
            self,
            filters=tuple(line for line, _ in kept),
            dimensions=tuple(d for _, d in kept),
            not_applied=tuple(said),
        )

    @property
    def version_text(self) -> str:
        return f"Données : version n° {self.version} du {self.version_date}"


@dataclass(frozen=True)
class Card:
    """What the screen's KPI card draws (`components.cards.render_kpi_card`), formatted by the core together with
    its `KeyFigure` (`views.presentation.key_figure`): the card, the slide and the instantané read one value.

    Markdown fields (`help`, `value_markup`) have their data texts escaped already; the others are plain text
    (the renderer escapes them)."""

    icon: str  # Streamlit material icon of the indicator's domain, « :material/cloud: »
    help: str  # tooltip of the title (Markdown): definition, year, origins, sources
    value_markup: str  # the value as the card writes it (Markdown: « < 5 » escaped)
    delta: str | None  # the change on two lines (« +11,1 % » / « vs 2022-2023 »), None when none is shown
    delta_color: DeltaColor  # st.metric's `delta_color`
    delta_arrow: DeltaArrow  # st.metric's `delta_arrow`
    badge: str  # « Illustratif » when an input of the value, change or curve is, else ""
    badge_help: str  # the badge's tooltip (Markdown): the origin of the value, of the change, of the curve
    sparkline: str  # accessible SVG (role="img", French aria-label); "" when none or it would show a small count
    caption: str  # « Source : … » of the card


@dataclass(frozen=True)
class KeyFigure:
    """One key figure, formatted: « 64,5 M » visites de l'ENT, « +11,1 % » vs 2022-2023."""

    label: str
    value: str  # formatted in French, with its unit when it has one
    raw: float | None
    unit: str
    delta: str = ""  # « +11,1 % par rapport à 2022-2023 » or ""
    origins: tuple[str, ...] = ()
    source: str = ""
    year: str = ""  # the school year of `value`
    year_note: str = ""  # « Valeur 2023-2024 » when that year is not the headline year of the slide or page
    scope_note: str = ""  # « Valeur tous niveaux (filtre niveau non appliqué) »: chosen filters it ignores
    # what is illustrative when that is not the value itself: « évolution illustrative » for a bilan value
    # compared with a generated previous year (a forwarded card must not call the bilan's figure illustrative)
    illustrative_mark: str = ""
    indicator: str = ""  # the indicator's id
    card: Card | None = None  # the screen card's face, when the view is drawn as cards
    sources: tuple[str, ...] = ()  # every source of the value, the change and the curve
    source_origins: tuple[str, ...] = ()  # the origin of each of `sources` (same order)
    inputs_illustrative: bool = False  # an input of the value, the change or the curve is illustrative

    @property
    def illustrative(self) -> bool:
        return ILLUSTRATIVE in self.origins or not self.origins

    @property
    def illustrative_text(self) -> str:
        """The card's orange mark: « illustratif », « évolution illustrative », or "" when nothing is."""
        return (self.illustrative_mark or ILLUSTRATIVE) if self.illustrative else ""


@dataclass(frozen=True)
class Figure:
    """A chart or a map as a plotly figure (no title inside: `title` is drawn by whoever renders it)."""

    key: str  # stable id, used in file names: « evolution-ent-visites »
    title: str
    figure: go.Figure
    alt: str  # French text alternative (screen readers, PPTX alt text)
    source: str = ""
    illustrative: bool = False
    notes: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()  # the notes of the query behind it (`Result.ignored`): filters not applied


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    frame: pd.DataFrame
    source: str = ""  # « Source : … » line (or "")
    illustrative: bool = False
    indicator: str = ""  # the indicator's French label when the table is about one
    unit: str = ""
    ignored: tuple[str, ...] = ()  # the notes of the query behind it (`Result.ignored`): filters not applied


@dataclass(frozen=True)
class Notice:
    """A French sentence the page must show: a filter that does not apply, an empty result, a caveat."""

    text: str
    kind: str = "info"  # "filtre" (a filter that does not reach this content), "vide" (empty), "info"


@dataclass(frozen=True)
class View(Generic[ItemsT]):
    """What one screen page shows for (filters, params), as data (`build_<page>(con, filters, params)`).

    Every text is French and already formatted; plain text from files is NOT escaped here (the renderer
    escapes it where it becomes Markdown/HTML). `texts` holds the page's other named sentences (« 12
    laboratoires dans 9 bassins sur 17 »), `items` its page-specific structured data (a map's inputs, a
    list of lab cards), both plain data; `items` is typed: a frozen dataclass per page (`OverviewItems`,
    `CarteItems`…, next to each builder), read as attributes (`view.items.map`) and checked by mypy. The screen
    renders it; CSV/XLSX/PNG exports take their tables and figures from it, with `context` and each element's
    source and illustrative flag."""

    page: str  # "vue_ensemble", "carte", "indicateurs", "laboratoires", "projets", "donnees"
    title: str
    context: Context
    subtitle: str = ""
    key_figures: tuple[KeyFigure, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    notices: tuple[Notice, ...] = ()
    sources: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()  # origin of each of `sources` (same order)
    illustrative: bool = False
    texts: Mapping[str, str] = field(default_factory=dict)
    items: ItemsT = field(kw_only=True)

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def require_figure(self, key: str) -> Figure:
        """The figure `key`, which the builder always makes; `KeyError` when it did not (a builder's bug)."""
        found = self.figure(key)
        if found is None:
            raise KeyError(f"la vue « {self.page} » n'a pas de figure « {key} »")
        return found

    def require_table(self, key: str) -> Table:
        """The table `key`, which the builder always makes; `KeyError` when it did not (a builder's bug)."""
        found = self.table(key)
        if found is None:
            raise KeyError(f"la vue « {self.page} » n'a pas de tableau « {key} »")
        return found

    def text(self, key: str, default: str = "") -> str:
        return self.texts.get(key, default)


@dataclass(frozen=True)
class Slide:
    """One slide of the presentation (and of the PPTX): a title, then key figures, a figure or bullet points."""

    kind: str  # "titre", "chiffres", "carte", "evolution", "laboratoires", "focus", "sources"
    title: str
    subtitle: str = ""
    figures: tuple[KeyFigure, ...] = ()
    figure: Figure | None = None
    bullets: tuple[str, ...] = ()
    notes: str = ""  # speaker notes, with the numbers
    source: str = ""  # without « Source : » (each renderer writes its own prefix)
    illustrative: bool = False
    scope: str = ""  # what the slide covers: territory, filters that apply, chosen ones that do not


@dataclass(frozen=True)
class Presentation:
    context: Context
    title: str
    slides: tuple[Slide, ...] = field(default_factory=tuple)
    year_text: str = ""  # « Année scolaire 2023-2024 », or the year rule when the key figures mix years
    highlight: str = ""  # the bassin of the zoom slide when the presenter chose it (code), else ""
    default_highlight: str = ""  # the bassin the zoom slide shows when none is chosen (code), "" if none
