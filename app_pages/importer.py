"""Importer des données: reserved to signed-in editors (`components.auth.require_editor`).

Skeleton: the import itself (observatoire.importing, the versioned store, the journal) comes next."""

from __future__ import annotations

import streamlit as st

from components.auth import require_editor
from observatoire.text import escape_markdown

st.title("Importer des données", anchor=False)

editor = require_editor()
if editor is not None:
    st.write(f"Espace d'import — connecté : {escape_markdown(editor.name)}")
    st.file_uploader("Fichier de mesures (CSV ou XLSX)", type=["csv", "xlsx"], key="import_file")
