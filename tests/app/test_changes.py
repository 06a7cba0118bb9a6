"""« Ce qui a changé » on the Données et sources page and the footer's link to it (AppTest through the
entrypoint): the same view as the core, the choices in the URL, the files with their « À propos ».

Each test works on its own store folder (`OBSERVATOIRE_STORE`): n° 1 the shipped data, n° 2 an import."""

from __future__ import annotations

import pytest

from observatoire import config, exporting, importing, store, versions
from observatoire.views.changes import build_changes
from tests.conftest import ENTRYPOINT
from tests.helpers import md_text, unexpected_errors

PAGE = "pages/donnees.py"
HEADER = "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source\n"


@pytest.fixture()
def store_root(tmp_path, monkeypatch) -> versions.Repository:
    repo = versions.Repository(tmp_path / "store")
    repo.init(author="tests")
    body = (
        "ent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;70 000 000;Statistiques ENT\n"
        "ent_visites;2024-2025;academie;nancy-metz;tous;tous;tous;71 000 000;Statistiques ENT\n"
    )
    with repo.connect() as con:
        tables, current = store.reference_tables(con), versions.active_measures(con)
    incoming = importing.read_import((HEADER + body).encode(), "ent-2025.csv", tables)
    preview = importing.preview(incoming.frame, current)
    repo.import_measures(
        incoming.frame,
        "ent-2025.csv",
        incoming.sha256,
        "Claire Éditrice",
        (preview.new, preview.changed, preview.unchanged),
    )
    monkeypatch.setenv(config.STORE_ENV_VAR, str(repo.root))
    return repo


def _page(params: dict[str, str] | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def _expected(repo: versions.Repository, old: int, new: int):
    with repo.connect(repo.version(old)) as a, repo.connect(repo.version(new)) as b:
        return build_changes(a, b)


def test_the_section_shows_the_last_publication_by_default(store_root):
    at = _page()
    assert "Ce qui a changé" in [s.value for s in at.subheader]
    assert at.selectbox(key="chg_depuis").value == "1" and at.selectbox(key="chg_vers").value == "2"
    expected = _expected(store_root, 1, 2)
    said = md_text(" ".join(str(m.value) for m in at.markdown))
    assert expected.text("summary") in said and expected.title in said
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Valeurs nouvelles"], metrics["Valeurs modifiées"], metrics["Valeurs retirées"]) == (
        "1",
        "1",
        "0",
    )
    shown = next(
        d.value for d in at.dataframe if "Changement" in d.value.columns and "Publié par" in d.value.columns
    )
    assert shown.equals(expected.items.valeurs_ecran)
    assert set(shown["Publié par"]) == {"Claire Éditrice"} and "None" not in shown.to_csv()
    keys = {b.proto.id.split("-")[-1] for b in at.get("download_button")}
    assert any("chg_valeurs_csv" in k for k in keys) and any("chg_valeurs_xlsx" in k for k in keys)
    # the comparison is about every measure: a sidebar filter is said not to apply
    assert "ne s'appliquent pas à cette comparaison" not in md_text(" ".join(str(c.value) for c in at.caption))


def test_a_pinned_view_links_from_the_footer_to_what_changed_since_it(store_root):
    at = _page({"version": "1"})
    footer = " ".join(str(c.value) for c in at.caption)
    assert "une version plus récente existe (n° 2)" in md_text(footer)
    links = [link for link in at.get("page_link") if "Voir ce qui a changé" in link.proto.label]
    assert len(links) == 1
    assert links[0].proto.label == "Voir ce qui a changé depuis la version n° 1"
    assert links[0].proto.page == "donnees"
    assert dict(
        links[0].proto.query_string and [p.split("=") for p in links[0].proto.query_string.split("&")]
    ) == {"depuis": "1", "vers": "2"}
    # the page pinned on n° 1 compares from the version shown to the current one
    assert at.selectbox(key="chg_depuis").value == "1" and at.selectbox(key="chg_vers").value == "2"


def test_the_choices_come_from_and_go_to_the_url(store_root):
    at = _page({"depuis": "2", "vers": "1", "dep": "57"})
    assert at.selectbox(key="chg_depuis").value == "2" and at.selectbox(key="chg_vers").value == "1"
    said = md_text(" ".join(str(c.value) for c in at.caption))
    assert "Comparaison dans l'ordre des versions : de la n° 1 à la n° 2." in said
    assert "Les filtres de la barre latérale ne s'appliquent pas à cette comparaison" in said
    at.selectbox(key="chg_depuis").set_value("1").run()
    assert at.query_params["depuis"] in ("1", ["1"])
    at.text_input(key="chg_date").input("31/02/2026").run()
    assert "Date `31/02/2026` non reconnue" in " ".join(str(w.value) for w in at.warning)
    at.text_input(key="chg_date").input("01/01/2020").run()
    assert "Aucune version n'était publiée avant le 01/01/2020" in " ".join(str(w.value) for w in at.warning)
    bad = _page({"depuis": "99"})
    assert any("Lien : version `99` inconnue ou plus conservée" in str(w.value) for w in bad.warning)


def test_the_file_says_what_it_compares(store_root):
    view = _expected(store_root, 1, 2)
    table = view.table("valeurs")
    about = exporting.About(title=table.title, context=view.context, source=table.source)
    text = exporting.to_csv_bytes(table.frame, about=about).decode("utf-8-sig")
    assert (
        text.startswith("# À propos de ce fichier") and "# Contenu;Valeurs changées, version n° 1 → n° 2" in text
    )
    assert (
        exporting.export_file_name(table.title, view.context, "csv") == "Valeurs changées, version n° 1 → n° 2.csv"
    )
