"""observatoire.text: untrusted text stays plain text (HTML and Markdown contexts, URL values in notices).

What the browser makes of the escaped text is checked in Chromium by tests/e2e/test_injection.py; here, the
properties the escaping must have whatever the input."""

from __future__ import annotations

import re

import pytest

from observatoire import text

PAYLOADS = [
    "<img src=x onerror=\"parent.document.title='PWNED '+parent.location.host\">",
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "![x](http://127.0.0.1:9/px.png)",
    "[Cliquez ici](https://phish.example/)",
    "<https://phish.example/>",
    "https://phish.example/ www.phish.example contact@phish.example",
    ":red[**Compte bloqué**]",
    ":material/warning: :material_home: :smile: :streamlit:",
    "$x^2$ et $$y$$",
    "# Titre\n- liste\n1. un\n> citation\n    code",
    "a | b\n--- | ---\n1 | 2",
    "&lt;b&gt; &#60;i&#62; &amp;",
    "**gras** _ital_ ~~barré~~ `code`",
    "Fin\u202e\u2066\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c",
    "\\*échappé\\*",
]
NORMAL = [
    "Cirey-sur-Vezouze",
    "Nancy « La Fabrique des Possibles »",
    "Visites de l'ENT",
    "12\u202f345 visites — 98,5\u00a0%",
    "Bilan DRANE 2023-2024, « L'ENT » (64,5 millions de visites)",
    "Source : illustratif ; autres valeurs",
]
PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _unescaped_punctuation(escaped: str) -> list[str]:
    """ASCII punctuation characters not preceded by a backslash escape (scanning escapes left to right)."""
    found, i = [], 0
    while i < len(escaped):
        ch = escaped[i]
        if ch == "\\" and i + 1 < len(escaped) and escaped[i + 1] in PUNCTUATION:
            i += 2
            continue
        if ch in PUNCTUATION:
            found.append(ch)
        i += 1
    return found


