"""ONE upload limit, said and enforced the same everywhere (`observatoire.config.UPLOAD_LIMIT_MB`): the import
page's text and its uploader, the reader, Streamlit's server (`server.maxUploadSize`), HAProxy's body limit and
the README. Enforced for real (HTTP 413 from Streamlit and from HAProxy) in tests/e2e/test_server_edge.py."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

from observatoire import config, importing
from scripts.serve import render_config
from tests.helpers import md_text, unexpected_errors

ROOT = Path(__file__).resolve().parents[2]


def test_the_server_setting_is_the_limit():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["maxUploadSize"] == config.UPLOAD_LIMIT_MB  # Streamlit reads mebibytes
    assert config.UPLOAD_LIMIT_BYTES == config.UPLOAD_LIMIT_MB * 1024 * 1024 == importing.MAX_BYTES


def test_haproxy_refuses_bodies_beyond_the_limit():
    text = render_config([8601], 8501, stats_socket="/tmp/x.sock")
    assert f"{{ req.hdr_val(content-length) gt {config.UPLOAD_LIMIT_BYTES} }}" in text
    assert "deny_status 400 if upload METH_PUT !{ req.hdr(content-length) -m found }" in text


def test_the_readme_states_the_same_limit():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = set(re.findall(r"(\d+) Mo et [\d  ]+ lignes au plus", readme))
    assert stated == {str(config.UPLOAD_LIMIT_MB)}
    assert not re.search(r"\b(25|200) ?(Mo|MB)\b", readme)


def test_the_page_and_its_uploader_say_the_limit(demo_db):
    from streamlit.testing.v1 import AppTest

    from tests.app.test_importer_access import AUTH, EDITORS, PAGE
    from tests.conftest import ENTRYPOINT

    at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
    at.secrets = {"auth": AUTH, "observatoire": EDITORS}
    at.user = {
        "is_logged_in": True,
        "email": "claire.editrice@ac-nancy-metz.fr",
        "name": "Claire Éditrice",
        "iat": int(time.time()),
    }
    at.run()
    at.switch_page(PAGE).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    uploader = at.get("file_uploader")[0]
    assert uploader.proto.max_upload_size_mb == config.UPLOAD_LIMIT_MB
    text = md_text(" ".join(str(m.value) for m in at.markdown)).replace("\u202f", " ").replace("\u00a0", " ")
    assert f"{config.UPLOAD_LIMIT_MB} Mo et 500 000 lignes au plus" in text
