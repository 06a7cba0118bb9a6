"""observatoire.access: is sign-in configured (Streamlit 1.67's `st.login` rules), who is an editor."""

from __future__ import annotations

import pytest

from observatoire.access import AccessConfig, Editor, auth_configured, editor_from_claims, editor_name, is_editor

COOKIE = "cookie-secret-value-0123456789"
CLIENT_SECRET = "client-secret-value-9876543210"
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": COOKIE,
    "client_id": "observatoire",
    "client_secret": CLIENT_SECRET,
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def secrets(auth: dict | None = None, **options: object) -> dict:
    out: dict = {} if auth is None else {"auth": auth}
    if options:
        out["observatoire"] = options
    return out


def named(name: str = "academie", **extra: object) -> dict:
    shared = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    return {**shared, name: provider, **extra}


def user(**claims: object) -> dict:
    return {"is_logged_in": True, **claims}


# ------------------------------------------------------------------------------------------ configuration


def test_flat_auth_section_is_the_default_provider():
    cfg = AccessConfig.from_secrets(secrets(AUTH))
    assert cfg.configured and cfg.provider is None and cfg.problems == ()
    assert auth_configured(secrets(AUTH))


def test_named_provider_section():
    cfg = AccessConfig.from_secrets(secrets(named()))
    assert cfg.configured and cfg.provider == "academie"


def test_named_default_section_means_the_default_provider():
    cfg = AccessConfig.from_secrets(secrets(named("default")))
    assert cfg.configured and cfg.provider is None


def test_several_named_providers_the_option_picks_one():
    auth = named("academie", autre={"client_id": "x", "client_secret": "y", "server_metadata_url": "z"})
    assert AccessConfig.from_secrets(secrets(auth)).provider == "academie"  # the first one
    assert AccessConfig.from_secrets(secrets(auth, fournisseur="autre")).provider == "autre"
    missing = AccessConfig.from_secrets(secrets(auth, fournisseur="inconnu"))
    assert not missing.configured and "introuvable" in " ".join(missing.problems)


@pytest.mark.parametrize(
    "value", [None, {}, {"auth": {}}, {"auth": "x"}, {"observatoire": {"editeurs": ["a@b.fr"]}}]
)
def test_no_auth_section(value):
    cfg = AccessConfig.from_secrets(value)
    assert not cfg.configured and cfg.problems == ("la section [auth] est absente",) and cfg.provider is None
    assert not auth_configured(value)


@pytest.mark.parametrize("key", sorted(AUTH))
def test_each_required_key_is_needed(key):
    for blank in (None, "", "   ", 42):
        auth = {k: v for k, v in AUTH.items() if k != key}
        if blank is not None:
            auth[key] = blank
        cfg = AccessConfig.from_secrets(secrets(auth))
        assert not cfg.configured, (key, blank)
        assert any(f"« {key} »" in p for p in cfg.problems), cfg.problems


def test_provider_keys_must_be_in_the_named_section():
    auth = named()
    del auth["academie"]["client_secret"]
    cfg = AccessConfig.from_secrets(secrets(auth))
    assert not cfg.configured and cfg.problems == ("[auth.academie] : clé « client_secret » manquante ou vide",)


def test_shared_keys_stay_in_the_auth_section():
    auth = named()
    auth["academie"]["cookie_secret"] = auth.pop("cookie_secret")
    assert not auth_configured(secrets(auth))


def test_redirect_uri_must_end_with_streamlit_callback_route():
    for uri in ("http://127.0.0.1:8501/", "http://127.0.0.1:8501/oauth2callback/", "http://h/callback"):
        cfg = AccessConfig.from_secrets(secrets({**AUTH, "redirect_uri": uri}))
        assert not cfg.configured and any("/oauth2callback" in p for p in cfg.problems), uri


def test_underscore_in_provider_name_is_refused_like_streamlit():
    cfg = AccessConfig.from_secrets(secrets(named("mon_idp")))
    assert not cfg.configured and any("« _ »" in p for p in cfg.problems)


def test_client_kwargs_is_not_a_provider():
    cfg = AccessConfig.from_secrets(secrets({**AUTH, "client_kwargs": {"scope": "openid email"}}))
    assert cfg.configured and cfg.provider is None


def test_no_secret_value_in_the_config_nor_its_problems():
    for value in (secrets(AUTH), secrets({**AUTH, "client_id": ""}), secrets(named("mon_idp"))):
        cfg = AccessConfig.from_secrets(value)
        text = repr(cfg) + " ".join(cfg.problems)
        assert COOKIE not in text and CLIENT_SECRET not in text