def _read_as(escaped: str) -> str:
    """The text a CommonMark reader shows for `escaped` (escapes resolved, soft hyphens invisible)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped).replace(text.SOFT_HYPHEN, "")


# ------------------------------------------------------------------------------------------------ clean


def test_clean_drops_bidi_controls_and_zero_width_characters():
    for ch in text.BIDI_CONTROLS + text.ZERO_WIDTH:
        assert text.clean(f"a{ch}b") == "ab", hex(ord(ch))
    assert text.clean(None) == ""
    assert text.clean(12) == "12"


def test_clean_keeps_french_spaces_and_accents():
    for sample in NORMAL:
        assert text.clean(sample) == sample
    assert "\u202f" in text.clean("12\u202f345") and "\u00a0" in text.clean("98,5\u00a0%")


# ------------------------------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_html_leaves_no_markup(payload):
    escaped = text.escape_html(payload)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped and "'" not in escaped
    assert not re.search(r"&(?!(amp|lt|gt|#34|#x27);)", escaped), "every & starts an entity we produced"
    import html

    assert html.unescape(escaped) == text.clean(payload)


def test_escape_html_keeps_normal_text_readable():
    assert text.escape_html("Cirey-sur-Vezouze") == "Cirey-sur-Vezouze"
    assert text.escape_html("Nancy « La Fabrique »") == "Nancy « La Fabrique »"
    assert text.escape_html("l'ENT") == "l&#x27;ENT"  # shown as l'ENT by a browser or by Plotly


# --------------------------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize("payload", PAYLOADS + NORMAL)
def test_escape_markdown_escapes_every_punctuation_character(payload):
    escaped = text.escape_markdown(payload)
    assert _unescaped_punctuation(escaped) == []
    assert "\n" not in escaped and "\r" not in escaped, "one line: no heading, list, table nor code block"
    assert "  " not in escaped, "no run of spaces (four of them would start a code block)"


@pytest.mark.parametrize("payload", PAYLOADS + NORMAL)
def test_escape_markdown_reads_as_the_original_text(payload):
    expected = re.sub(r"[ \t]*\n[ \t]*", " ", text.clean(payload))
    expected = re.sub(r"[ \t]{2,}", " ", expected)
    assert _read_as(text.escape_markdown(payload)) == expected


def test_escape_markdown_defeats_streamlit_icons_emoji_and_logo_shortcodes():
    escaped = text.escape_markdown(":material/warning: :material_home: :smile: :+1: :streamlit:")
    # the front end rewrites `:material/` in the raw source: an escaped slash no longer matches
    assert ":material/" not in escaped
    # `:name:` is matched in the text nodes (escapes resolved): the soft hyphen after the colon breaks it
    node = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)
    assert not re.search(r":[\w+-][\w_+-]*:", node, re.ASCII)  # remark-emoji, :streamlit:
    assert not re.search(r":material_\w+:", node)
    assert _read_as(escaped) == ":material/warning: :material_home: :smile: :+1: :streamlit:"


def test_escape_markdown_directives_latex_and_links_lose_their_syntax():
    assert text.escape_markdown(":red[**x**]") == "\\:red\\[\\*\\*x\\*\\*\\]"
    assert text.escape_markdown("$x$") == "\\$x\\$"
    assert text.escape_markdown("![a](b)") == "\\!\\[a\\]\\(b\\)"
    assert text.escape_markdown("https://a.b") == "https\\:\u00ad\\/\\/a\\.b"


def test_escape_markdown_defeats_gfm_bare_url_autolinks():
    # remark-gfm finds these in the text nodes (escapes resolved): their patterns must not match there
    escaped = text.escape_markdown("https://phish.example/a HTTP://x.y www.phish.example contact@phish.example")
    node = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)
    assert not re.search(r"https?://", node, re.IGNORECASE)
    assert not re.search(r"\bwww\.", node)
    assert not re.search(r"@[-\w]", node, re.ASCII)
    assert _read_as(escaped) == "https://phish.example/a HTTP://x.y www.phish.example contact@phish.example"


def test_escape_markdown_keep_leaves_what_the_caller_escapes():
    # st.badge escapes [ and ] of its label itself: escaping them here too would show the backslashes
    assert text.escape_markdown(":red[x]", keep="[]") == "\\:red[x]"


def test_escape_markdown_normal_text_is_unchanged_apart_from_the_escapes():
    for sample in NORMAL:
        assert _read_as(text.escape_markdown(sample)) == sample
    assert text.escape_markdown("Moussey") == "Moussey"
    assert text.escape_markdown("Source : illustratif") == "Source \\: illustratif"  # no soft hyphen: ` : `
    assert text.SOFT_HYPHEN not in text.escape_markdown("Bilan, « L'ENT » : 12\u202f345 visites")


# ------------------------------------------------------------------------------------------ URL values


def test_quote_value_is_inline_code_cut_to_the_limit():
    quoted = text.quote_value("![](//127.1:8629/d)" * 5, 40)
    assert quoted.startswith("`") and quoted.endswith("`…")
    inner = quoted[1:-2].replace(text.SOFT_HYPHEN, "")
    assert len(inner) == 39 and "`" not in inner
    assert text.quote_value("57", 40) == "`57`"
    assert text.quote_value("abc", 2) == "`a`…"


def test_quote_value_handles_backticks_and_blank_values():
    assert text.quote_value("a`b") == "``a`b``"
    assert text.quote_value("a``b`c") == "```a``b`c```"
    assert text.quote_value("`x`") == "`` `x` ``"  # padded: a code span may not start with its fence char
    assert text.quote_value("") == "« »"
    assert text.quote_value("  ").strip("`") == "\u00a0\u00a0"


def test_quote_value_cleans_newlines_bidi_and_icon_rewrites():
    quoted = text.quote_value("a\u202eb\nc\u200b")
    assert quoted == "`ab c`"
    assert ":material/" not in text.quote_value(":material/warning:")
    assert text.quote_value(":material/warning:").replace(text.SOFT_HYPHEN, "") == "`:material/warning:`"


def test_cut_and_plain():
    assert text.cut("abcdef", 4) == "abc…" and text.cut("abc", 4) == "abc"
    assert text.plain("a\nb\u202ec") == "a bc"
