"""The address the QR code encodes (`observatoire.sharing`): the configured public address first (environment
variable, then `[observatoire] url_publique`), the request's otherwise; a French warning when the phones of the
room could not open it."""

from __future__ import annotations

import pytest

from observatoire import sharing


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://observatoire.ac-nancy-metz.fr", "https://observatoire.ac-nancy-metz.fr"),
        ("https://observatoire.ac-nancy-metz.fr/", "https://observatoire.ac-nancy-metz.fr"),
        (" https://intranet.example/observatoire/ ", "https://intranet.example/observatoire"),
        ("http://10.0.0.5:8501", "http://10.0.0.5:8501"),
        ("observatoire.fr", None),
        ("ftp://x.fr", None),
        ("https://", None),
        ("https://u:p@x.fr", None),
        ("https://x.fr/?a=1", None),
        ("https://x.fr:99999", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_base(raw, expected):
    assert sharing.clean_base(raw) == expected


def test_the_environment_wins_over_the_secrets_and_a_bad_value_is_said():
    secrets = {"observatoire": {"url_publique": "https://secrets.example"}}
    env = {sharing.ENV_VAR: "https://env.example/"}
    assert sharing.configured_base(env, secrets) == ("https://env.example", None)
    assert sharing.configured_base({}, secrets) == ("https://secrets.example", None)
    assert sharing.configured_base({}, {}) == (None, None)
    base, problem = sharing.configured_base({sharing.ENV_VAR: "observatoire"}, secrets)
    assert base is None and "OBSERVATOIRE_URL_PUBLIQUE" in problem and "n'est pas une adresse" in problem


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8501/?dep=57", "127.0.0.1"),
        ("http://localhost:8501/", "localhost"),
        ("http://[::1]:8501/", "::1"),
        ("http://192.168.1.20/", "192.168.1.20"),
        ("http://10.2.3.4/", "10.2.3.4"),
        ("http://172.16.0.1/", "172.16.0.1"),
        ("http://169.254.1.1/", "169.254.1.1"),
        ("http://serveur/", "serveur"),
        ("http://poste.local/", "poste.local"),
        ("/?dep=57", "/?dep=57"),
        ("https://observatoire.ac-nancy-metz.fr/?dep=57", None),
        ("http://193.50.1.1/", None),
    ],
)
def test_unreachable_hosts(url, host):
    assert sharing.unreachable_host(url) == host


def test_the_warning_is_french_and_names_the_setting():
    text = sharing.qr_warning("http://127.0.0.1:8501/?version=3", configured=False)
    assert "« 127.0.0.1 »" in text and "aucune adresse publique n'est configurée" in text
    assert sharing.ENV_VAR in text and "url_publique" in text and "[observatoire]" in text
    assert sharing.qr_warning("https://observatoire.ac-nancy-metz.fr/", configured=True) is None


def test_view_link():
    assert (
        sharing.view_link("https://x.fr/obs", {"dep": ["54", "57"], "version": "3"})
        == "https://x.fr/obs/?dep=54&dep=57&version=3"
    )
    assert sharing.view_link("", {}) == "/"
