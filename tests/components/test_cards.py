"""KPI and laboratory cards: pure builders, and the KPI card render wrapper through AppTest."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from observatoire import config, small_counts
from observatoire.figures import cards, formatting, sparkline
from observatoire.labels import Labels
from observatoire.queries import Kpi
from tests.helpers import md_text

NBSP = formatting.NBSP
LABELS = Labels(
    thematiques={"webmedias": "Webmédias (webradios, web TV)", "savoirs_fondamentaux": "Savoirs fondamentaux"},
    niveaux={"ecole": "École", "college": "Collège"},
    bassins={"54-nancy": "Nancy", "57-metz": "Metz"},
    departements={"54": "Meurthe-et-Moselle", "57": "Moselle"},
)


def make_kpi(
    valeur: float | None = 112.5,
    precedente: float | None = 100.0,
    unite: str = "visites",
    libelle: str = "Visites de l'ENT",
    sources: tuple[str, ...] = ("Bilan DRANE 2023-2024, « L'ENT »",),
    illustratif: bool = False,
    ignored: tuple[str, ...] = (),
    origine: str | None = None,
    origine_precedente: str | None = None,
) -> Kpi:
    """A two-year KPI; origins default to `illustratif` when `illustratif`, else `bilan`."""
    history = tuple(v for v in (precedente, valeur) if v is not None)
    years = ("2022-2023", "2023-2024")[-len(history) :] if history else ()
    origine = origine or (config.ILLUSTRATIVE if illustratif else "bilan")
    origine_precedente = origine_precedente or origine
    by_year = {"2022-2023": (origine_precedente,), "2023-2024": (origine,)}
    return Kpi(
        "ent_visites",
        libelle,
        unite,
        "2023-2024",
        valeur,
        precedente,
        "2022-2023" if precedente is not None else None,
        history,
        years,
        sources,
        illustratif,
        ignored,
        (origine,),
        (origine_precedente,) if precedente is not None else (),
        tuple(by_year[y] for y in years),
        (origine,) * len(sources),
    )


# ------------------------------------------------------------------------------------------------ values


def test_value_is_compact_and_drops_a_unit_the_name_already_says():
    assert cards.kpi_value_text(make_kpi(valeur=64_500_000.0)) == f"64,5{NBSP}M"
    assert cards.kpi_value_text(make_kpi(valeur=35_367.0)) == f"35{NBSP}367"


def test_value_keeps_a_unit_the_name_does_not_say():
    kpi = make_kpi(valeur=382.0, unite="sites", libelle="Établissements publiés")
    assert cards.kpi_value_text(kpi) == "382 sites"
    assert cards.kpi_value_text(kpi, markup=True) == "382 :small[sites]"


def test_value_of_a_rate_and_of_a_missing_value():
    assert cards.kpi_value_text(make_kpi(valeur=98.0, unite="%", libelle="Taux")) == f"98,0{NBSP}%"
    assert cards.kpi_value_text(make_kpi(valeur=None)) == "—"
    assert cards.kpi_value_text(make_kpi(valeur=float("nan"))) == "—"


# ------------------------------------------------------------------------------------------------ deltas


def test_card_delta_text_keeps_vs_and_the_year_in_one_piece():
    # the pill wraps on a narrow card: « +12,5 % » / « vs 2022-2023 », never « 2022- » / « 2023 »
    kpi = make_kpi(112.5, 100.0)
    text = cards.kpi_card_delta_text(kpi)
    assert text == f"+12,5{NBSP}%\nvs\u00a02022-2023"
    assert text.replace("\u00a0", " ").replace("\n", " ") == cards.kpi_delta_text(kpi)
    assert cards.kpi_card_delta_text(make_kpi(90.0, 100.0)).startswith("-")  # st.metric: red, down arrow
    assert cards.kpi_card_delta_text(make_kpi(precedente=None)) is None


def test_delta_text_positive_negative_zero():
    assert cards.kpi_delta_text(make_kpi(112.5, 100.0)) == f"+12,5{NBSP}% vs 2022-2023"
    assert cards.kpi_delta_text(make_kpi(90.0, 100.0)) == f"-10,0{NBSP}% vs 2022-2023"
    assert cards.kpi_delta_text(make_kpi(100.0, 100.0)) == f"0,0{NBSP}% vs 2022-2023"


def test_negative_delta_starts_with_an_ascii_minus_so_streamlit_colours_it_red():
    assert cards.kpi_delta_text(make_kpi(90.0, 100.0)).startswith("-")


def test_delta_of_a_rate_is_in_points():
    kpi = make_kpi(98.0, 96.5, unite="%", libelle="Taux de certification")
    assert cards.kpi_delta_text(kpi) == f"+1,5{NBSP}pt vs 2022-2023"


def test_no_delta_without_a_previous_year_or_with_a_zero_previous_value():
    assert cards.kpi_delta_text(make_kpi(precedente=None)) is None
    assert cards.kpi_delta_text(make_kpi(100.0, 0.0)) is None
    assert cards.kpi_delta_style(make_kpi(precedente=None)) == ("off", "off")


def test_delta_style_is_grey_without_arrow_for_no_change():
    assert cards.kpi_delta_style(make_kpi(100.0, 100.0)) == ("off", "off")
    assert cards.kpi_delta_style(make_kpi(100.01, 100.0)) == ("off", "off")  # rounds to 0,0 %
    assert cards.kpi_delta_style(make_kpi(90.0, 100.0)) == ("normal", "auto")


# ----------------------------------------------------------------------------------------------- sources


def test_short_source_drops_details_and_names_the_bilan_section():
    sources = ("Bilan DRANE 2023-2024, « L'ENT » (64,5 millions de visites)",)
    assert cards.short_source(sources, origins=("bilan",)) == "bilan, « L'ENT »"


def test_short_source_deduplicates_and_marks_illustrative():
    sources = (
        "Bilan DRANE 2023-2024, « Pix élèves » (a)",
        "Bilan DRANE 2023-2024, « Pix élèves » (b)",
        config.ILLUSTRATIVE,
    )
    origins = ("bilan", "bilan", "illustratif")
    assert cards.short_source(sources, origins=origins) == "bilan, « Pix élèves » ; illustratif"
    assert cards.short_source((config.ILLUSTRATIVE,), origins=("illustratif",)) == "illustratif"


def test_short_source_of_a_deduced_sum_uses_the_catalogue_section():
    sources = ("Déduit du bilan DRANE 2023-2024 (somme des valeurs détaillées)",)
    section = "Bilan DRANE 2023-2024, « Ressources numériques »"
    assert cards.short_source(sources, section, ("deduit",)) == "déduit du bilan, « Ressources numériques »"
    deduced = ("Déduit du bilan DRANE 2023-2024, « Un accompagnement territorial » (2 694 h / 4)",)
    assert cards.short_source(deduced, origins=("deduit",)) == "déduit du bilan, « Un accompagnement territorial »"


def test_short_source_reads_the_origin_not_the_text():
    """The origin is data: a text that looks like the bilan but whose origine is `illustratif` is not called
    « bilan », an imported row is « importé » whatever its text says, and an illustrative-looking text with
    origine `bilan` is the bilan."""
    looks_like_bilan = ("Bilan DRANE 2023-2024, « L'ENT »",)
    assert cards.short_source(looks_like_bilan, origins=("illustratif",)) == "illustratif"
    assert cards.short_source(("Bilan X, « ENT »",), origins=("import",)) == "Bilan X, « ENT » (importé)"
    assert cards.short_source(("illustratif (texte)",), origins=("bilan",)) == "bilan"
    # without origins nothing is said to come from the bilan: the text is shown as written
    assert cards.short_source(looks_like_bilan) == "Bilan DRANE 2023-2024, « L'ENT »"


def test_caption_and_help():
    kpi = make_kpi(illustratif=True, sources=(config.ILLUSTRATIVE,))
    assert cards.kpi_caption(kpi) == "Source : illustratif (valeur générée)"
    text = md_text(cards.kpi_help(kpi, "Visites annuelles."))  # Markdown: data text escaped
    assert text.startswith("Visites annuelles.")
    assert "2023-2024" in text and "2022-2023" in text and "illustrati" in text


def test_a_bilan_value_with_a_generated_previous_year_never_shows_a_growth_as_a_fact():
    """The default view of the demo: 2023-2024 from the bilan, 2022-2023 generated."""
    kpi = make_kpi(64_500_000.0, 58_081_217.0, origine="bilan", origine_precedente=config.ILLUSTRATIVE)
    assert kpi.origine == "bilan" and not kpi.valeur_illustrative and kpi.evolution_illustrative
    assert cards.kpi_delta_text(kpi) == f"+11,1{NBSP}% vs 2022-2023"  # on the card: grey pill + badge
    assert cards.kpi_delta_text(kpi, mark=True) == f"+11,1{NBSP}% vs 2022-2023 (illustratif)"  # tooltip, tables
    assert cards.kpi_delta_style(kpi) == ("off", "off")  # grey, no arrow: not the colours of a fact
    assert cards.kpi_badge(kpi) == "Illustratif"
    caption = cards.kpi_caption(kpi)
    assert caption == "Valeur 2023-2024 : bilan, « L'ENT » ; années précédentes : illustratif"
    assert not caption.startswith("Source : bilan")
    help_text = md_text(cards.kpi_help(kpi, None))
    assert "Valeur 2023-2024 : bilan." in help_text
    assert f"Évolution +11,1{NBSP}% vs 2022-2023 (illustratif) : illustrative" in help_text
    assert "Courbe : valeur 2022-2023 illustrative." in help_text
    chart = cards.kpi_sparkline(kpi)
    assert "stroke-dasharray" in chart and "valeur illustrative : 2022-2023" in chart


def test_a_growth_between_two_trusted_years_is_shown_as_is():
    kpi = make_kpi(origine="bilan", origine_precedente="deduit")
    assert cards.kpi_delta_text(kpi) == f"+12,5{NBSP}% vs 2022-2023"
    assert cards.kpi_delta_style(kpi) == ("normal", "auto")
    assert cards.kpi_badge(kpi) is None and cards.kpi_trusted(kpi)
    assert cards.kpi_caption(kpi) == "Source : bilan, « L'ENT »"
    assert "stroke-dasharray" not in cards.kpi_sparkline(kpi)
    imported = make_kpi(origine="import", origine_precedente="import", sources=("Enquête ENT 2024",))
    assert (
        cards.kpi_caption(imported) == "Source : Enquête ENT 2024 (importé)" and cards.kpi_badge(imported) is None
    )


def test_a_deduced_value_says_deduit_du_bilan():
    kpi = make_kpi(origine="deduit", sources=("Déduit du bilan DRANE 2023-2024 (somme des valeurs détaillées)",))
    section = "Bilan DRANE 2023-2024, « Ressources numériques »"
    assert cards.kpi_caption(kpi, section) == "Source : déduit du bilan, « Ressources numériques »"


def test_a_value_partly_generated_is_illustrative():
    kpi = make_kpi(origine="bilan")
    mixed = Kpi(**{**kpi.__dict__, "origines": ("bilan", config.ILLUSTRATIVE)})
    assert mixed.valeur_illustrative and mixed.origine == config.ILLUSTRATIVE
    assert cards.kpi_badge(mixed) == "Illustratif"
    assert "bilan" not in cards.kpi_caption(mixed)


def test_merged_notes_lists_each_note_once_with_the_indicators_concerned():
    note = "Filtre public : ne s'applique pas à cet indicateur (valeur tous publics affichée)."
    kpis = [make_kpi(libelle="A", ignored=(note,)), make_kpi(libelle="B", ignored=(note,)), make_kpi(libelle="C")]
    assert cards.merged_notes(kpis) == [f"{note[:-1]} — concerne : A, B."]
    everyone = [make_kpi(libelle="A", ignored=(note,)), make_kpi(libelle="B", ignored=(note,))]
    assert cards.merged_notes(everyone) == [f"{note[:-1]} — concerne tous les indicateurs ci-dessus."]
    assert cards.merged_notes([make_kpi()]) == []


def test_kpi_year_text():
    assert cards.kpi_year_text([make_kpi()]) == "2023-2024"
    assert cards.kpi_year_text([]) is None


# ------------------------------------------------------------------------------------------------- labs


def test_coverage_text_plurals():
    assert cards.coverage_text(16, 11, 17) == "16 laboratoires dans 11 bassins sur 17"
    assert cards.coverage_text(1, 1, 17) == "1 laboratoire dans 1 bassin sur 17"
    assert cards.coverage_text(0, 0, 5).startswith("Aucun laboratoire")


def test_opening_note():
    assert cards.opening_note(16, 16, "2023-2024") == "Laboratoires ouverts pendant l'année scolaire 2023-2024."
    assert cards.opening_note(13, 16, "2022-2023").endswith("; 3 autres ont ouvert ensuite.")
    assert cards.opening_note(15, 16, "2022-2023").endswith("; 1 autre a ouvert ensuite.")


def test_count_text():
    assert cards.count_text(12, 16) == "12 laboratoires sur 16"
    assert cards.count_text(1, 16) == "1 laboratoire sur 16"
    assert cards.count_text(0, 16) == "Aucun laboratoire sur 16"


def test_labs_source_text_counts_cited_and_illustrative_labs():
    sources = [
        "Bilan DRANE 2023-2024, « Labs » (ouverture illustrative)",
        "Bilan DRANE 2023-2024, « Labs »",
        config.ILLUSTRATIVE,
    ]
    text = cards.labs_source_text(sources, config.academie().bilan)
    assert text.startswith("Source : 2 lieux cités par le bilan")
    assert "1 laboratoire illustratif" in text


LAB = {
    "code": "lab-x",
    "nom": "Laboratoire X",
    "commune": "Nancy",
    "code_commune": "54395",
    "departement": "54",
    "departement_nom": "Meurthe-et-Moselle",
    "bassin": "54-nancy",
    "bassin_nom": "Nancy",
    "latitude": 48.6921,
    "longitude": 6.1844,
    "structure": "établissement",
    "territoire": "QPV",
    "thematiques": "savoirs_fondamentaux|webmedias",
    "niveaux": "ecole|college",
    "ouverture": 2021,
    "source": "Bilan DRANE 2023-2024, « Labs » (ouverture illustrative)",
}


def test_lab_card_text_uses_labels():
    card = cards.lab_card_text(LAB, LABELS)
    assert card["titre"] == "Laboratoire X"
    assert card["thematiques"] == ["Savoirs fondamentaux", "Webmédias (webradios, web TV)"]
    assert card["niveaux"] == "École, Collège"
    assert "Nancy" in card["lieu"] and "(54)" in card["lieu"]
    assert card["illustratif"] and card["origine"] == "partiel"


def test_lab_origin():
    assert cards.lab_origin(config.ILLUSTRATIVE) == "illustratif"
    assert cards.lab_origin("Bilan DRANE 2023-2024, « Labs »") == "bilan"
    assert cards.lab_origin(LAB["source"]) == "partiel"


def test_lab_facts_in_french():
    facts = dict(cards.lab_facts(LAB, LABELS))
    assert facts["Coordonnées"] == "48,6921° N, 6,1844° E"
    assert facts["Territoire"] == cards.TERRITOIRES["QPV"]
    assert facts["Structure porteuse"] == "Établissement scolaire"
    assert facts["Ouverture"] == "2021"
    assert facts["Thématiques"] == "Savoirs fondamentaux, Webmédias (webradios, web TV)"


def test_coordinates_text_handles_missing_values():
    assert cards.coordinates_text(None, 6.1) == "—"
    assert cards.coordinates_text(float("nan"), 6.1) == "—"
    assert cards.coordinates_text(-12.5, -1.25) == "12,5000° S, 1,2500° O"


def test_labs_table_shows_labels_not_codes():
    table = cards.labs_table(pd.DataFrame([LAB]), LABELS)
    assert list(table.columns) == [
        "Laboratoire",
        "Commune",
        "Bassin",
        "Département",
        "Thématiques",
        "Niveaux",
        "Structure",
        "Territoire",
        "Ouverture",
        "Source",
    ]
    row = table.iloc[0]
    assert row["Thématiques"] == ["Savoirs fondamentaux", "Webmédias (webradios, web TV)"]
    assert row["Niveaux"] == ["École", "Collège"]
    assert row["Source"] == "Bilan DRANE 2023-2024, « Labs » (en partie illustratif)"
    flat = cards.download_frame(table)
    assert flat.iloc[0]["Niveaux"] == "École, Collège"


def test_code_labels_keeps_unknown_codes():
    assert cards.code_labels("ecole|inconnu", LABELS.niveaux) == ["École", "inconnu"]
    assert cards.code_labels(None, LABELS.niveaux) == []


SERIES = pd.DataFrame(
    {
        "periode": ["2022-2023", "2023-2024", "2023-2024", "2021-2022"],
        "groupe": ["lab-x", "lab-x", "lab-y", "lab-x"],
        "libelle": ["X", "X", "Y", "X"],
        "valeur": [10.0, 12.0, 99.0, 8.0],
        "illustratif": [True, True, True, True],
        "sources": [config.ILLUSTRATIVE] * 4,
        "origines": [config.ILLUSTRATIVE] * 4,
    }
)


def test_lab_rows_and_activity_kpi():
    rows = cards.lab_rows(SERIES, "lab-x")
    assert list(rows["periode"]) == ["2021-2022", "2022-2023", "2023-2024"]
    kpi = cards.lab_activity_kpi({"id": "labo_classes", "libelle": "Classes", "unite": "classes"}, rows)
    assert (kpi.annee, kpi.valeur, kpi.annee_precedente, kpi.precedente) == ("2023-2024", 12.0, "2022-2023", 10.0)
    assert kpi.historique == (8.0, 10.0, 12.0)
    assert kpi.illustratif and kpi.sources == (config.ILLUSTRATIVE,)
    assert kpi.origines == (config.ILLUSTRATIVE,) and kpi.annees_illustratives == kpi.annees
    assert cards.kpi_delta_text(kpi, mark=True) == f"+20,0{NBSP}% vs 2022-2023 (illustratif)"


def test_activity_table_is_wide_with_french_names():
    rows = cards.lab_rows(SERIES, "lab-x")
    table = cards.activity_table(
        {"labo_classes": rows, "labo_formations": rows.iloc[0:0]}, {"labo_classes": "Classes concernées"}
    )
    assert list(table.columns) == ["Année scolaire", "Classes concernées", "Origine"]
    assert list(table["Classes concernées"]) == [8.0, 10.0, 12.0]
    assert list(table["Origine"]) == ["illustratif"] * 3  # the exported table says it too
    assert cards.activity_table({}, {}).empty


def test_activity_table_and_card_hide_small_counts_of_people():
    rules = small_counts.Policy(5, frozenset({"personnes"}))
    rows = cards.lab_rows(SERIES, "lab-x").assign(valeur=[3.0, 10.0, 4.0])
    table = cards.activity_table(
        {"labo_personnes": rows}, {"labo_personnes": "Personnes"}, {"labo_personnes"}, rules
    )
    assert list(table["Personnes"]) == ["< 5", 10.0, "< 5"]
    kpi = cards.lab_activity_kpi({"id": "labo_personnes", "libelle": "Personnes", "unite": "personnes"}, rows)
    assert cards.kpi_value_text(kpi, rules=rules) == "< 5"  # the name says the unit
    assert cards.kpi_delta_text(kpi, rules) is None and cards.kpi_sparkline(kpi, rules) == ""
    assert cards.kpi_value_text(kpi) == "4"  # académie / département level: exact
    # nor does the tooltip of an illustrative card write the change out (4 vs 10: -60 %)
    assert kpi.evolution_illustrative
    assert "%" not in cards.kpi_help(kpi, None, rules) and "%" in cards.kpi_help(kpi, None)


def test_lab_activity_indicators_excludes_the_count_and_puts_people_first():
    catalogue = pd.DataFrame(
        {
            "id": ["labo_classes", "labo_nombre", "ent_visites", "labo_personnes"],
            "libelle": ["Classes", "Nombre", "Visites", "Personnes"],
            "territoires": [
                "academie|laboratoire",
                "academie|laboratoire",
                "academie",
                "academie|bassin|laboratoire",
            ],
            "granularite": ["annuelle"] * 4,
        }
    )
    roles = config.academie().indicateurs  # the count of labs and the order are the académie's (academie.json)
    assert list(cards.lab_activity_indicators(catalogue, roles)["id"]) == ["labo_personnes", "labo_classes"]


def test_project_lines():
    projects = pd.DataFrame(
        [
            {
                "intitule": "Webradio",
                "thematique": "webmedias",
                "thematique_libelle": "Webmédias",
                "projet": "Fables",
            }
        ]
    )
    assert cards.project_lines(projects) == ["- **Webradio** (Webmédias) : Fables"]


def test_activity_figure_uses_french_separators():
    fig = cards.activity_figure(cards.lab_rows(SERIES, "lab-x"), "Classes", "classes")
    assert fig.layout.separators == formatting.PLOTLY_SEPARATORS
    assert list(fig.data[0].x) == ["2021-2022", "2022-2023", "2023-2024"]


# --------------------------------------------------------------------------------------------- overview


def test_bassins_in_scope():
    bassins = pd.DataFrame({"code": ["54-a", "54-b", "57-a"], "departement": ["54", "54", "57"]})
    assert cards.bassins_in_scope(bassins) == 3
    assert cards.bassins_in_scope(bassins, ("54",)) == 2
    assert cards.bassins_in_scope(bassins, ("54",), ("54-a",)) == 1


def test_scope_and_subtitle():
    nom = config.academie().nom
    assert cards.scope_text(("54", "57"), (), LABELS, nom) == "Meurthe-et-Moselle et Moselle"
    assert cards.scope_text((), ("57-metz",), LABELS, nom) == "bassin de Metz"
    assert cards.scope_text((), (), LABELS, nom) == config.academie().nom
    text = cards.overview_subtitle("Académie", "2023-2024", "2020-2021", "2023-2024")
    assert text == "Académie · chiffres clés de l'année scolaire 2023-2024 · évolution 2020-2021 → 2023-2024"
    assert "évolution" not in cards.overview_subtitle("Académie", "2022-2023", "2022-2023", "2022-2023")


# ------------------------------------------------------------------------------------------ render (AppTest)


def _grid_script(figures: tuple, view) -> None:
    from components import cards as c

    c.render_kpi_grid(figures)
    c.render_kpi_notes(view)


def _grid_args(kpis: list) -> tuple:
    """The cards' inputs as the views build them: key figures with their `Card`, notices « filtre »."""
    from observatoire.views.model import Context, Notice, View
    from observatoire.views.presentation import key_figure

    figures = tuple(key_figure(k, None, None, {}, "") for k in kpis)
    view = View(
        page="vue_ensemble",
        title="",
        context=Context("Académie", (), "2023-2024", 1, "01/01/2026"),
        notices=tuple(Notice(n, "filtre") for n in cards.merged_notes(kpis)),
        items=None,
    )
    return figures, view


