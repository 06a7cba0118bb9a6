"""Views as data (`model`), their context (`context`) and builders: what a page, a slide or an export shows,
built with no Streamlit so that the screen, the presentation and every export render the same thing."""
