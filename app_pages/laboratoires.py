"""Page stub (being written)."""

import streamlit as st

st.title("laboratoires")
st.write(st.session_state["filters"])
