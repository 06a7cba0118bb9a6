"""Pure figure builders of `components.charts`: traces, order, French texts, missing values, tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from observatoire.figures import charts, formatting

NNBSP = "\u202f"
YEARS = ["2020-2021", "2021-2022", "2022-2023", "2023-2024"]


def _series(groups: dict[str, tuple[str, list[float]]], years: list[str] = YEARS) -> pd.DataFrame:
    rows = []
    for code, (name, values) in groups.items():
        for year, value in zip(years, values):
            rows.append(
                {
                    "periode": year,
                    "groupe": code,
                    "libelle": name,
                    "valeur": value,
                    "illustratif": True,
                    "sources": "illustratif",
                }
            )
    return pd.DataFrame(rows)


def _monthly(years: list[str]) -> pd.DataFrame:
    rows = []
    for sy in years:
        start = int(sy[:4])
        for month in range(1, 13):
            year = start if month >= 9 else start + 1
            rows.append(
                {
                    "periode": f"{year}-{month:02d}",
                    "groupe": "total",
                    "libelle": "Académie",
                    "valeur": float(month * 1000 + start),
                    "illustratif": True,
                    "sources": "illustratif",
                }
            )
    # shuffled, as a query could return them
    return pd.DataFrame(rows).sample(frac=1, random_state=1).reset_index(drop=True)


def _bassins() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["57-metz", "54-nancy", "55-verdun", "88-epinal"],
            "nom": ["Metz", "Nancy", "Verdun", "Épinal"],
            "departement": ["57", "54", "55", "88"],
            "valeur": [64_500_000.0, 1_234.0, math.nan, 5_000.0],
            "rang": pd.array([1, 3, pd.NA, 2], dtype="Int64"),
            "selectionne": [True, True, True, True],
            "illustratif": [True, False, False, True],
            "sources": ["illustratif", "Bilan DRANE 2023-2024", None, "illustratif"],
        }
    )


def _evolution() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "groupe": ["57", "54", "55", "88"],
            "libelle": ["Moselle", "Meurthe-et-Moselle", "Meuse", "Vosges"],
            "valeur_a": [100.0, 200.0, 0.0, 80.0],
            "valeur_b": [112.5, 150.0, 10.0, 80.0],
            "evolution_pct": [12.5, -25.0, math.nan, 0.0],
        }
    )


# ------------------------------------------------------------------------------------------ line_figure


def test_line_one_trace_per_group_with_french_names():
    frame = _series(
        {
            "57": ("Moselle", [1, 2, 3, 4]),
            "54": ("Meurthe-et-Moselle", [5, 6, 7, 8]),
            "55": ("Meuse", [1, 1, 1, 1]),
        }
    )
    fig = charts.line_figure(frame, "visites")
    assert len(fig.data) == 3
    # legend order = value at the latest year, highest first
    assert [t.name for t in fig.data] == ["Meurthe-et-Moselle", "Moselle", "Meuse"]
    for trace in fig.data:
        assert trace.mode == "lines+markers"
        assert list(trace.x) == YEARS


def test_line_school_years_are_ordered_categories():
    frame = _series({"t": ("Académie", [1, 2, 3, 4])}).iloc[::-1]
    fig = charts.line_figure(frame, "visites")
    assert fig.layout.xaxis.type == "category"
    assert list(fig.layout.xaxis.categoryarray) == YEARS
    assert list(fig.data[0].x) == YEARS
    assert list(fig.data[0].y) == [1, 2, 3, 4]


def test_line_french_hover_separators_unit_and_no_title():
    frame = _series({"57": ("Moselle", [10, 20, 30, 64_500_000]), "54": ("Nancy", [1, 2, 3, 4])})
    fig = charts.line_figure(frame, "visites")
    moselle = next(t for t in fig.data if t.name == "Moselle")
    assert moselle.hovertext[-1] == f"2023-2024 — Moselle : 64{NNBSP}500{NNBSP}000 visites"
    assert "64 500 000".replace(" ", NNBSP) in moselle.hovertext[-1]
    assert "%{hovertext}" in moselle.hovertemplate
    assert fig.layout.separators == formatting.PLOTLY_SEPARATORS
    assert fig.layout.yaxis.title.text == "visites"
    assert not fig.layout.title.text
    assert fig.layout.showlegend is True


def test_line_single_group_has_no_legend_and_percent_unit():
    frame = _series({"t": ("Académie", [80.0, 82.5, 85.25, 90.0])})
    fig = charts.line_figure(frame, "%")
    assert len(fig.data) == 1
    assert fig.layout.showlegend is False
    assert fig.data[0].hovertext[1] == f"2021-2022 — Académie : 82,5{NNBSP}%"
    assert fig.layout.yaxis.ticksuffix.endswith("%")


def test_line_missing_values_are_gaps_not_zeros():
    frame = _series({"57": ("Moselle", [1.0, math.nan, 3.0, 4.0])})
    fig = charts.line_figure(frame, "visites")
    assert list(fig.data[0].x) == ["2020-2021", "2022-2023", "2023-2024"]
    assert 0 not in list(fig.data[0].y)


def test_line_colour_blind_palette_and_redundant_symbols():
    frame = _series({f"g{i}": (f"Groupe {i}", [i, i, i, i]) for i in range(10)})
    fig = charts.line_figure(frame, "visites")
    assert len(fig.data) == 10
    colours = [t.line.color for t in fig.data]
    assert set(colours) <= set(charts.PALETTE)
    # past the 8 colours, dashes and symbols keep the lines distinguishable
    looks = {(t.line.color, t.line.dash, t.marker.symbol) for t in fig.data}
    assert len(looks) == 10


def test_top_groups_keeps_highest_and_names_the_others():
    frame = _series({f"b{i}": (f"Bassin {i}", [i, i, i, i]) for i in range(17)})
    kept, others = charts.top_groups(frame, 8)
    assert kept["groupe"].nunique() == 8
    assert set(kept["groupe"]) == {f"b{i}" for i in range(9, 17)}
    assert len(others) == 9 and "Bassin 0" in others
    small = _series({"a": ("A", [1, 2, 3, 4])})
    assert charts.top_groups(small, 8)[1] == []


# --------------------------------------------------------------------------------------- monthly_figure


def test_monthly_one_trace_per_school_year_on_september_august_axis():
    frame = _monthly(["2022-2023", "2023-2024"])
    fig = charts.monthly_figure(frame, "visites")
    assert [t.name for t in fig.data] == ["2022-2023", "2023-2024"]
    expected = ["sept.", "oct.", "nov.", "déc.", "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août"]
    assert list(fig.layout.xaxis.categoryarray) == expected
    for trace in fig.data:
        assert list(trace.x) == expected
    # values follow the months (not the row order of the frame): September first, August last
    latest = fig.data[1]
    assert latest.y[0] == 9 * 1000 + 2023
    assert latest.y[4] == 1 * 1000 + 2023  # janvier 2024 belongs to 2023-2024
    assert latest.y[-1] == 8 * 1000 + 2023
    assert latest.line.width > fig.data[0].line.width  # the latest year stands out


def test_monthly_french_hover_and_separators():
    frame = pd.DataFrame(
        {
            "periode": ["2024-01", "2023-09"],
            "groupe": "total",
            "libelle": "Académie",
            "valeur": [64_500_000.0, 12.0],
        }
    )
    fig = charts.monthly_figure(frame, "visites")
    trace = fig.data[0]
    assert list(trace.x) == ["sept.", "janv."]
    assert trace.hovertext[1] == f"janvier 2024 (2023-2024) : 64{NNBSP}500{NNBSP}000 visites"
    assert fig.layout.separators == formatting.PLOTLY_SEPARATORS
    assert fig.layout.yaxis.title.text == "visites"


def test_school_year_of():
    assert charts.school_year_of("2023-09") == "2023-2024"
    assert charts.school_year_of("2024-08") == "2023-2024"
    assert charts.school_year_of("2023-2024") == "2023-2024"


# --------------------------------------------------------------------------------------- ranking_figure


def test_ranking_sorted_bars_french_labels_and_no_bar_for_missing():
    fig = charts.ranking_figure(_bassins(), "visites")
    assert len(fig.data) == 1
    bar = fig.data[0]
    assert bar.orientation == "h"
    # plotly draws the first category at the bottom: highest value last = on top
    assert list(bar.y) == ["Nancy", "Épinal", "Metz"]
    assert "Verdun" not in list(bar.y)  # never drawn as 0
    assert list(bar.text) == ["1" + NNBSP + "234", "5" + NNBSP + "000", f"64{NNBSP}500{NNBSP}000"]
    # …but listed on the axis with « pas de donnée »
    assert "Verdun" in list(fig.layout.yaxis.categoryarray)
    notes = [(a.y, a.text) for a in fig.layout.annotations]
    assert ("Verdun", "pas de donnée") in notes
    assert fig.layout.separators == formatting.PLOTLY_SEPARATORS
    assert fig.layout.xaxis.title.text == "visites"
    assert "1er sur 3" in bar.hovertext[-1]


def test_ranking_highlights_selected_bassins():
    frame = _bassins()
    frame["selectionne"] = [True, False, False, False]
    fig = charts.ranking_figure(frame, "visites")
    colours = dict(zip(fig.data[0].y, fig.data[0].marker.color))
    assert colours["Metz"] == charts.HIGHLIGHT
    assert colours["Nancy"] == charts.MUTED


def test_ranking_percent_labels():
    frame = _bassins()
    frame["valeur"] = [85.25, 70.0, math.nan, 90.0]
    fig = charts.ranking_figure(frame, "%")
    assert list(fig.data[0].y) == ["Nancy", "Metz", "Épinal"]
    assert list(fig.data[0].text) == [formatting.percent(70.0), formatting.percent(85.25), f"90,0{NNBSP}%"]
    assert fig.layout.xaxis.ticksuffix.endswith("%")


# ------------------------------------------------------------------------------------- evolution_figure


def test_evolution_diverging_bars_french_percentages_and_nd():
    fig = charts.evolution_figure(_evolution(), "visites")
    bar = fig.data[0]
    assert list(bar.y) == ["Meurthe-et-Moselle", "Vosges", "Moselle"]
    assert list(bar.text) == [f"−25,0{NNBSP}%", f"0,0{NNBSP}%", f"+12,5{NNBSP}%"]
    colours = dict(zip(bar.y, bar.marker.color))
    assert colours["Moselle"] == charts.POSITIVE
    assert colours["Meurthe-et-Moselle"] == charts.NEGATIVE
    assert "Meuse" not in list(bar.y)
    assert "Meuse" in list(fig.layout.yaxis.categoryarray)
    assert ("Meuse", "n. d.") in [(a.y, a.text) for a in fig.layout.annotations]
    assert fig.layout.separators == formatting.PLOTLY_SEPARATORS
    lo, hi = fig.layout.xaxis.range
    assert lo < -25 and hi > 12.5


def test_evolution_text_helper():
    assert charts.evolution_text(12.5) == f"+12,5{NNBSP}%"
    assert charts.evolution_text(math.nan) == "n. d."
    assert charts.evolution_text(None) == "n. d."


# ---------------------------------------------------------------------------------------- display_table


def test_display_table_series_french_headers_numeric_values():
    frame = _series({"57": ("Moselle", [1.5, 2, 3, 64_500_000])})
    table = charts.display_table(frame, "series", "visites", group="Département")
    assert list(table.columns) == [
        "Année scolaire",
        "Département",
        "Valeur (visites)",
        "Données illustratives",
        "Source",
    ]
    assert pd.api.types.is_float_dtype(table["Valeur (visites)"])
    assert table["Valeur (visites)"].tolist() == [1.5, 2.0, 3.0, 64_500_000.0]
    assert set(table["Données illustratives"]) == {"oui"}


def test_display_table_monthly():
    table = charts.display_table(_monthly(["2023-2024"]).sort_values("periode"), "monthly", "visites")
    assert list(table.columns)[:3] == ["Année scolaire", "Mois", "Valeur (visites)"]
    assert "janvier 2024" in set(table["Mois"])
    assert set(table["Année scolaire"]) == {"2023-2024"}


def test_display_table_ranking_keeps_missing_as_empty_with_remark():
    table = charts.display_table(_bassins(), "ranking", "visites")
    assert list(table.columns)[:5] == ["Rang", "Bassin", "Département", "Valeur (visites)", "Remarque"]
    assert table["Bassin"].tolist() == ["Metz", "Épinal", "Nancy", "Verdun"]
    verdun = table[table["Bassin"] == "Verdun"].iloc[0]
    assert math.isnan(verdun["Valeur (visites)"]) and verdun["Remarque"] == "pas de donnée"
    assert table.loc[table["Bassin"] == "Nancy", "Source"].iloc[0] == "Bilan DRANE 2023-2024"


def test_display_table_evolution():
    table = charts.display_table(
        _evolution(), "evolution", "visites", group="Département", year_a="2020-2021", year_b="2023-2024"
    )
    assert list(table.columns) == [
        "Département",
        "2020-2021 (visites)",
        "2023-2024 (visites)",
        "Évolution (%)",
        "Remarque",
    ]
    assert table["Évolution (%)"].tolist()[:2] == [12.5, -25.0]
    assert table.loc[2, "Remarque"].startswith("n. d.")


def test_display_table_unknown_kind():
    with pytest.raises(ValueError):
        charts.display_table(_evolution(), "camembert", "visites")


# ------------------------------------------------------------------------------------------- small counts


def test_small_counts_read_less_than_5_in_hover_texts_bar_labels_and_tables():
    from observatoire import small_counts

    mask = small_counts.Policy(5, frozenset({"élèves"}))
    ranking = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "nom": ["A", "B", "C"],
            "departement": ["88"] * 3,
            "valeur": [3.0, 12.0, float("nan")],
            "rang": pd.array([2, 1, None], dtype="Int64"),
        }
    )
    bar = charts.ranking_figure(ranking, "élèves", mask=mask).data[0]
    assert list(bar.text) == ["< 5", "12"] and "&lt; 5 élèves" in bar.hovertext[0]
    table = charts.display_table(ranking, "ranking", "élèves", mask=mask)
    assert list(table["Valeur (élèves)"][:2]) == [12.0, "< 5"]  # numbers stay numbers in the files
    assert charts.display_table(ranking, "ranking", "élèves")["Valeur (élèves)"].dtype == float  # no mask: numbers
    series = pd.DataFrame(
        {"periode": ["2022-2023", "2023-2024"], "groupe": ["a", "a"], "libelle": ["A", "A"], "valeur": [2.0, 9.0]}
    )
    line = charts.line_figure(series, "élèves", mask=mask).data[0]
    assert "&lt; 5 élèves" in line.hovertext[0] and "9 élèves" in line.hovertext[1]
    evolution = pd.DataFrame(
        {
            "groupe": ["a", "b"],
            "libelle": ["A", "B"],
            "valeur_a": [100.0, 10.0],
            "valeur_b": [3.0, 20.0],
            "evolution_pct": [-97.0, 100.0],
        }
    )
    hidden = charts.mask_evolution(evolution, mask)
    assert pd.isna(hidden["evolution_pct"][0]) and hidden["evolution_pct"][1] == 100.0  # -97 % would tell 3
    table = charts.display_table(
        hidden, "evolution", "élèves", group="Bassin", year_a="2021", year_b="2024", mask=mask
    )
    assert list(table["2024 (élèves)"]) == ["< 5", 20.0]
    assert table["Remarque"][0] == f"{charts.NOT_AVAILABLE} ({charts.SECRET})" and table["Remarque"][1] == ""
    figure = charts.evolution_figure(hidden, "élèves", mask=mask)
    assert list(figure.data[0].text) == [charts.evolution_text(100.0)]  # the withheld change: no bar, « n. d. »
    assert [a.text for a in figure.layout.annotations] == [charts.NOT_AVAILABLE]
