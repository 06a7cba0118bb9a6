"""Page stub (being written)."""

import streamlit as st

st.title("donnees")
st.write(st.session_state["filters"])