@pytest.mark.parametrize(
    ("valeur", "color", "direction"),
    [
        (112.5, MetricProto.MetricColor.GREEN, MetricProto.MetricDirection.UP),
        (90.0, MetricProto.MetricColor.RED, MetricProto.MetricDirection.DOWN),
        (100.0, MetricProto.MetricColor.GRAY, MetricProto.MetricDirection.NONE),
    ],
)
def test_render_kpi_card_colours_a_trusted_string_delta_by_its_sign(valeur, color, direction):
    kpi = make_kpi(
        valeur,
        100.0,
        origine="bilan",
        origine_precedente="deduit",
        ignored=("Filtre public : ne s'applique pas.",),
    )
    at = AppTest.from_function(_grid_script, args=_grid_args([kpi]), default_timeout=30).run()
    assert not at.exception
    metric = at.metric[0]
    assert md_text(metric.label) == kpi.libelle
    assert metric.value == cards.kpi_value_text(kpi, markup=True)
    assert metric.proto.delta == (cards.kpi_card_delta_text(kpi) or "")
    assert metric.proto.color == color
    assert metric.proto.direction == direction
    assert list(metric.proto.chart_data) == []  # no Vega-Lite sparkline (unnamed SVG marks for axe)
    assert not any("Illustratif" in m.value or "illustrative" in m.value for m in at.markdown)
    # the card says the filter it does not answer (as the deck's card), then its source
    assert [md_text(c.value) for c in at.caption] == [
        ":material/filter_alt_off: Valeur tous publics (filtre public non appliqué)",
        "Source : bilan, « L'ENT »",
    ]
    assert "concerne" in at.info[0].value


