"""Laboratoires page through the entrypoint (AppTest): the list equals the core query for several filters,
the fiche opened from the URL (`labo`) shows the lab's projects from the bilan, and bad links or empty
selections are explained in French."""

from __future__ import annotations

import pytest

from observatoire import queries
from observatoire.figures import cards
from observatoire.filters import Filters
from tests.helpers import md_text, open_page, texts, unexpected_errors

PAGE = "pages/laboratoires.py"
FICHE_KEY = "labo_fiche"


def _open(app, **params: str):
    return open_page(app, PAGE, **params)


def _labs_table(at):
    return next(d.value for d in at.dataframe if list(d.value.columns[:2]) == ["Laboratoire", "Commune"])


CASES = [
    ({}, Filters()),
    ({"theme": "webmedias"}, Filters(thematiques=("webmedias",))),
    ({"niveau": "lycee"}, Filters(niveaux=("lycee",))),
    ({"dep": "57"}, Filters(departements=("57",))),
    (
        {"dep": "54,88", "theme": "savoirs_fondamentaux,sciences_numerique", "niveau": "ecole"},
        Filters(
            departements=("54", "88"),
            thematiques=("savoirs_fondamentaux", "sciences_numerique"),
            niveaux=("ecole",),
        ),
    ),
]


@pytest.mark.parametrize(("params", "filters"), CASES, ids=[str(p) or "defaut" for p, _ in CASES])
def test_list_equals_the_store(app, con, params, filters):
    at = _open(app, **params)
    expected = queries.laboratories(con, filters).data
    total = len(queries.laboratories(con, Filters()).data)
    assert not expected.empty
    assert cards.count_text(len(expected), total) in texts(at.subheader)
    table = _labs_table(at)
    assert list(table["Laboratoire"]) == list(expected["nom"])
    assert list(table["Commune"]) == list(expected["commune"])
    labels = queries.labels(con)
    assert [list(v) for v in table["Thématiques"]] == [
        cards.code_labels(v, labels.thematiques) for v in expected["thematiques"]
    ]
    assert [list(v) for v in table["Niveaux"]] == [
        cards.code_labels(v, labels.niveaux) for v in expected["niveaux"]
    ]
    # the cards: one bordered card per lab, with its name
    markdown = texts(at.markdown)
    for name in expected["nom"]:
        assert f"**{name}**" in markdown
    # the fiche offers exactly the listed labs
    assert at.selectbox(key=FICHE_KEY).options == [str(n) for n in expected["nom"]]


def test_url_opens_the_fiche_with_the_bilan_projects(app, con):
    at = _open(app, labo="lab-cirey")
    assert at.selectbox(key=FICHE_KEY).value == "lab-cirey"
    lab = queries.laboratories(con, Filters()).data.set_index("code").loc["lab-cirey"]
    markdown = " ".join(texts(at.markdown))
    assert f"### {lab['nom']}" in markdown
    projects = queries.projects(con, "lab-cirey")
    assert not projects.empty
    for line in cards.project_lines(projects):
        assert md_text(line) in markdown
    for source in set(projects["source"]):
        assert any(source in c for c in texts(at.caption))
    assert any(c == f"Source : {lab['source']}" for c in texts(at.caption))
    # activity: one card per labo_* indicator with data, values from the core series
    series = queries.series(con, "labo_personnes", Filters(), by="laboratoire", annual=True).data
    mine = series[series["groupe"] == "lab-cirey"].sort_values("periode")
    metric = next(m for m in at.metric if m.label == queries.indicator(con, "labo_personnes")["libelle"])
    kpi = cards.lab_activity_kpi(queries.indicator(con, "labo_personnes"), mine)
    assert metric.value == cards.kpi_value_text(kpi, markup=True)
    assert (
        list(metric.proto.chart_data) == []
    )  # the sparkline is an accessible SVG (observatoire.figures.sparkline)
    assert cards.kpi_sparkline(kpi) in [m.value for m in at.markdown]
    assert at.get("plotly_chart")
    assert at.query_params.get("labo") == "lab-cirey"


def test_choosing_another_lab_updates_the_fiche_and_the_url(app, con):
    at = _open(app)
    at.selectbox(key=FICHE_KEY).set_value("lab-woippy").run()
    assert not unexpected_errors(at)
    assert at.query_params.get("labo") == "lab-woippy"
    assert queries.projects(con, "lab-woippy").empty
    assert "Le bilan ne cite aucun projet pour ce laboratoire." in texts(at.caption)
    assert any("laboratoire illustratif" in c for c in texts(at.caption))


