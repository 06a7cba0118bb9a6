"""Untrusted text (data files, URL parameters) shown as PLAIN TEXT: the one place that escapes it.

Rule: every text that comes from data, files or URLs goes through one of these functions before it reaches an
HTML context (folium popups / tooltips / legends, Jinja templates, Plotly texts) or a Markdown context
(`st.markdown`, `st.caption`, `st.info`/`st.warning`, help texts, metric labels, badges, expander labels,
subheaders…). Pure functions, no Streamlit import (a test enforces it for the `observatoire` package).

- `clean(text)`: drops the bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and the
  zero-width characters (U+200B–U+200D, U+2060, U+FEFF) that can hide or reorder what a reader sees. The
  narrow no-break space (U+202F, French thousands separator) and the no-break space (U+00A0) are kept.
- `escape_html(text)`: `clean` + `html.escape` (quotes included: safe in attributes too), with the double quote
  as the numeric `&#34;`: Plotly decodes `&lt;`, `&gt;`, `&amp;` and numeric references but shows `&quot;` as
  is (seen in Chromium).
- `escape_markdown(text)`: `clean`, newlines folded, then a backslash before every ASCII punctuation character
  (CommonMark allows it before each of them and shows the character itself). See the notes below for what
  Streamlit 1.67's Markdown does beyond CommonMark.
- `quote_value(value, limit)`: a value read from a URL, cut to `limit` characters and quoted as inline code
  (never rendered), for the French notices about unknown values.

How Streamlit 1.67's Markdown treats escapes (read in its front end, `StreamlitMarkdown.*.js`, and checked in
Chromium by tests/e2e/test_injection.py):
- CommonMark / GFM syntax (images, links, `<autolinks>`, raw HTML, emphasis, headings, lists, tables, character
  references) is defeated by the backslash escapes.
- GFM bare-URL autolinks (`https://…`, `www.…`, e-mails) are NOT: remark-gfm also looks for them in the text
  nodes after parsing (escapes resolved) — seen in Chromium, `https\\:\\/\\/host` still became a link. A soft
  hyphen (U+00AD, invisible) is put where their patterns need contiguous characters: `https:` + `//`,
  `www` + `.`, `@` + domain.
- Directives (`:red[…]`, `:small[…]`, `:blue-badge[…]`) are parsed by remark-directive: `\\:` defeats them.
- `$…$` / `$$…$$` LaTeX: escaped dollars are neither math nor a reason to load KaTeX.
- Material icons are NOT a Markdown syntax: the front end first replaces `:material/` by `:material_` in the
  raw source, then turns `:material_name:` found in text nodes (escapes already resolved) into an icon. `\\/`
  defeats the first form (the raw replacement no longer matches); nothing written with escapes defeats the
  second (`:material_name:`), nor the emoji shortcodes (`:smile:`, remark-emoji) or `:streamlit:` (logo), which
  are also matched in text nodes. For these, a soft hyphen (U+00AD, invisible) is put after the colon that
  opens a shortcode-like run `:name:`; ordinary French text (` : ` between spaces) never contains one.
- Not defeated, harmless: the front end's typographic replacements in text nodes (` -> ` → `→`, ` -- ` → `—`).
"""

from __future__ import annotations

import html
import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = str.maketrans("", "", BIDI_CONTROLS + ZERO_WIDTH)
_BREAK_CHARS = frozenset("\r\n\f\v\u2028\u2029")
_ASCII_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|[\r\n\f\v\u2028\u2029])[ \t]*")
_SPACES = re.compile(r"[ \t]{2,}")  # runs of ordinary spaces only: U+00A0 and U+202F are kept
_SHORTCODE = re.compile(r":(?=[\w+-][\w+-]*:)", re.ASCII)  # `:smile:`, `:material_icon:`, `:streamlit:`
_SHORTCODE_OR_ICON = re.compile(r":(?=material/|[\w+-][\w+-]*:)", re.ASCII)
_AUTOLINK = re.compile(r"https?:(?=//)|\bwww(?=\.)|@(?=[-\w])", re.ASCII | re.IGNORECASE)  # GFM autolink literals
SOFT_HYPHEN = "\u00ad"
ELLIPSIS = "…"