# ---------------------------------------------------------------------------------------------- editors


def test_allow_list_is_case_insensitive():
    cfg = AccessConfig.from_secrets(secrets(AUTH, editeurs=[" Claire.Editrice@AC-Nancy-Metz.fr ", "", 3]))
    assert cfg.editors == frozenset({"claire.editrice@ac-nancy-metz.fr"})
    assert is_editor(user(email="claire.editrice@ac-nancy-metz.fr"), cfg)
    assert is_editor(user(email="CLAIRE.EDITRICE@ac-nancy-metz.fr"), cfg)
    assert not is_editor(user(email="autre@ac-nancy-metz.fr"), cfg)
    assert not is_editor(user(), cfg)


def test_a_single_email_string_is_accepted():
    cfg = AccessConfig.from_secrets(secrets(AUTH, editeurs="a@b.fr"))
    assert is_editor(user(email="A@b.fr"), cfg)


def test_unverified_email_is_not_enough():
    cfg = AccessConfig.from_secrets(secrets(AUTH, editeurs=["a@b.fr"]))
    assert is_editor(user(email="a@b.fr", email_verified=True), cfg)
    assert not is_editor(user(email="a@b.fr", email_verified=False), cfg)
    assert not is_editor(user(email="a@b.fr", email_verified="false"), cfg)


def test_signed_out_or_unconfigured_is_never_an_editor():
    cfg = AccessConfig.from_secrets(secrets(AUTH, editeurs=["a@b.fr"]))
    assert not is_editor({"email": "a@b.fr"}, cfg)  # AppTest's default user: no is_logged_in
    assert not is_editor({"email": "a@b.fr", "is_logged_in": False}, cfg)
    assert not is_editor({"email": "a@b.fr", "is_logged_in": "true"}, cfg)
    assert not is_editor(None, cfg)
    unconfigured = AccessConfig.from_secrets(secrets(None, editeurs=["a@b.fr"]))
    assert not is_editor(user(email="a@b.fr"), unconfigured)


def test_claim_rule_string_or_list():
    cfg = AccessConfig.from_secrets(secrets(AUTH, claim_editeur="groups", valeur_editeur="drane-editeurs"))
    assert cfg.has_editor_rule and not cfg.editors
    assert is_editor(user(groups=["profs", "drane-editeurs"]), cfg)
    assert is_editor(user(groups="drane-editeurs"), cfg)
    assert not is_editor(user(groups="drane-editeurs-anciens"), cfg)  # equality, not a substring
    assert not is_editor(user(groups=["DRANE-EDITEURS"]), cfg)  # exact value
    assert not is_editor(user(groups=[]), cfg)
    assert not is_editor(user(groups={"drane-editeurs": True}), cfg)
    assert not is_editor(user(roles=["drane-editeurs"]), cfg)


def test_claim_rule_needs_both_keys_and_combines_with_the_allow_list():
    half = AccessConfig.from_secrets(secrets(AUTH, claim_editeur="groups"))
    assert not half.has_editor_rule and not is_editor(user(groups=["x"]), half)
    both = AccessConfig.from_secrets(
        secrets(AUTH, editeurs=["a@b.fr"], claim_editeur="groups", valeur_editeur="ed")
    )
    assert is_editor(user(email="a@b.fr"), both) and is_editor(user(email="z@b.fr", groups=["ed"]), both)


def test_no_rule_means_nobody():
    cfg = AccessConfig.from_secrets(secrets(AUTH))
    assert not cfg.has_editor_rule and not is_editor(user(email="a@b.fr"), cfg)


def test_editor_name_for_the_journal():
    assert editor_name({"name": "Claire Éditrice", "email": "c@b.fr"}) == "Claire Éditrice"
    assert editor_name({"name": "  ", "email": "c@b.fr"}) == "c@b.fr"
    assert editor_name({"sub": "12345"}) == "12345"
    assert editor_name({}) == "éditeur inconnu"
    assert editor_name(None) == "éditeur inconnu"
    assert editor_name({"name": "Claire\nÉditrice\u202e\t x"}) == "Claire Éditrice x"  # one clean line
    assert len(editor_name({"name": "x" * 500})) == 120
    assert editor_from_claims({"name": "Claire", "email": "c@b.fr", "is_logged_in": True}) == Editor(
        "Claire", "c@b.fr"
    )
