"""Importer des données — reserved to signed-in editors (`components.auth.require_editor`).

Upload → read and validate (observatoire.importing) → preview against the current version → « Publier »
(observatoire.versions publishes the next immutable version, live for every user at their next action) →
past imports with « Annuler cet import ». Rendering lives in components/import_panel.py."""

from __future__ import annotations

import streamlit as st

from components import import_panel, routing
from components.auth import require_editor
from observatoire import config

routing.leave_legacy_mode()  # through the router, even as the first request of a process
st.title("Importer des données", anchor=False)
st.caption(
    "Mettre à jour les indicateurs avec les fichiers reçus (statistiques ENT, GAR, PIX, activité des "
    "laboratoires…). Chaque import publie une nouvelle version des données ; il peut être annulé."
)

editor = require_editor()
if editor is not None:
    import_panel.render_done()
    st.subheader("1. Fichier", anchor=False)
    import_panel.render_templates()
    upload = st.file_uploader(
        "Fichier de mesures (CSV ou XLSX)",
        type=["csv", "xlsx", "txt", "tsv"],
        key=import_panel.uploader_key(),
        max_upload_size=config.UPLOAD_LIMIT_MB,
    )
    if upload is not None:
        checked = import_panel.checked_file(upload)
        st.subheader("2. Vérification et aperçu", anchor=False)
        import_panel.render_notices(checked.notices)
        if checked.file is None or checked.preview is None or checked.compared_with is None:  # set together
            import_panel.render_refusal(checked.problems, checked.count, checked.name)
        else:
            import_panel.render_preview(checked.file, checked.preview, checked.compared_with)
            nothing = checked.preview.new + checked.preview.changed == 0
            if nothing:
                st.info(
                    "Ce fichier n'apporte aucune valeur nouvelle ni modifiée : il n'y a rien à publier.",
                    icon=":material/info:",
                )
            st.subheader("3. Publication", anchor=False)
            st.button(
                "Publier",
                type="primary",
                icon=":material/publish:",
                key="import_publish",
                on_click=import_panel.publish,
                args=(editor,),
                disabled=nothing,
                help="Publie une nouvelle version des données, visible par tous les utilisateurs.",
            )
    st.subheader("Imports précédents", anchor=False)
    import_panel.render_history(editor)