def clean(text: object) -> str:
    """`str(text)` without bidi controls nor zero-width characters (None → "")."""
    if text is None:
        return ""
    return str(text).translate(_INVISIBLE)


def escape_html(text: object) -> str:
    """Plain text for an HTML context (element content or quoted attribute), also read right by Plotly."""
    return html.escape(clean(text), quote=True).replace("&quot;", "&#34;")


def escape_markdown(text: object, *, keep: str = "") -> str:
    """Plain text for a Streamlit Markdown context (one line: newlines become spaces).

    `keep`: punctuation left unescaped because the caller escapes it itself — `st.badge` escapes `[` and `]`
    of its label (`keep="[]"`); anything else escaped here would be escaped twice."""
    out = _LINE_BREAKS.sub(" ", clean(text)).replace("\t", " ")
    out = _SPACES.sub(" ", out)  # four leading spaces would make an indented code block
    out = _SHORTCODE.sub(":" + SOFT_HYPHEN, out)
    out = _AUTOLINK.sub(lambda m: m.group(0) + SOFT_HYPHEN, out)
    if keep:
        return _ASCII_PUNCTUATION.sub(lambda m: m.group(1) if m.group(1) in keep else "\\" + m.group(1), out)
    return _ASCII_PUNCTUATION.sub(r"\\\1", out)


def cut(text: object, limit: int) -> str:
    """`clean(text)` cut to `limit` characters (an ellipsis marks the cut)."""
    out = clean(text)
    return out if len(out) <= limit else out[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def quote_value(value: object, limit: int = 40) -> str:
    """A value read from a URL, for a Markdown notice: cut to `limit` characters and shown as inline code
    (nothing inside a code span is rendered: no link, image, emphasis, directive nor LaTeX)."""
    raw = _LINE_BREAKS.sub(" ", clean(value))
    shown = raw if len(raw) <= limit else raw[: max(limit - 1, 0)]
    suffix = ELLIPSIS if len(raw) > limit else ""
    # the front end rewrites `:material/` in the raw source, code spans included: keep the value as typed
    shown = _SHORTCODE_OR_ICON.sub(":" + SOFT_HYPHEN, shown)
    if not shown:
        return "« »" + suffix
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or shown.strip() == "" else ""
    if pad and shown.strip() == "":
        shown = "\u00a0" * len(shown)  # a code span of spaces only would be shown empty
        pad = ""
    return f"{fence}{pad}{shown}{pad}{fence}{suffix}"


def plain(text: object) -> str:
    """`clean` + newlines folded: for contexts that show text as is (widget options, table cells, alt)."""
    out = clean(text)
    return _LINE_BREAKS.sub(" ", out) if not _BREAK_CHARS.isdisjoint(out) else out


LABEL_CHARS = 300
"""Longest text of one source in a label (the bilan's longest is 213 characters; an import allows 500)."""
LABEL_ITEMS = 12
"""Most sources named in one label; the others are counted."""


def short_list(items: object, chars: int = LABEL_CHARS, most: int = LABEL_ITEMS, sep: str = " ; ") -> str:
    """Distinct texts as one short label: each `plain` and cut to `chars`, at most `most` of them, then
    « et N autres ». A page names the sources of what it shows with this, never with texts of any length."""
    values = [items] if isinstance(items, str) else list(items or ())  # type: ignore[call-overload]
    seen: dict[str, None] = {}
    for value in values:
        text = _LINE_BREAKS.sub(" ", cut(value, chars))
        if text:
            seen.setdefault(text, None)
    named = list(seen)
    extra = len(named) - most
    out = sep.join(named[:most])
    return out + (f"{sep}et {extra} autre{'s' if extra > 1 else ''}" if extra > 0 else "")
