"""Builders escape the text that comes from data, files or URLs (observatoire.text), wherever it is shown:
folium tooltips / popups / legends (HTML), Plotly texts (HTML subset), Streamlit Markdown, URL notices.

What the browser makes of it is checked in Chromium by tests/e2e/test_injection.py."""

from __future__ import annotations

import math
import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from components import catalog, maps, sidebar
from observatoire import config, geo, queries, text
from observatoire.figures import bassin_panel, cards, charts, classification, foliummap
from observatoire.filters import Choices, Filters, parse_params
from observatoire.labels import Labels
from observatoire.queries import Kpi
from tests.helpers import md_text

HTML = '<img src=x onerror="alert(1)">'
MD = "![x](http://127.0.0.1:9/px.png) [Cliquez ici](https://phish.example/) :red[**x**] :material/warning:"
HOSTILE = f"Nom {HTML} {MD} \u202eevil\u200b"
SHOWN = "Nom " + HTML + " " + MD + " evil"  # what a reader must see: the text itself, invisible characters gone
YEAR = "2023-2024"


def _no_raw_html(html_text: str) -> None:
    assert "<img" not in html_text and 'onerror="' not in html_text, html_text[:300]
    assert "\u202e" not in html_text and "\u200b" not in html_text


def _no_live_markdown(markdown: str) -> None:
    """Nothing in `markdown` that CommonMark or Streamlit would render from the hostile text: once the
    backslash-escaped characters are taken out, no image, link, directive, icon nor HTML is left."""
    live = re.sub(r"\\[!-/:-@\[-`{-~]", "", markdown)
    assert "![" not in live and "](" not in live and ":red[" not in live, markdown
    assert ":material/warning" not in markdown and "<img" not in live  # the app's own icons stay
    node = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)  # the text nodes: escapes resolved
    assert not re.search(r"https?://", node), "a GFM bare-URL autolink would be made"
    assert "\u202e" not in markdown and "\u200b" not in markdown


# ------------------------------------------------------------------------------------------------- maps


def _hostile_values(con) -> pd.DataFrame:
    data = queries.values_by_bassin(con, "labo_personnes", YEAR, Filters()).data.copy()
    data["nom"] = data["nom"] + " " + HOSTILE
    return data


def test_bassin_tooltips_escape_the_name_and_the_unit(con):
    """folium's GeoJsonTooltip inserts the properties as HTML: `nom` and `valeur` (with the unit)."""
    data = _hostile_values(con)
    classes = classification.classify(data["valeur"])
    features = foliummap.bassin_features(geo.geojson_dict("bassins"), data, classes, f"personnes {HTML}")
    for feature in features["features"]:
        for key in ("nom", "valeur"):
            _no_raw_html(feature["properties"][key])
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in feature["properties"]["valeur"]
    import html

    assert html.unescape(features["features"][0]["properties"]["nom"]).endswith(SHOWN)


def test_rendered_map_has_no_raw_payload(con):
    data = _hostile_values(con)
    labs = queries.laboratories(con, Filters()).data.copy()
    labs["nom"] = labs["nom"] + " " + HOSTILE
    labs["commune"] = labs["commune"] + " " + HOSTILE
    labs["source"] = "Bilan " + HOSTILE
    classes = classification.classify(data["valeur"])
    themes = {code: f"Thème {HOSTILE}" for code in queries.labels(con).thematiques}
    m = maps.build_map(
        geo.geojson_dict("bassins"),
        geo.geojson_dict("departements"),
        data,
        classes,
        labs,
        indicator_label=f"Indicateur {HOSTILE}",
        unit=f"u {HTML}",
        annee=YEAR,
        centre=config.academie().carte_centre,
        zoom=config.academie().carte_zoom,
        theme_labels=themes,
        niveau_labels=themes,
    )
    rendered = m.get_root().render()
    # the payload never appears unescaped: not in the data, not in the tooltips, popups, legends
    assert HTML not in rendered and 'onerror=\\"alert' not in rendered
    assert "\\u202e" not in rendered.lower() and "\u202e" not in rendered


