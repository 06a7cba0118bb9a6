"""The KPI cards' sparkline: an accessible SVG (role="img", French text alternative), escaped, dashed and
orange when a point is illustrative, nothing drawn with fewer than two points."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from observatoire.figures import formatting, sparkline

NBSP = formatting.NBSP
YEARS = ("2020-2021", "2021-2022", "2022-2023", "2023-2024")
VALUES = (47_654_834.0, 51_867_894.0, 58_081_217.0, 64_500_000.0)
SVG_NS = "{http://www.w3.org/2000/svg}"


def test_alt_text_says_the_whole_trend_in_french():
    text = sparkline.alt_text(VALUES, YEARS, "visites")
    assert text == (
        f"Évolution : de 47,7{NBSP}M en 2020-2021 (51,9{NBSP}M en 2021-2022, 58,1{NBSP}M en 2022-2023) "
        f"à 64,5{NBSP}M en 2023-2024."
    )
    assert sparkline.alt_text((12.5, 98.0), ("2022-2023", "2023-2024"), "%").endswith(f"98,0{NBSP}% en 2023-2024.")


def test_alt_text_names_the_illustrative_years():
    text = sparkline.alt_text(VALUES, YEARS, "visites", YEARS[:3])
    assert text.endswith(" — valeurs illustratives : 2020-2021, 2021-2022, 2022-2023.")
    assert sparkline.alt_text(VALUES, YEARS, "visites", ("2022-2023",)).endswith(
        " — valeur illustrative : 2022-2023."
    )
    assert sparkline.alt_text(VALUES, YEARS, "visites", YEARS).endswith(" — valeurs illustratives.")
    assert sparkline.alt_text(VALUES, YEARS, "visites", True).endswith(" — valeurs illustratives.")
    assert sparkline.alt_text(VALUES, YEARS, "visites", ()).endswith("2023-2024.")


def test_svg_is_one_named_image():
    out = sparkline.svg(VALUES, YEARS, "visites")
    root = ET.fromstring(out)  # well-formed XML
    assert root.tag == f"{SVG_NS}svg" and root.get("role") == "img"
    label = sparkline.alt_text(VALUES, YEARS, "visites")
    assert root.get("aria-label") == label and root.find(f"{SVG_NS}title").text == label
    # no other element with a role (axe: svg-img-alt, role="graphics-symbol" without a name)
    assert [e for e in root.iter() if e.get("role") and e is not root] == []
    polyline = root.find(f"{SVG_NS}polyline")
    assert polyline.get("stroke") == sparkline.COLOR and polyline.get("stroke-dasharray") is None
    assert len(polyline.get("points").split()) == 4


def test_svg_is_dashed_and_orange_when_a_point_is_illustrative_the_last_bilan_point_stays_blue():
    root = ET.fromstring(sparkline.svg(VALUES, YEARS, "visites", YEARS[:3]))
    polyline = root.find(f"{SVG_NS}polyline")
    assert polyline.get("stroke") == sparkline.ILLUSTRATIVE_COLOR and polyline.get("stroke-dasharray")
    assert root.find(f"{SVG_NS}line").get("stroke") == sparkline.COLOR  # 2023-2024: the bilan's figure
    every = ET.fromstring(sparkline.svg(VALUES, YEARS, "visites", True))
    assert every.find(f"{SVG_NS}line").get("stroke") == sparkline.ILLUSTRATIVE_COLOR


def test_data_text_is_escaped_in_the_label_and_the_title():
    hostile = ('"><script>alert(1)</script>', "2023-2024\u202e")
    out = sparkline.svg((1.0, 2.0), hostile, "x")
    assert "<script" not in out and "&lt;script&gt;" in out and "&#34;&gt;" in out
    assert "\u202e" not in out  # bidi controls dropped
    root = ET.fromstring(out)
    assert "<script>alert(1)</script>" in root.get("aria-label")  # read back: the text itself, as text


def test_fewer_than_two_points_draw_nothing_but_still_have_a_text():
    assert sparkline.svg((64.5,), ("2023-2024",), "visites") == ""
    assert sparkline.svg((), (), "visites") == ""
    assert sparkline.svg((None, math.nan, 3.0), ("a", "b", "c"), "x") == ""  # missing values are skipped
    assert (
        sparkline.alt_text((64.5,), ("2023-2024",), "visites")
        == "Évolution : 64,5 en 2023-2024 (une seule année)."
    )
    assert sparkline.alt_text((), (), "x") == "Évolution : aucune donnée."


def test_a_flat_series_is_drawn_mid_height_without_dividing_by_zero():
    root = ET.fromstring(sparkline.svg((5.0, 5.0, 5.0), ("a", "b", "c"), "x"))
    ys = {float(p.split(",")[1]) for p in root.find(f"{SVG_NS}polyline").get("points").split()}
    assert len(ys) == 1 and all(re.match(r"^\d", str(y)) for y in ys)
