"""A pinned link shows the académie it was published with (issue 21, point 2): version 1 is published from a
copy of data/ whose académie and one bassin were renamed; the app, started on that store, publishes version 2
from data/ (the reference changed). The page of the current version names the shipped académie; `?version=1`
names the renamed one — on the overview, in the bassin labels of the sidebar, in the footer's bilan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from observatoire import config, versions
from tests.conftest import ENTRYPOINT
from tests.helpers import texts, unexpected_errors

DATA = Path(__file__).resolve().parents[2] / "data"
OLD_NAME = "Académie de Test-Ancienne"
OLD_BASSIN = "Metz-Ancien"
OLD_BILAN = "Bilan ancien de la DRANE de test"


def _old_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "reference" / "academie.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["nom"], raw["bilan"] = OLD_NAME, OLD_BILAN
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    layer = data / "reference" / "bassins.geojson"
    geo = json.loads(layer.read_text(encoding="utf-8"))
    next(f for f in geo["features"] if f["properties"]["code"] == "57-metz")["properties"]["nom"] = OLD_BASSIN
    layer.write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
    return data


def _run(query_params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=90)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def _bassin_options(at: AppTest) -> list[str]:
    return [str(o) for box in at.sidebar.multiselect if box.label.startswith("Bassin") for o in box.options]


def test_a_pinned_version_keeps_the_names_it_was_published_with(tmp_path, monkeypatch):
    repo = versions.Repository(tmp_path / "store")
    repo.init(_old_data(tmp_path), author="tests")
    monkeypatch.setenv(config.STORE_ENV_VAR, str(repo.root))

    current = _run()  # the app refreshes the store from data/: version 2, the shipped académie
    assert repo.current().number == 2
    shipped = config.academie()
    markdown = " ".join(texts(current.markdown))
    assert shipped.nom in markdown and OLD_NAME not in markdown
    assert any("Metz" in o for o in _bassin_options(current)) and not any(
        OLD_BASSIN in o for o in _bassin_options(current)
    )
    assert shipped.bilan in " ".join(texts(current.caption))

    pinned = _run({"version": "1"})
    markdown = " ".join(texts(pinned.markdown))
    assert OLD_NAME in markdown and shipped.nom not in markdown
    assert any(OLD_BASSIN in o for o in _bassin_options(pinned))
    captions = " ".join(texts(pinned.caption))
    assert OLD_BILAN in captions and shipped.bilan not in captions
