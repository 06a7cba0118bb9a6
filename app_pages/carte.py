"""Page stub (being written)."""

import streamlit as st

st.title("carte")
st.write(st.session_state["filters"])
