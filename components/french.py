"""French for Streamlit's own front end (chrome), which is English-only in Streamlit 1.67.

What configuration can do is done elsewhere: `client.toolbarMode = "minimal"` (.streamlit/config.toml) leaves
only the « About » entry of the main menu, `st.multiselect(select_all=False)` drops « Select all », Plotly gets
its own French locale (`components.charts.PLOTLY_CONFIG`). What is left — the main menu, the sidebar buttons,
the status widget (« Running… », « Stop »), the « Page not found » dialog, the dataframe toolbar and column
menu, the multiselect / selectbox buttons, help icons, the fullscreen buttons — is translated in the browser
by a small script mounted once per run by the router (`mount()`):

- the dictionary is data, `components/french_ui.json`: exact strings (whole attribute value or whole text
  node) and a few anchored patterns (« Made with Streamlit v… », « Help for … », « Remove … », the file
  uploader's sizes « 25MB per file », « 1.2KB »); a pattern may carry a third element, a CSS selector: it then
  applies only inside that scope (e.g. the file uploader's chips: « Remove ent.csv » there is « Supprimer le
  fichier ent.csv », elsewhere — a multiselect tag — « Retirer … »; « 1.2KB » is rewritten only there);
- it rewrites the attributes `aria-label`, `title`, `placeholder`, `data-title` and text nodes, in the page and
  in every node added later (a `MutationObserver`: menus, dialogs, tooltips, popovers); a string that is not a
  key is left untouched, so the app's own (French) content is never changed, and no text is ever rewritten
  inside Markdown of the app (`stMarkdownContainer` in the app view or the sidebar) — except by a scoped
  pattern, whose scope is a piece of Streamlit's chrome that renders its own label as Markdown (the file
  uploader's « Upload » button: the scope is the dropzone, the app's label is outside it); decorative Material
  icons labelled by their English name (« cloud icon ») are hidden from assistive technologies instead;
- one observer per browser page (a flag on `window`), installed on the first mount and kept for the page's
  lifetime; the work per mutation is a `Map` lookup (unscoped patterns only for strings starting with an
  ASCII letter or digit, scoped ones only inside their scope).
  `window.__observatoireFrench.stats` keeps the time spent (printed by tests/e2e/test_french.py: ≈ 10 ms of
  browser time in ≈ 20 observer calls for a filter change on « Indicateurs », nothing on the server);
- it also sets `<html lang="fr">` (Streamlit ships `lang="en"`: screen readers would read French with an
  English voice);
- it renders no visible box: its element container is hidden (`display: none`, found by the marker attribute
  of its HTML), so it leaves no layout gap.

Why `st.html(unsafe_allow_javascript=True)` and not `st.components.v2.component`: a v2 component always
registers a widget state whose value (`_WriteThrough`, a local class) cannot be pickled, and
`runner.enforceSerializableSessionState = true` then fails every run (« Cannot serialize the value … »), with
or without a `key` (reproduced with 1.67.0). st.html runs the same trusted script in the app page, without
state. The script is written here; the dictionary comes from a file of this repository (never from users or
the URL) and is embedded as JSON (`</` escaped).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DICTIONARY_PATH = Path(__file__).with_name("french_ui.json")
MARKER = "data-observatoire-french"

# a classic script (st.html), run again when Streamlit re-creates the element: everything inside one function,
# nothing declared at the top level
_JS = """
(function () {
  if (window.__observatoireFrench) return;
  const DATA = __DATA__;
  const ATTRS = ["aria-label", "title", "placeholder", "data-title"];
  const SELECTOR = ATTRS.map((a) => "[" + a + "]").join(",");
  // the app's own content: Markdown in the app view (main area, sidebar) is never rewritten
  const APP_TEXT = '[data-testid="stMarkdownContainer"], script, style, textarea, [contenteditable="true"]';
  const exact = new Map(Object.entries(DATA.exact));
  // [regex, replacement] or [regex, replacement, scope]: a scoped pattern applies only inside `scope` (CSS)
  const patterns = DATA.patterns.map(([re, to, scope]) => [new RegExp(re), to, scope || null]);
  const decorative = DATA.decorative.map((re) => new RegExp(re));
  const stats = { calls: 0, ms: 0, translated: 0 };

  // `scopedOnly`: a text node in the app's Markdown, where only scoped patterns (Streamlit's chrome rendered as
  // Markdown, e.g. the uploader's button label) may apply
  function translate(value, el, scopedOnly) {
    const text = value.trim();
    if (!text || text.length > 300) return null;
    let out = scopedOnly ? undefined : exact.get(text);
    if (out === undefined) {
      const c = text.charCodeAt(0);
      // unscoped patterns: strings starting with an ASCII letter or digit only; scoped ones: inside their scope
      const ascii = !scopedOnly && ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57));
      for (const [re, to, scope] of patterns) {
        if (scope ? !(el && el.closest(scope)) : !ascii) continue;
        if (re.test(text)) { out = text.replace(re, to); break; }
      }
      if (out === undefined) return null;
    }
    if (out === text) return null;
    const start = value.indexOf(text);
    return value.slice(0, start) + out + value.slice(start + text.length);
  }

  function appContent(el) {  // text nodes only
    const md = el && el.closest(APP_TEXT);
    return !!md && !!md.closest('[data-testid="stAppViewContainer"], [data-testid="stSidebar"]');
  }

  // attributes are Streamlit's (the app sets none of them from data): translated wherever they are
  function fixElement(el) {
    for (const name of ATTRS) {
      const value = el.getAttribute(name);
      if (!value) continue;
      if (name === "aria-label" && decorative.some((re) => re.test(value))) {
        el.removeAttribute("aria-label");
        el.setAttribute("aria-hidden", "true");
        stats.translated += 1;
        continue;
      }
      const out = translate(value, el, false);
      if (out !== null) { el.setAttribute(name, out); stats.translated += 1; }
    }
  }

  function fixText(node) {
    const el = node.parentElement;
    const out = translate(node.nodeValue || "", el, appContent(el));
    if (out !== null) { node.nodeValue = out; stats.translated += 1; }
  }

  function scan(root) {
    if (root.nodeType === Node.TEXT_NODE) { fixText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixElement(root);
    for (const el of root.querySelectorAll(SELECTOR)) fixElement(el);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) fixText(node);
  }

  const observer = new MutationObserver((records) => {
    const t0 = performance.now();
    for (const record of records) {
      if (record.type === "childList") {
        for (const node of record.addedNodes) if (node.isConnected) scan(node);
      } else if (record.type === "characterData") {
        fixText(record.target);
      } else if (record.type === "attributes") {
        fixElement(record.target);
      }
    }
    stats.calls += 1;
    stats.ms += performance.now() - t0;
  });
  document.documentElement.lang = "fr";
  scan(document.body);
  observer.observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS,
  });
  window.__observatoireFrench = { stats, translate };
})();
"""

# the element container of the component (found by the marker of its HTML) is hidden: no box, no layout gap
_HTML = f"<span {MARKER} hidden></span>"
_CSS = f".stElementContainer:has([{MARKER}]) {{\n  display: none !important;\n}}\n"


@cache
def dictionary() -> dict[str, object]:
    """The English → French dictionary (`exact` and `patterns`), read once per process."""
    data = json.loads(DICTIONARY_PATH.read_text(encoding="utf-8"))
    return {"exact": data["exact"], "patterns": data["patterns"], "decorative": data.get("decorative", [])}


@cache
def script() -> str:
    """The JavaScript with the dictionary embedded as JSON (built once per process)."""
    payload = json.dumps(dictionary(), ensure_ascii=False).replace("</", "<\\/")  # cannot close the <script>
    return _JS.replace("__DATA__", payload)


@cache
def _body() -> str:
    return f"{_HTML}<style>{_CSS}</style><script>{script()}</script>"


def mount() -> None:
    """Mount the translation script (call once per run, from the router). Same body on every run: the
    browser keeps the element and the script runs once per page (guarded by a flag on `window`)."""
    import streamlit as st

    st.html(_body(), unsafe_allow_javascript=True)
