"""The overview's KPI cards at the sizes of a laptop, a projector and a desktop screen (1280×720, 1600×1000,
1920×1080, sidebar open): no value, change or card title is cut (st.metric cuts its change with an ellipsis:
« +11,1 % vs 20… » before `components.cards.CSS` let it wrap), and every change says its reference year on
the card (« vs 2022-2023 »).

Screenshot: artifacts/screenshots/vue-ensemble-<width>.png (the first screen, as a user sees it).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e._ui import goto, wait_idle

SIZES = [(1280, 720), (1600, 1000), (1920, 1080)]

# every metric value, change and card title (the bold Markdown line above the collapsed metric label), with
# each element inside it: `scrollWidth > clientWidth` is text cut (ellipsis or hidden overflow)
_CARDS = """() => {
  const cards = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stVerticalBlock"]')]
    .filter(b => b.querySelector(':scope [data-testid="stMetric"]')
                 && b.querySelectorAll('[data-testid="stMetric"]').length === 1);
  const text = el => (el.innerText || '').replace(/\\u2060/g, '').replace(/\\s+/g, ' ').trim();
  return cards.map(card => {
    const parts = {
      value: card.querySelector('[data-testid="stMetricValue"]'),
      delta: card.querySelector('[data-testid="stMetricDelta"]'),
      title: card.querySelector('[data-testid="stMarkdownContainer"] strong'),
    };
    const cut = [];
    for (const [name, el] of Object.entries(parts)) {
      if (!el) continue;
      for (const node of [el, ...el.querySelectorAll('*')]) {
        if (node.clientWidth > 0 && node.scrollWidth > node.clientWidth + 1)
          cut.push(`${name} « ${text(el)} » ${node.scrollWidth} > ${node.clientWidth}`);
      }
    }
    return {
      title: parts.title ? text(parts.title) : null, value: parts.value ? text(parts.value) : null,
      delta: parts.delta ? text(parts.delta) : null, card: text(card), cut,
    };
  });
}"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_kpi_cards_are_never_cut_and_say_their_reference_year(browser, server, screenshots_dir, width, height):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="fr-FR", service_workers="block"
    )
    try:
        page = context.new_page()
        goto(page, server + "/")
        wait_idle(page)
        cards = page.evaluate(_CARDS)
        page.screenshot(path=str(screenshots_dir / f"vue-ensemble-{width}.png"))
    finally:
        context.close()
    assert len(cards) >= 4, cards
    assert all(c["title"] and c["value"] for c in cards), cards
    assert [cut for c in cards for cut in c["cut"]] == [], f"{width}×{height}"
    deltas = [c for c in cards if c["delta"]]
    assert deltas, "no card shows a change"
    for card in deltas:
        match = re.search(r"vs (\d{4}-\d{4})", card["delta"])
        assert match, card["delta"]
        assert match.group(1) in card["card"], card  # the reference year is visible on the card
