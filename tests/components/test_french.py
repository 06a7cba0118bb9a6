"""The English → French dictionary of Streamlit's chrome (components/french_ui.json) and its script."""

from __future__ import annotations

import re

from components import french


def test_every_translation_is_final():
    """A translated string never matches again (no loop between the observer and its own changes)."""
    data = french.dictionary()
    exact, patterns = data["exact"], [(re.compile(p), to) for p, to in data["patterns"]]
    for english, fr in exact.items():
        assert fr == english or fr not in exact, english
        assert not any(p.search(fr) for p, _ in patterns), fr
    for pattern, to in patterns:
        assert pattern.pattern.startswith("^") and pattern.pattern.endswith("$")  # whole strings only
        assert not any(p.search(to.replace("$1", "x")) for p, _ in patterns), to


def test_the_script_embeds_the_dictionary_safely():
    script = french.script()
    assert "</script" not in script.lower()
    assert '"Main menu": "Menu principal"' in script
    assert "__DATA__" not in script
