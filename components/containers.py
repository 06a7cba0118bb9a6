"""Where a widget is drawn (for the type checker): a Streamlit container (`st.sidebar`, a column,
`st.container()`, an expander) or the `st` module itself (wherever the script is writing)."""

from types import ModuleType

from streamlit.delta_generator import DeltaGenerator

Container = DeltaGenerator | ModuleType