def test_unknown_lab_in_the_url_is_a_french_warning(app, con):
    at = _open(app, labo="lab-inconnu")
    assert any("inconnue" in w and "lab-inconnu" in w for w in texts(at.warning))
    first = queries.laboratories(con, Filters()).data["code"].iloc[0]
    assert at.selectbox(key=FICHE_KEY).value == first  # the default fiche, no crash
    assert "labo" not in at.query_params  # the bad value removed, the default never written


def test_lab_outside_the_filters_keeps_its_fiche_with_a_note(app, con):
    at = _open(app, dep="57", labo="lab-cirey")
    assert at.selectbox(key=FICHE_KEY).value == "lab-cirey"
    assert any("ne correspond pas aux filtres" in i for i in texts(at.info))


def test_no_lab_for_the_filters_is_a_french_message(app, con):
    filters = Filters(departements=("55",), niveaux=("lycee",))
    assert queries.laboratories(con, filters).data.empty  # precondition of the demo data
    at = _open(app, dep="55", niveau="lycee")
    total = len(queries.laboratories(con, Filters()).data)
    assert cards.count_text(0, total) in texts(at.subheader)
    infos = " ".join(texts(at.info))
    assert "Aucun laboratoire ne correspond à ces filtres." in infos
    assert "élargissez les filtres" in infos
    assert all(s.key != FICHE_KEY for s in at.selectbox)


def test_public_filter_is_reported_as_not_applying(app):
    at = _open(app, public="parents")
    assert any("Filtre public" in i for i in texts(at.info))


def test_a_card_button_opens_its_fiche(app, con):
    at = _open(app, theme="webmedias")
    codes = list(queries.laboratories(con, Filters(thematiques=("webmedias",))).data["code"])
    assert [b.key for b in at.button if b.key and b.key.startswith("labo_carte_")] == [
        f"labo_carte_{c}" for c in codes
    ]
    at.button(key=f"labo_carte_{codes[-1]}").click().run()
    assert not unexpected_errors(at)
    assert at.selectbox(key=FICHE_KEY).value == codes[-1]
    assert at.query_params.get("labo") == codes[-1]


def test_the_page_renders_the_view_and_its_downloads_say_what_the_view_says(app, con, deferred):
    """The page shows `build_laboratories`'s view; the list's CSV says the sidebar filters, the activity's files
    (table and chart) say the fiche's own context (the filters its figures answer, and those they do not: here a
    département the lab is not in), each with the view's source and illustrative flag."""
    import csv
    import io

    from components import common
    from observatoire import exporting
    from observatoire.views.laboratories import build_laboratories

    view = build_laboratories(con, Filters(departements=("57",)), {"labo": "lab-cirey"})
    at = _open(app, dep="57", labo="lab-cirey")
    assert view.text("count") in texts(at.subheader)
    assert list(_labs_table(at)["Laboratoire"]) == list(view.table("laboratoires").frame["Laboratoire"])
    fiche = view.items.fiche
    assert not fiche.in_filters and f"### {fiche.name}" in texts(at.markdown)

    def about(data: bytes) -> dict[str, str]:
        text = data.decode("utf-8-sig")
        block = text[: len(text) - len(exporting.strip_about_block(text))]
        return {r[0].removeprefix("# "): r[1] for r in csv.reader(io.StringIO(block), delimiter=";") if len(r) > 1}

    def expected(v, element) -> dict[str, str]:
        return {
            k: str(value) for k, value in exporting.about_rows(common.view_about(v, element)) if k != "Exporté le"
        }

    files = {b.key: deferred[b.proto.deferred_file_id] for b in at.get("download_button")}
    skip = ("Exporté le", "À propos de ce fichier")
    listed = about(files["labos_dl_csv"][1]())
    assert {k: v for k, v in listed.items() if k not in skip} == expected(view, view.table("laboratoires"))
    assert listed["Filtres"] == "Département : 57 — Moselle"
    activity = fiche.activity
    table = activity.table("activite")
    rows = about(files["labo_activite_csv"][1]())
    assert {k: v for k, v in rows.items() if k not in skip} == expected(activity, table)
    assert rows["Filtres"] == "Département : 57 — Moselle (hors de ce territoire)"  # never « aucun filtre »
    assert rows["Contenu"] == f"Activité — {fiche.name}"
    assert files["labo_activite_png"][0].startswith(activity.figure("activite").title)
