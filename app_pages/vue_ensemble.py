"""Page stub (being written)."""

import streamlit as st

st.title("vue_ensemble")
st.write(st.session_state["filters"])