def test_lab_popup_and_legends_escape_every_text():
    lab = {
        "nom": HOSTILE,
        "commune": HOSTILE,
        "bassin_nom": HOSTILE,
        "thematiques": "t",
        "niveaux": "n",
        "source": HOSTILE,
    }
    popup = foliummap.lab_popup_html(lab, {"t": HOSTILE}, {"n": HOSTILE}, [(HOSTILE, "12", True)], YEAR)
    _no_raw_html(popup)
    legend = foliummap.legend_html(HOSTILE, HOSTILE, [("#ffffcc", HOSTILE)])
    _no_raw_html(legend)
    _no_raw_html(foliummap.labs_legend_html(["t"], {"t": HOSTILE}))


def test_panel_markdown_escapes_names():
    profile = pd.DataFrame(
        [{"libelle": HOSTILE, "valeur": 1.0, "academie": 10.0, "part_pct": 10.0, "rang": 1, "nb": 17}]
    )
    labs = pd.DataFrame([{"nom": HOSTILE, "commune": HOSTILE, "thematiques": "t"}])
    for markdown in (bassin_panel.profile_markdown(profile), bassin_panel.labs_markdown(labs, {"t": HOSTILE})):
        _no_live_markdown(markdown)
        assert SHOWN in md_text(markdown)


def test_bassins_table_is_plain_text_without_invisible_characters(con):
    data = _hostile_values(con)
    table = bassin_panel.bassins_table(data, classification.classify(data["valeur"]), "personnes", {"57": HOSTILE})
    assert all(name.endswith(SHOWN) for name in table["Bassin"])
    assert not any("\u202e" in d for d in table["Département"])


# ------------------------------------------------------------------------------------------------ charts


def test_plotly_texts_are_html_escaped():
    series = pd.DataFrame(
        [
            {"periode": y, "groupe": "g", "libelle": HOSTILE, "valeur": v, "illustratif": False, "sources": ""}
            for y, v in (("2022-2023", 1.0), ("2023-2024", 2.0))
        ]
    )
    line = charts.line_figure(series, f"u {HTML}")
    assert line.data[0].name == text.escape_html(HOSTILE)
    assert all(HTML not in h for h in line.data[0].hovertext)
    assert HTML not in str(line.layout.yaxis.title.text)
    bassins = pd.DataFrame(
        {
            "code": ["a", "b"],
            "nom": [HOSTILE, "Metz"],
            "departement": ["57", "57"],
            "valeur": [3.0, math.nan],
            "rang": pd.array([1, pd.NA], dtype="Int64"),
        }
    )
    ranking = charts.ranking_figure(bassins, "u")
    assert list(ranking.data[0].y) == [text.escape_html(HOSTILE)]
    assert list(ranking.layout.yaxis.categoryarray) == ["Metz", text.escape_html(HOSTILE)]
    evolution = pd.DataFrame(
        {
            "libelle": [HOSTILE, "Vosges"],
            "valeur_a": [1.0, 0.0],
            "valeur_b": [2.0, 1.0],
            "evolution_pct": [100.0, math.nan],
        }
    )
    figure = charts.evolution_figure(evolution, "u")
    assert list(figure.data[0].y) == [text.escape_html(HOSTILE)]
    assert HTML not in figure.data[0].hovertext[0]
    activity = cards.activity_figure(pd.DataFrame({"periode": ["2023-2024"], "valeur": [3.0]}), HOSTILE, HTML)
    assert HTML not in str(activity.layout.title.text) and HTML not in activity.data[0].hovertext[0]
    assert HTML not in str(activity.layout.yaxis.title.text)


def test_display_tables_drop_invisible_characters_only():
    series = pd.DataFrame(
        [
            {
                "periode": "2023-2024",
                "groupe": "g",
                "libelle": HOSTILE,
                "valeur": 1.0,
                "illustratif": False,
                "sources": HOSTILE,
            }
        ]
    )
    table = charts.display_table(series, "series", "u")
    assert table.iloc[0]["Groupe"] == SHOWN and table.iloc[0]["Source"] == SHOWN


# --------------------------------------------------------------------------------------- cards, catalogue


def _kpi(**kw: object) -> Kpi:
    values = dict(
        indicateur="x",
        libelle=HOSTILE,
        unite=f"u {MD}",
        annee=YEAR,
        valeur=10.0,
        precedente=5.0,
        annee_precedente="2022-2023",
        historique=(5.0, 10.0),
        annees=("2022-2023", YEAR),
        sources=(HOSTILE,),
        illustratif=False,
        ignored=(),
    )
    values.update(kw)
    return Kpi(**values)  # type: ignore[arg-type]


