"""Streamlit rendering of the plotly figures built by `observatoire.figures.charts` (French, logo-free
configuration, accessible description) and the column configuration of their tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from observatoire.figures.charts import PLOTLY_CONFIG
from observatoire.text import plain


def table_column_config(table: pd.DataFrame) -> dict[str, object]:
    """Numbers shown in the reader's locale (French browsers: `12 345,6`), integers without decimals."""

    config: dict[str, object] = {}
    for column in table.columns:
        if pd.api.types.is_numeric_dtype(table[column]) and not pd.api.types.is_bool_dtype(table[column]):
            config[column] = st.column_config.NumberColumn(format="localized")
    return config


# ------------------------------------------------------------------------------------- render wrappers


def render_figure(figure: go.Figure, key: str, alt: str) -> None:
    """`st.plotly_chart` with the French, logo-free configuration and an accessible description."""

    st.plotly_chart(figure, width="stretch", config=PLOTLY_CONFIG, key=key, alt=plain(alt), theme="streamlit")
