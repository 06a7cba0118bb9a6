"""KPI cards (Vue d'ensemble) and laboratory cards / fiche (Laboratoires): pure text builders + render wrappers.

The builders take plain values (`queries.Kpi`, a laboratory row as a mapping, label dictionaries) and return
French text or small frames; they are tested directly. The `render_*` wrappers only lay them out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict

import pandas as pd

from observatoire import config, small_counts
from observatoire.figures import formatting, sparkline
from observatoire.filters import Filters
from observatoire.labels import Labels
from observatoire.queries import Kpi, origin_summary, sorted_origins
from observatoire.text import cut, escape_html, escape_markdown, plain, short_list

PER_ROW = 4
"""KPI cards per row: readable on a projector at 1600 px (4 cards of ~330 px)."""


def illustrative_explanation(bilan: str = "") -> str:
    """What « illustratif » means; `bilan`: how sources cite the académie's bilan (`Academie.bilan_source`,
    « Bilan DRANE 2023-2024 »)."""
    cited = f"le {bilan[:1].lower()}{bilan[1:]}" if bilan else "le bilan"
    return (
        "Valeurs générées pour illustrer les répartitions (territoires, années antérieures, mois) : seuls les "
        f"chiffres académiques dont la source cite {cited} en sont issus."
    )


DOMAIN_ICONS = {
    "ENT": ":material/cloud:",
    "Ressources et plateformes": ":material/menu_book:",
    "PIX": ":material/workspace_premium:",
    "Laboratoires numériques": ":material/science:",
    "Accompagnement": ":material/handshake:",
    "Formation": ":material/school:",
    "Webmédias": ":material/podcasts:",
}

STRUCTURES = {
    "établissement": "Établissement scolaire",
    "collectivité": "Collectivité",
    "association": "Association",
}
TERRITOIRES = {
    "QPV": "Quartier prioritaire de la politique de la ville (QPV)",
    "TER": "Territoire éducatif rural (TER)",
    "autre": "Hors QPV et TER",
}
TERRITOIRES_COURTS = {"QPV": "QPV", "TER": "TER", "autre": "—"}

_PARENTHESIS = re.compile(r"\s*\([^()]*\)\s*$")
ORIGIN_WORDS = {
    "bilan": "bilan",
    "deduit": "déduit du bilan",
    "import": "importé",
    config.ILLUSTRATIVE: "illustratif",
}
"""How a card names the origin (`origine` code) of a value."""


# ------------------------------------------------------------------------------------------------ sources


def _strip_detail(source: str) -> str:
    """`Bilan …, « L'ENT » (64,5 millions de visites)` → `Bilan …, « L'ENT »` (trailing details removed)."""
    previous = None
    while previous != source:
        previous, source = source, _PARENTHESIS.sub("", source).strip()
    return source


def _section_of(source: str) -> str:
    """`Bilan DRANE 2023-2024, « L'ENT »` → `« L'ENT »`."""
    start = source.find("«")
    return source[start:].strip() if start >= 0 else source


def is_illustrative_source(source: object) -> bool:
    """For LABS only (the reference list has no `origine` column: its `source` text says which attributes are
    illustrative): True when a lab's source is, or says it is partly, illustrative (« illustratif »,
    « … illustratifs) », « illustrative »). Measures read their `origine` column instead."""
    return isinstance(source, str) and config.ILLUSTRATIVE[:-1] in source.lower()


CARD_SOURCE_CHARS = 120
"""Longest source named under a card (the tooltip and the Données page give more)."""
CARD_SOURCES = 4


def short_source(sources: Iterable[str], section: str | None = None, origins: Iterable[str] | None = None) -> str:
    """One short line for a card, each source named after its ORIGIN (`origine` code, same order as
    `sources`): `bilan, « L'ENT »`, `déduit du bilan, « … »`, `<source> (importé)`, then « illustratif » if any
    source is. The bilan's own name and the details in parentheses are dropped (the footer names the bilan).

    `section` (the indicator's catalogue source, e.g. `Bilan DRANE 2023-2024, « L'ENT »`) names the bilan
    section of a deduced value whose source has none (`Déduit du bilan … (somme des valeurs détaillées)`).
    Without `origins` nothing is said to come from the bilan: each source is shown as written."""
    sources = list(sources)
    origins = list(origins) if origins is not None else [""] * len(sources)
    named: dict[str, None] = {}
    illustrative = False
    for source, origin in zip(sources, origins):
        if not source:
            continue
        if origin == config.ILLUSTRATIVE:
            illustrative = True
            continue
        short = cut(_strip_detail(source), CARD_SOURCE_CHARS)  # a card's line stays a short label
        if origin in ("bilan", "deduit"):
            where = (
                _section_of(short)
                if "«" in short
                else (_section_of(section) if section and "«" in section else "")
            )
            named[ORIGIN_WORDS[origin] + (f", {where}" if where else "")] = None
        elif origin == "import":
            named[f"{short} ({ORIGIN_WORDS['import']})"] = None
        else:
            named[short] = None
    parts = list(named)
    if len(parts) > CARD_SOURCES:
        parts = [*parts[:CARD_SOURCES], f"et {len(parts) - CARD_SOURCES} autres"]
    if illustrative:
        parts.append("illustratif")
    return " ; ".join(parts) if parts else "non précisée"


# ------------------------------------------------------------------------------------------------- KPIs


def unit_in_label(label: str, unit: str) -> bool:
    """True when the indicator's name already says its unit (`Visites de l'ENT` / `visites`)."""
    return bool(unit) and unit.lower() in label.lower()


def masked(kpi: Kpi, rules: small_counts.Policy | None) -> bool:
    """True when the card must hide small counts (`rules` given: a bassin- or lab-level card) and one of its
    values (current, previous or history) is a small count of people."""
    if rules is None or not rules.counts_people(kpi.unite):
        return False
    return any(rules.is_small(v) for v in (kpi.valeur, kpi.precedente, *kpi.historique))


def kpi_value_text(kpi: Kpi, markup: bool = False, rules: small_counts.Policy | None = None) -> str:
    """Card value: `64,5 M`, `35 367`, `98,0 %` (— when missing), followed by the unit when the name of the
    indicator does not already say it (`382 sites` for « Sites … » stays `382`).

    `markup=True` sets that unit in small type (`:small[…]`) so that the number stays large on a narrow card;
    the text is then Markdown (the unit escaped). `rules` (bassin or lab level): a small count of people is
    shown `< 5`."""
    if kpi.valeur is None or (isinstance(kpi.valeur, float) and math.isnan(kpi.valeur)):
        return "—"
    if kpi.unite == "%":
        return formatting.percent(kpi.valeur)
    text = formatting.compact(kpi.valeur)
    if rules is not None and rules.counts_people(kpi.unite) and rules.is_small(kpi.valeur):
        text = rules.label
    if not kpi.unite or unit_in_label(kpi.libelle, kpi.unite):
        return text
    return f"{text} :small[{escape_markdown(kpi.unite)}]" if markup else f"{text} {kpi.unite}"


def _rounded_delta(kpi: Kpi) -> float | None:
    """Change shown on the card, rounded as displayed (percentage points for a rate, else percent)."""
    if kpi.valeur is None or kpi.precedente is None or not kpi.annee_precedente:
        return None
    if kpi.unite == "%":
        return round(kpi.valeur - kpi.precedente, 1)
    pct = kpi.delta_pct
    return None if pct is None else round(pct, 1)


ILLUSTRATIVE_MARK = " (illustratif)"
"""Appended to a change with an illustrative input where there is room for it (tooltip, tables); on the card
the metric's pill is too narrow (it would show « (illus… »): there the change is grey, without arrow, and the
orange « Illustratif » badge comes right after it."""
ILLUSTRATIVE_BADGE = "Illustratif"
"""Label of the card badge: short enough for a card of a 4-column grid at 1280 px (st.badge truncates)."""


def kpi_delta_text(kpi: Kpi, rules: small_counts.Policy | None = None, mark: bool = False) -> str | None:
    """`+12,5 % vs 2022-2023` / `-3,2 % vs …` / `0,0 % vs …` (points `pt` for a rate); None without a
    previous year, or when it would reveal a small count (`rules`). `mark=True`: a change with an
    illustrative input (either year) ends with « (illustratif) ». The minus is an ASCII hyphen on purpose:
    st.metric colours a string delta by its first character (`-` → red, down arrow)."""
    delta = _rounded_delta(kpi)
    if delta is None or masked(kpi, rules):
        return None
    unit = f"{formatting.NBSP}pt" if kpi.unite == "%" else f"{formatting.NBSP}%"
    sign = "+" if delta > 0 else "-" if delta < 0 else ""
    text = f"{sign}{formatting.number(abs(delta), 1)}{unit} vs {kpi.annee_precedente}"
    return text + (ILLUSTRATIVE_MARK if mark and kpi.evolution_illustrative else "")


def kpi_card_delta_text(kpi: Kpi, rules: small_counts.Policy | None = None) -> str | None:
    """The change as the card's pill shows it: `kpi_delta_text` on two lines, « +11,1 % » then « vs 2022-2023 »
    (a line break before « vs », a no-break space after it; components/cards shows the break). On a narrow card
    (4 per row at 1280 px, sidebar open) the reference year then stays whole instead of « +11,1 % vs 20… »; no
    invisible character is used (the page must never carry a zero-width character: tests/e2e/test_injection)."""
    text = kpi_delta_text(kpi, rules)
    if text is None or not kpi.annee_precedente:
        return text
    year = str(kpi.annee_precedente)
    return text.replace(f" vs {year}", f"\nvs\u00a0{year}", 1)


DeltaColor = Literal["normal", "off"]
"""The `delta_color` values of st.metric the cards use."""
DeltaArrow = Literal["auto", "off"]
"""The `delta_arrow` values of st.metric the cards use."""


def kpi_delta_style(kpi: Kpi) -> tuple[DeltaColor, DeltaArrow]:
    """(`delta_color`, `delta_arrow`) for st.metric: sign-driven colours; grey and no arrow for no change and
    for an illustrative change (a generated growth is never shown in the colours of a fact)."""
    delta = _rounded_delta(kpi)
    if delta is None or delta == 0 or kpi.evolution_illustrative:
        return "off", "off"
    return "normal", "auto"


def kpi_trusted(kpi: Kpi) -> bool:
    """Every input of the card (value, previous value, history) comes from the bilan, is deduced from it or
    was imported: only then may the card say « Source : bilan »."""
    return (
        bool(kpi.origines)
        and not kpi.valeur_illustrative
        and not kpi.evolution_illustrative
        and not kpi.historique_illustratif
    )


def kpi_value_source(kpi: Kpi, section: str | None = None) -> str:
    """Where the current value comes from, by origin: `bilan, « L'ENT »`, `déduit du bilan, « … »`,
    `illustratif (valeur générée)`, `en partie illustratif (…)`."""
    if kpi.valeur_illustrative:
        if set(kpi.origines) <= {config.ILLUSTRATIVE}:
            return "illustratif (valeur générée)"
        return "en partie illustratif (valeur calculée avec des chiffres générés)"
    origins = kpi.sources_origines or (origin_summary(kpi.origines),) * len(kpi.sources)
    return short_source(kpi.sources, section, origins)


def kpi_caption(kpi: Kpi, section: str | None = None) -> str:
    """Short source line under a card (`section`: the indicator's catalogue source).

    « Source : bilan… » only when every input of the card is trusted (`kpi_trusted`); a bilan value shown
    with an illustrative change or curve says which part comes from where:
    `Valeur 2023-2024 : bilan, « L'ENT » ; années précédentes : illustratif`."""
    if not kpi.sources or kpi.valeur is None:
        return "Source : aucune donnée"
    value = kpi_value_source(kpi, section)
    if kpi.valeur_illustrative or kpi_trusted(kpi):
        return f"Source : {value}"
    return f"Valeur {kpi.annee} : {value} ; années précédentes : illustratif"


def kpi_badge(kpi: Kpi) -> str | None:
    """Label of the card's orange badge, `Illustratif`, as soon as the value, the change or the curve has an
    illustrative input (its tooltip says which: `kpi_origin_lines`); None when every input is trusted."""
    if kpi.valeur_illustrative or kpi.evolution_illustrative or kpi.historique_illustratif:
        return ILLUSTRATIVE_BADGE
    return None


def _years_text(years: Sequence[str]) -> str:
    years = list(years)
    return years[0] if len(years) == 1 else ", ".join(years[:-1]) + " et " + years[-1]


def kpi_origin_lines(kpi: Kpi, rules: small_counts.Policy | None = None) -> list[str]:
    """Plain French lines: the origin of the value, of the change and of the curve (`rules`: the change of a
    card hiding a small count is not written out)."""
    lines = []
    if kpi.valeur is not None:
        word = ORIGIN_WORDS.get(kpi.origine, kpi.origine or "non précisée")
        lines.append(f"Valeur {kpi.annee} : {word}.")
    if kpi.precedente is not None and kpi.annee_precedente:
        if kpi.evolution_illustrative:
            delta = kpi_delta_text(kpi, rules, mark=True)
            lines.append(
                f"Évolution{f' {delta}' if delta else ''} : illustrative (au moins une des deux "
                "valeurs est générée), à ne pas présenter comme un constat."
            )
        else:
            lines.append(
                f"Évolution par rapport à {kpi.annee_precedente} : entre deux valeurs "
                f"« {ORIGIN_WORDS.get(origin_summary(kpi.origines_precedente), '')} » et "
                f"« {ORIGIN_WORDS.get(kpi.origine, '')} »."
            )
    if kpi.historique_illustratif:
        years = kpi.annees_illustratives
        lines.append(
            f"Courbe : valeur{'s' if len(years) > 1 else ''} {_years_text(years)} "
            f"illustrative{'s' if len(years) > 1 else ''}."
        )
    return lines


def kpi_help(kpi: Kpi, definition: str | None, rules: small_counts.Policy | None = None, bilan: str = "") -> str:
    """Tooltip (Markdown, data text escaped): definition, the year shown, the origin of the value, of the
    change and of the curve, the full sources."""
    e = escape_markdown
    parts = []
    if definition and str(definition).strip():
        parts.append(e(str(definition).strip()))
    parts.append(
        f"Valeur de l'année scolaire {e(kpi.annee)}"
        + (f", comparée à {e(kpi.annee_precedente)}." if kpi.annee_precedente else ".")
    )
    parts += [e(line) for line in kpi_origin_lines(kpi, rules)]
    if kpi.sources:
        parts.append("Source : " + e(short_list(kpi.sources)) + ".")
    if kpi_badge(kpi):
        parts.append(illustrative_explanation(bilan))
    return "\n\n".join(parts)


def kpi_sparkline(kpi: Kpi, rules: small_counts.Policy | None = None) -> str:
    """The card's accessible SVG sparkline (dashed orange when a point is illustrative; "" with fewer than
    two points or when it would reveal a small count)."""
    if masked(kpi, rules):
        return ""
    return sparkline.svg(kpi.historique, kpi.annees, kpi.unite, kpi.annees_illustratives)


def merged_notes(kpis: Sequence[Kpi]) -> list[str]:
    """The filters that don't apply, once each, with the indicators they concern."""
    concerned: dict[str, list[str]] = {}
    for kpi in kpis:
        for note in kpi.ignored:
            concerned.setdefault(note, []).append(kpi.libelle)
    out = []
    for note, names in concerned.items():
        base = note.rstrip(". ")
        if len(names) == len(kpis) and len(kpis) > 1:
            out.append(f"{base} — concerne tous les indicateurs ci-dessus.")
        else:
            out.append(f"{base} — concerne : {', '.join(names)}.")
    return out


def kpi_year_text(kpis: Sequence[Kpi]) -> str | None:
    """The school year the cards show (the most recent one if they differ)."""
    years = sorted({k.annee for k in kpis if k.annee})
    return years[-1] if years else None


def kpi_year_rule(kpis: Sequence[Kpi]) -> str:
    """The year of the key figures, as a rule when they mix years (a new school year imported for some
    sources only): « 2023-2024 », or « 2024-2025 quand disponible, sinon 2023-2024 »; "" without values."""
    years = sorted({k.annee for k in kpis if k.annee and k.valeur is not None})
    if len(years) <= 1:
        return years[0] if years else ""
    return f"{years[-1]} quand disponible, sinon " + " ou ".join(reversed(years[:-1]))


def kpi_year_note(kpi: Kpi, headline: str | None) -> str:
    """« Valeur 2023-2024 » when a card's value is not of the headline year `headline`; "" otherwise."""
    if not headline or kpi.valeur is None or not kpi.annee or kpi.annee == headline:
        return ""
    return f"Valeur {kpi.annee}"


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{formatting.number(n)} {singular if n <= 1 else (plural or singular + 's')}"


def coverage_text(n_labs: int, n_bassins: int, total_bassins: int) -> str:
    """`16 laboratoires dans 11 bassins sur 17`."""
    if n_labs == 0:
        return "Aucun laboratoire ne correspond à ces filtres"
    return (
        f"{_plural(n_labs, 'laboratoire')} dans {_plural(n_bassins, 'bassin')} "
        f"sur {formatting.number(total_bassins)}"
    )


def opening_note(n_open: int, n_listed: int, annee: str) -> str:
    """Which labs the coverage counts: those open during `annee` (and how many open later)."""
    text = f"Laboratoires ouverts pendant l'année scolaire {annee}"
    later = n_listed - n_open
    if later > 0:
        text += f" ; {_plural(later, 'autre a', 'autres ont')} ouvert ensuite"
    return text + "."


def count_text(n_shown: int, n_total: int) -> str:
    """`12 laboratoires sur 16`."""
    if n_shown == 0:
        return f"Aucun laboratoire sur {formatting.number(n_total)}"
    return f"{_plural(n_shown, 'laboratoire')} sur {formatting.number(n_total)}"


def labs_source_text(sources: Iterable[str], bilan: str) -> str:
    """Sources of a list of labs: how many are cited by the bilan (`bilan`: the académie's `bilan` label, as the
    version holds it), how many are illustrative."""
    sources = list(sources)
    illustrative = sum(1 for s in sources if isinstance(s, str) and s.strip() == config.ILLUSTRATIVE)
    cited = len(sources) - illustrative
    parts = []
    if cited:
        partly = any(is_illustrative_source(s) for s in sources if s != config.ILLUSTRATIVE)
        bilan = _strip_detail(bilan)
        parts.append(
            f"{_plural(cited, 'lieu cité', 'lieux cités')} par le {bilan[:1].lower()}{bilan[1:]}"
            + (" (certains de leurs attributs sont illustratifs)" if partly else "")
        )
    if illustrative:
        parts.append(f"{_plural(illustrative, 'laboratoire illustratif', 'laboratoires illustratifs')}")
    return "Source : " + " ; ".join(parts) + "." if parts else ""


def split_codes(value: object) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    return [v for v in value.split("|") if v]


def code_labels(value: object, mapping: Mapping[str, str]) -> list[str]:
    """`savoirs_fondamentaux|webmedias` → [`Savoirs fondamentaux`, `Webmédias (webradios, web TV)`]."""
    return [mapping.get(code, code) for code in split_codes(value)]


def lab_source_short(source: object) -> str:
    if not isinstance(source, str) or not source:
        return "—"
    if source.strip() == config.ILLUSTRATIVE:
        return "Illustratif"
    text = _strip_detail(source)
    return text + (" (en partie illustratif)" if is_illustrative_source(source) else "")


def labs_table(frame: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Display table of labs (French headers, theme / niveau LABELS, short source)."""
    themes = labels.thematiques
    niveaux = labels.niveaux
    return pd.DataFrame(
        {
            "Laboratoire": [plain(v) for v in frame["nom"]],
            "Commune": [plain(v) for v in frame["commune"]],
            "Bassin": [plain(v) for v in frame["bassin_nom"]],
            "Département": [plain(v) for v in frame["departement_nom"]],
            "Thématiques": [[plain(t) for t in code_labels(v, themes)] for v in frame["thematiques"]],
            "Niveaux": [[plain(t) for t in code_labels(v, niveaux)] for v in frame["niveaux"]],
            "Structure": [STRUCTURES.get(v, v) for v in frame["structure"]],
            "Territoire": [TERRITOIRES_COURTS.get(v, v) for v in frame["territoire"]],
            "Ouverture": [int(v) if pd.notna(v) else None for v in frame["ouverture"]],
            "Source": [plain(lab_source_short(v)) for v in frame["source"]],
        }
    )


def coordinates_text(latitude: Any, longitude: Any) -> str:
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(lat) or math.isnan(lon):
        return "—"
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "O"
    return f"{formatting.number(abs(lat), 4)}° {ns}, {formatting.number(abs(lon), 4)}° {ew}"


class LabCard(TypedDict):
    """What a lab card shows (`lab_card_text`)."""

    titre: str
    lieu: str
    thematiques: list[str]
    niveaux: str
    illustratif: bool
    origine: str


def lab_card_text(lab: Mapping[str, object], labels: Labels) -> LabCard:
    """What a lab card shows: title, place line, theme labels, niveau line, illustrative flag."""
    niveaux = code_labels(lab.get("niveaux"), labels.niveaux)
    return {
        "titre": str(lab.get("nom", "")),
        "lieu": f"{lab.get('commune', '')} · bassin de {lab.get('bassin_nom', '')} ({lab.get('departement', '')})",
        "thematiques": code_labels(lab.get("thematiques"), labels.thematiques),
        "niveaux": ", ".join(niveaux) if niveaux else "—",
        "illustratif": is_illustrative_source(lab.get("source")),
        "origine": lab_origin(lab.get("source")),
    }


def lab_origin(source: object) -> str:
    """`bilan` (cited, attributes exact), `partiel` (cited, some attributes illustrative) or `illustratif`."""
    if not isinstance(source, str) or source.strip() == config.ILLUSTRATIVE or not source:
        return "illustratif"
    return "partiel" if is_illustrative_source(source) else "bilan"


def lab_facts(lab: Mapping[str, Any], labels: Labels) -> list[tuple[str, str]]:
    """(label, value) lines of the fiche laboratoire."""
    ouverture = lab.get("ouverture")
    return [
        ("Commune", f"{lab.get('commune', '')} ({lab.get('code_commune', '')})"),
        ("Bassin", str(lab.get("bassin_nom", ""))),
        ("Département", f"{lab.get('departement', '')} — {lab.get('departement_nom', '')}"),
        ("Coordonnées", coordinates_text(lab.get("latitude"), lab.get("longitude"))),
        ("Thématiques", ", ".join(code_labels(lab.get("thematiques"), labels.thematiques)) or "—"),
        ("Niveaux", ", ".join(code_labels(lab.get("niveaux"), labels.niveaux)) or "—"),
        ("Structure porteuse", STRUCTURES.get(str(lab.get("structure")), str(lab.get("structure", "—")))),
        ("Territoire", TERRITOIRES.get(str(lab.get("territoire")), str(lab.get("territoire", "—")))),
        ("Ouverture", str(int(ouverture)) if ouverture is not None and pd.notna(ouverture) else "—"),
    ]


LAB_ILLUSTRATIVE_HELP = "Lieu plausible qui complète la liste : il n'est pas cité par le bilan."


def activity_latest(
    frame: pd.DataFrame, annee: str | None = None
) -> tuple[str | None, float | None, str | None, float | None]:
    """(year, value, previous year, previous value) of a lab's annual series (`periode`, `valeur`)."""
    if frame.empty:
        return None, None, None, None
    data = frame.sort_values("periode")
    if annee:
        data = data[data["periode"] <= annee]
    if data.empty:
        return None, None, None, None
    last = data.iloc[-1]
    prev = data.iloc[-2] if len(data) > 1 else None
    return (
        str(last["periode"]),
        float(last["valeur"]),
        str(prev["periode"]) if prev is not None else None,
        float(prev["valeur"]) if prev is not None else None,
    )


def lab_activity_kpi(indicator: Mapping[str, object], frame: pd.DataFrame) -> Kpi:
    """A lab's annual series of one `labo_*` indicator as a `Kpi` (so the cards' builders apply)."""
    data = frame.sort_values("periode")
    year, value, prev_year, prev_value = activity_latest(data)
    sources = tuple(
        dict.fromkeys(
            part for s in data.loc[data["periode"] == year, "sources"].dropna() for part in str(s).split(" | ")
        )
    )
    origins = tuple(sorted_origins(o) for o in data["origines"]) if "origines" in data else ()
    by_year = dict(zip((str(p) for p in data["periode"]), origins))
    latest = by_year.get(year or "", ())
    return Kpi(
        str(indicator.get("id", "")),
        str(indicator.get("libelle", "")),
        str(indicator.get("unite", "")),
        year or "",
        value,
        prev_value,
        prev_year,
        tuple(float(v) for v in data["valeur"]),
        tuple(str(p) for p in data["periode"]),
        sources,
        bool(data.loc[data["periode"] == year, "illustratif"].any()) if year else False,
        (),
        latest,
        by_year.get(prev_year or "", ()),
        origins,
        (origin_summary(latest),) * len(sources) if len(latest) == 1 else (),
    )


def activity_figure(frame: pd.DataFrame, title: str | None, unit: str):  # noqa: ANN201 - plotly Figure
    """Small bar chart of a lab's annual activity (French separators, readable fonts). Plotly renders some
    HTML in its texts: the title and the unit (data text) are HTML-escaped. `title=None`: no title inside the
    figure (the page writes it above, where it wraps on a phone; plotly cuts a title wider than the chart)."""
    import plotly.graph_objects as go

    data = frame.sort_values("periode")
    unit = escape_html(unit)
    fig = go.Figure(
        go.Bar(
            x=[escape_html(p) for p in data["periode"]],
            y=list(data["valeur"]),
            marker_color="#000091",
            text=[formatting.number(v) for v in data["valeur"]],
            textposition="outside",
            hovertext=[
                f"{escape_html(p)} : {formatting.number(v)} {unit}".rstrip()
                for p, v in zip(data["periode"], data["valeur"])
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    top = float(data["valeur"].max()) if not data.empty else 0.0
    fig.update_layout(
        title={"text": escape_html(title), "font": {"size": 16}} if title else None,
        separators=formatting.PLOTLY_SEPARATORS,
        height=300,
        margin={"l": 10, "r": 10, "t": 50 if title else 36, "b": 10},
        font={"size": 14},
        yaxis={"title": unit, "range": [0, top * 1.2 if top > 0 else 1], "tickformat": ",d"},
        xaxis={"title": "Année scolaire", "type": "category"},
        plot_bgcolor="white",
    )
    return fig


# ----------------------------------------------------------------------------------------------- overview


def bassins_in_scope(bassins: pd.DataFrame, departements: Sequence[str] = (), selected: Sequence[str] = ()) -> int:
    """Number of bassins of the chosen territory (`Filters.covers`: the chosen bassins, else those of the chosen
    départements, else all)."""
    chosen = Filters(departements=tuple(departements), bassins=tuple(selected))
    return sum(chosen.covers(dep, code) for code, dep in zip(bassins["code"], bassins["departement"], strict=True))


def scope_text(departements: Sequence[str], bassins: Sequence[str], labels: Labels, academie: str) -> str:
    """`Académie de Nancy-Metz`, `Moselle`, `bassins de Metz et Thionville`…"""
    if bassins:
        names = [labels.of("bassins", b) for b in bassins]
        return ("bassin de " if len(names) == 1 else "bassins de ") + _join(names)
    if departements:
        return _join([labels.of("departements", d) for d in departements])
    return academie


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def overview_subtitle(
    scope: str, annee: str | None, debut: str | None, fin: str | None, rule: str | None = None
) -> str:
    """One line under the title: territory, year of the cards (`rule`: « 2024-2025 quand disponible, sinon
    2023-2024 » when they mix years, `kpi_year_rule`), period of the curves."""
    text = scope
    if rule and rule != annee:
        text += f" · chiffres clés : {rule}"
    elif annee:
        text += f" · chiffres clés de l'année scolaire {annee}"
    if debut and fin and debut != fin:
        text += f" · évolution {debut} → {fin}"
    return text


# ------------------------------------------------------------------------------------------ lab fiche


def lab_activity_indicators(catalogue: pd.DataFrame, roles: config.IndicatorRoles) -> pd.DataFrame:
    """The indicators a single lab's fiche shows: those measured per lab (`territoires` has `laboratoire`, not
    monthly), not the count of labs (`roles.nombre_laboratoires`), in the académie's order
    (`roles.activite_laboratoire`, the main one first), then by label."""
    per_lab = catalogue["territoires"].fillna("").map(lambda t: "laboratoire" in str(t).split("|"))
    annual = catalogue["granularite"] != "mensuelle"
    chosen = catalogue[per_lab & annual & (catalogue["id"] != roles.nombre_laboratoires)]
    rank = {ind: i for i, ind in enumerate(roles.activite_laboratoire)}
    return (
        chosen.assign(_rang=chosen["id"].map(lambda i: rank.get(i, len(rank))))
        .sort_values(["_rang", "libelle"])
        .drop(columns="_rang")
    )


def lab_rows(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of one lab in a `series(..., by="laboratoire")` result."""
    if frame.empty:
        return frame
    return frame[frame["groupe"] == code].sort_values("periode").reset_index(drop=True)


def activity_table(
    series: Mapping[str, pd.DataFrame],
    names: Mapping[str, str],
    people: Iterable[str] = (),
    rules: small_counts.Policy | None = None,
) -> pd.DataFrame:
    """Wide table of a lab's activity: one row per school year, one column per indicator (French names), and
    the column « Origine » (`illustratif` as soon as one value of the year is, from the `origine` column).

    `people` (ids of indicators counting people) with `rules`: their small counts are shown `< 5`."""
    columns = {}
    origins: dict[str, set[str]] = {}
    people = set(people)
    for ind, frame in series.items():
        if not frame.empty:
            values = frame.set_index("periode")["valeur"]
            if rules is not None and ind in people:
                values = pd.Series(small_counts.mask_values(values, rules), index=values.index, dtype=object)
            columns[names.get(ind, ind)] = values
            if "origines" in frame:
                for period, found in zip(frame["periode"], frame["origines"]):
                    origins.setdefault(str(period), set()).update(sorted_origins(found))
    if not columns:
        return pd.DataFrame()
    table = pd.DataFrame(columns).sort_index()
    if origins:
        table["Origine"] = [ORIGIN_WORDS.get(origin_summary(origins.get(str(p), ())), "") for p in table.index]
    table.index.name = "Année scolaire"
    return table.reset_index()


def project_lines(projects: pd.DataFrame) -> list[str]:
    """Markdown lines of a lab's projects cited by the bilan (data text escaped)."""
    e = escape_markdown
    lines = []
    for row in projects.to_dict("records"):
        theme = row.get("thematique_libelle") or row.get("thematique") or ""
        lines.append(f"- **{e(row.get('intitule', ''))}** ({e(theme)}) : {e(row.get('projet', ''))}")
    return lines


def download_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A display table with list cells joined (for CSV / Excel)."""
    out = table.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list)).any():
            out[column] = out[column].map(lambda v: ", ".join(v) if isinstance(v, list) else v)
    return out