def test_kpi_markdown_texts_are_escaped():
    kpi = _kpi()
    value = cards.kpi_value_text(kpi, markup=True)
    assert value.startswith("10 :small[") and value.endswith("]")
    _no_live_markdown(value[len("10 :small[") : -1])
    help_text = cards.kpi_help(kpi, HOSTILE)
    _no_live_markdown(help_text)
    assert SHOWN in md_text(help_text)


def test_project_lines_and_catalogue_are_escaped():
    projects = pd.DataFrame([{"intitule": HOSTILE, "thematique_libelle": HOSTILE, "projet": HOSTILE}])
    for line in cards.project_lines(projects):
        _no_live_markdown(line)
    indicators = pd.DataFrame(
        [
            {
                "id": "x`y",
                "libelle": HOSTILE,
                "unite": HOSTILE,
                "definition": HOSTILE,
                "source": HOSTILE,
                "agregation": HOSTILE,
                "granularite": HOSTILE,
                "domaine": HOSTILE,
                "kpi": None,
            }
        ]
    )
    ((domain, (paragraph,)),) = catalog.domain_sections(indicators)
    _no_live_markdown(paragraph)
    assert "``x`y``" in paragraph  # the code, as inline code
    provenance = catalog.provenance_markdown(16, 7, YEAR, HOSTILE, HOSTILE)
    _no_live_markdown(provenance)
    assert md_text(provenance).count(SHOWN) == 2


def _card_script(lab: dict, labels) -> None:  # noqa: ANN001 - a Labels
    from components import cards as c

    c.render_lab_card(lab, labels)


def test_lab_card_badges_and_texts_render_escaped():
    lab = {
        "code": "l",
        "nom": HOSTILE,
        "commune": HOSTILE,
        "bassin_nom": HOSTILE,
        "departement": "57",
        "thematiques": "t",
        "niveaux": "n",
        "source": "Bilan " + HOSTILE,
    }
    labels = Labels(thematiques={"t": HOSTILE}, niveaux={"n": HOSTILE})
    at = AppTest.from_function(_card_script, args=(lab, labels), default_timeout=30).run()
    assert not at.exception
    bodies = [str(m.value) for m in at.markdown] + [str(c.value) for c in at.caption]
    badge = next(b for b in bodies if b.startswith(":blue-badge["))
    # st.badge escapes [ and ] itself: the label keeps them unescaped, everything else is escaped
    assert "\\\\[" not in badge and "\\:red\\[" in badge  # `\:` ours, `\[` from st.badge
    for body in bodies:
        if body.startswith((":blue-badge[", ":green-badge[", ":orange-badge[")):
            continue
        _no_live_markdown(body)


# ------------------------------------------------------------------------------------- URL and sidebar


def test_url_notices_quote_the_value_as_inline_code():
    choices = Choices(("57",), {"57-metz": "57"}, ("t",), ("n",), ("p",), ("2022-2023", "2023-2024"))
    hostile = "![x](http://127.0.0.1:9/px.png)" + "a" * 50
    params = {
        "dep": hostile,
        "theme": "[Cliquez ici](https://phish.example/)",
        "de": "![](//127.1:8629/d)",
        "niveau": ":red[**x**]",
        "public": "a`b",
    }
    _, notices = parse_params(params, choices, markdown=True)
    assert len(notices) == 5
    for notice in notices:
        quoted = re.search(r"(`+)(.+?)\1", notice)
        assert quoted, notice
        outside = notice.replace(quoted.group(0), "")
        assert "](" not in outside and ":red[" not in outside, notice
    assert "`![x](http://127.0.0.1:9/px.png)aaaaaaaa`…" in notices[0]  # cut to 40 characters
    assert "`![](//127.1:8629/d)`" in notices[-1] or any("`![](//127.1:8629/d)`" in n for n in notices)
    plain_notices = parse_params(params, choices)[1]
    assert any("« [Cliquez ici](https://phish.example/) »" in n for n in plain_notices)


def test_option_labels_drop_invisible_characters():
    assert sidebar.label_of({"a": "x\u202ey\u200b"}, "a") == "xy"
    assert sidebar.dep_label({"57": "Moselle\u2066"}, "57") == "57 — Moselle"
    assert sidebar.label_of({}, "zz") == "zz"
