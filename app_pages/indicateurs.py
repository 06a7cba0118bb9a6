"""Page stub (being written)."""

import streamlit as st

st.title("indicateurs")
st.write(st.session_state["filters"])
