"""`observatoire.signins`: one person's sign-out ends that sign-in only — never another person's sign-in opened
in the same second (a provider whose token carries few claims, or AppTest's faked users, give the same `iat`)."""

from __future__ import annotations

import time

from observatoire import signins


def test_a_sign_out_ends_that_sign_in_and_no_other_opened_in_the_same_second(tmp_path):
    now = int(time.time())
    claire = {"is_logged_in": True, "email": "claire.editrice@ac-nancy-metz.fr", "name": "Claire", "iat": now}
    other = {"is_logged_in": True, "email": "autre@ac-nancy-metz.fr", "name": "Claire", "iat": now}
    outs = signins.SignOuts(tmp_path)
    outs.sign_out(claire, max_age=8 * 3600)
    assert outs.is_signed_out(claire) and outs.is_signed_out(
        {**claire, "tokens": {"id": "x"}}
    )  # any tab, any copy
    assert not outs.is_signed_out(other)
    assert signins.refusal(other, outs, 8 * 3600) is None
    assert "déconnecté(e)" in signins.refusal(claire, outs, 8 * 3600)
    assert not outs.is_signed_out({**claire, "iat": now + 1})  # signing in again