def test_render_kpi_card_of_an_illustrative_value_grey_delta_badge_and_dashed_sparkline():
    kpi = make_kpi(112.5, 100.0, illustratif=True, sources=(config.ILLUSTRATIVE,))
    at = AppTest.from_function(_grid_script, args=_grid_args([kpi]), default_timeout=30).run()
    assert not at.exception
    metric = at.metric[0]
    assert metric.proto.delta == cards.kpi_card_delta_text(kpi)
    assert metric.proto.color == MetricProto.MetricColor.GRAY
    assert metric.proto.direction == MetricProto.MetricDirection.NONE
    svgs = [m for m in at.markdown if m.value.startswith("<svg")]
    assert len(svgs) == 1 and svgs[0].proto.allow_html  # rendered as HTML: role and aria-label kept
    assert 'role="img"' in svgs[0].value and 'aria-label="Évolution : de 100 en 2022-2023' in svgs[0].value
    assert "stroke-dasharray" in svgs[0].value and sparkline.ILLUSTRATIVE_COLOR in svgs[0].value
    badges = [m.value for m in at.markdown if m.value.startswith(":orange-badge[")]
    assert badges == [":orange-badge[:material/science: Illustratif]"]  # the one orange badge style
    # the badge comes right after the metric (it qualifies the change), before the curve
    order = [type(e).__name__ + ":" + str(getattr(e, "value", ""))[:14] for e in at.main.columns[0]]
    metric_at = next(i for i, o in enumerate(order) if o.startswith("Metric"))
    assert order[metric_at + 1].startswith("Markdown::orange-badge") and "<svg" in order[metric_at + 2]
    assert [md_text(c.value) for c in at.caption] == ["Source : illustratif (valeur générée)"]
