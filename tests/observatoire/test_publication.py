"""Publishing the instantané behind the QR code (`observatoire.publication`): the séance's address (stable,
unguessable, the same on every replica sharing the store), the atomic write, the bounded folder."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest

from observatoire import publication

KEY = publication.seance_key(12, {"dep": "57", "niveau": "college"})


def test_the_seance_key_is_canonical():
    assert publication.seance_key(12, {"niveau": "college", "dep": "57"}) == KEY
    assert publication.seance_key(12, {"dep": ["57", "54"]}) == publication.seance_key(12, {"dep": ("54", "57")})
    assert KEY == "version=12&dep=57&niveau=college"
    assert publication.seance_key(13, {"dep": "57", "niveau": "college"}) != KEY
    assert publication.seance_key(12, {"dep": "57"}) != KEY
    assert publication.seance_key(12, {"dep": "57", "zoom": ""}) == publication.seance_key(12, {"dep": "57"})


def test_the_address_is_stable_per_seance_and_unguessable(tmp_path):
    store = tmp_path / "store"
    first = publication.token(KEY, store)
    assert publication.TOKEN_RE.match(first)  # 128 bits, hexadecimal
    assert publication.token(KEY, store) == first  # the same séance, the same address (a printed QR stays valid)
    assert publication.token(publication.seance_key(13, {"dep": "57", "niveau": "college"}), store) != first
    # another store (another secret): another address for the same filters — nobody computes it from them
    assert publication.token(KEY, tmp_path / "autre") != first
    secret = store / publication.SECRET_NAME
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_bytes()) == 32
    seance = publication.seance(
        store, 12, {"niveau": "college", "dep": "57"}, "https://obs.example.fr/", where=tmp_path / "servi"
    )
    assert seance.token == first and not seance.published
    assert seance.url == f"https://obs.example.fr/app/static/instantanes/{first}.html"
    assert seance.path == tmp_path / "servi" / f"{first}.html"
    assert publication.seance(store, 12, {}, "").url.startswith("/app/static/instantanes/")


def test_replicas_starting_together_share_one_secret(tmp_path):
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(publication.secret(tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 8


def test_a_damaged_secret_is_refused_in_french(tmp_path):
    (tmp_path / publication.SECRET_NAME).write_bytes(b"")
    with pytest.raises(publication.PublicationError, match="Clé de publication illisible"):
        publication.token(KEY, tmp_path)


def test_the_secret_is_never_in_the_served_folder():
    assert publication.FOLDER.parts[-2:] == ("static", "instantanes")
    assert publication.URL_PREFIX == "/app/static/instantanes/"
    assert not (publication.FOLDER / publication.SECRET_NAME).exists()


def test_publish_writes_atomically_and_readably(tmp_path):
    token = "0123456789abcdef0123456789abcdef"
    path = publication.publish("<!DOCTYPE html><p>un</p>", token, tmp_path)
    assert path == tmp_path / f"{token}.html" and path.read_text(encoding="utf-8") == "<!DOCTYPE html><p>un</p>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    inode = path.stat().st_ino
    publication.publish("<!DOCTYPE html><p>deux é</p>", token, tmp_path)
    assert path.read_text(encoding="utf-8") == "<!DOCTYPE html><p>deux é</p>"
    assert path.stat().st_ino != inode  # a new file renamed over the old one: a reader never sees half of it
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize("bad", ["../../etc/passwd", "0123", "0123456789ABCDEF0123456789ABCDEF", "x" * 32])
def test_only_a_token_names_a_file(tmp_path, bad):
    with pytest.raises(ValueError, match="Jeton d'instantané invalide"):
        publication.publish("x", bad, tmp_path)


def test_a_failed_write_says_why_in_french(tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    with pytest.raises(publication.PublicationError) as caught:
        publication.publish("x", "0" * 32, blocker / "instantanes")
    assert str(caught.value).startswith("Publication impossible : le chemin du dossier des instantanés")
    assert str(tmp_path) not in str(caught.value)


def _token(index: int) -> str:
    return f"{index:032x}"


def test_old_and_extra_instantanes_are_cleaned(tmp_path, monkeypatch):
    now = time.time()
    for index in range(8):  # index 0 the oldest
        path = tmp_path / f"{_token(index)}.html"
        path.write_text(str(index))
        os.utime(path, (now - (8 - index) * 86400, now - (8 - index) * 86400))
    stale = tmp_path / ".en-cours-abc.tmp"
    stale.write_text("coupé")
    os.utime(stale, (now - 7200, now - 7200))
    fresh_temp = tmp_path / ".en-cours-def.tmp"
    fresh_temp.write_text("en cours")
    other = tmp_path / "LISEZMOI.txt"
    other.write_text("pas un instantané")
    removed = publication.clean(tmp_path, keep=4, max_age=6.5 * 86400, now=now)
    left = sorted(p.name for p in tmp_path.iterdir())
    # older than 6,5 days: 0 (8 days), 1 (7 days); then beyond the 4 most recent: 2, 3
    assert sorted(p.name for p in removed) == sorted(
        [".en-cours-abc.tmp", *(f"{_token(i)}.html" for i in range(4))]
    )
    assert left == sorted([".en-cours-def.tmp", "LISEZMOI.txt", *(f"{_token(i)}.html" for i in range(4, 8))])
    # publishing cleans with the configured bounds and never removes what it has just written
    monkeypatch.setenv(publication.KEEP_ENV_VAR, "2")
    publication.publish("neuf", _token(99), tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.html")) == [f"{_token(7)}.html", f"{_token(99)}.html"]
    assert publication.clean(tmp_path / "absent") == []


def test_the_bounds_come_from_the_environment(monkeypatch):
    assert (publication.kept(), publication.max_age_days()) == (100, 30)
    monkeypatch.setenv(publication.KEEP_ENV_VAR, "20")
    monkeypatch.setenv(publication.AGE_ENV_VAR, "7")
    assert (publication.kept(), publication.max_age_days()) == (20, 7)
    monkeypatch.setenv(publication.KEEP_ENV_VAR, "-3")
    monkeypatch.setenv(publication.AGE_ENV_VAR, "beaucoup")
    assert (publication.kept(), publication.max_age_days()) == (100, 30)
