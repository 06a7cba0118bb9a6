"""Pure builders of what the dashboard shows (no Streamlit, covered by tests/observatoire/test_no_streamlit.py):
French formatting, plotly figures, card and table texts, map classification, static map, templates. The
screen (components/), the presentation and the exports (observatoire/exports/) all use them."""
