"""Rendering of the import page: templates, the reading/validation report, the preview, publication, the list
of past imports with « Annuler cet import ». The work is done by the core (`observatoire.importing` reads and
validates, `observatoire.versions` publishes); this module only shows it, in French, escaped.

State kept between reruns (serialisable, small): the checked file (`ImportFile`, keyed by its sha256) and the
undo waiting for confirmation. Every write goes through `versions.Repository`, which publishes a new version;
nothing here opens a database for writing."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from components import catalog, changes_panel, context, errors
from observatoire import config, importing, published, schema, store, versions
from observatoire.access import Editor
from observatoire.figures import formatting
from observatoire.text import escape_markdown
from observatoire.views.data_sources import journal_table

log = logging.getLogger("observatoire")

_CHECKED = "import_checked"  # `Checked`: the last file read
_UPLOADER_ROUND = "import_uploader_round"  # bumped after a publication: a fresh, empty uploader
_CONFIRM_UNDO = "import_confirm_undo"
_DONE = "import_done"  # French message of the last publication, shown once
WAIT_SECONDS = 5.0


def _unbreakable(text: str) -> str:
    """French guillemets glued to what they quote (no-break spaces): a line never ends on « nor starts with »
    (at 1280 px « ; », « , » was cut as « , / » ou tabulation)."""
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»")


def render_templates() -> None:
    st.markdown(
        _unbreakable(
            "Le fichier reprend les **colonnes canoniques** des mesures : `indicateur`, `periode`, "
            "`territoire_type`, `territoire_code`, `niveau`, `thematique`, `public`, `valeur`, `source` et, "
            "facultative, `origine` (vide ou absente : « import »). Formats acceptés : **XLSX** "
            "(feuille « mesures » "
            "ou la première) et **CSV** (séparateur « ; », « , » ou tabulation ; virgule ou point décimal ; "
            f"espaces de milliers ; UTF-8 ou Windows-1252). {config.UPLOAD_LIMIT_MB} Mo et "
            f"{formatting.number(importing.MAX_ROWS)} lignes au plus."
        )
    )
    left, right = st.columns(2)
    left.download_button(
        "Modèle XLSX (avec la liste des codes)",
        data=_template_xlsx(),
        file_name="modèle-import-mesures.xlsx",
        icon=":material/table_view:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="import_template_xlsx",
        width="stretch",
    )
    right.download_button(
        "Modèle CSV",
        data=importing.template_csv(),
        file_name="modèle-import-mesures.csv",
        mime="text/csv",
        icon=":material/description:",
        key="import_template_csv",
        width="stretch",
    )


@st.cache_data(max_entries=4, show_spinner=False)
def _template_xlsx_for(version_id: str) -> bytes:
    repo = context.repository()
    with repo.connect(repo.current()) as con:
        tables = store.reference_tables(con)
        academie = published.academie(con)
    return importing.template_xlsx(tables, academie)


def _template_xlsx() -> bytes:
    return _template_xlsx_for(context.current_version().id)


@dataclass(frozen=True)
class Checked:
    """An uploaded file, read, validated and compared with the version that was current then."""

    digest: str
    name: str
    file: importing.ImportFile | None = None
    preview: importing.Preview | None = None
    compared_with: int | None = None  # number of the version the preview was computed against
    problems: tuple[str, ...] = ()
    count: int = 0
    notices: tuple[str, ...] = ()  # what was read differently from the file as written (title row, column)


def _check(data: bytes, name: str, digest: str) -> Checked:
    """Read + validate against the current version's reference tables, then compare with its measures."""
    repo = context.repository()
    current = context.current_version()
    with repo.connect(current) as con:
        tables = store.reference_tables(con)
        try:
            checked = importing.read_import(data, name, tables, published.academie(con))
        except schema.ValidationError as err:
            return Checked(
                digest,
                name,
                problems=tuple(_problem_text(p, name) for p in err.problems),
                count=err.count,
                notices=tuple(getattr(err, "notices", ())),
            )
        preview = importing.preview(checked.frame, versions.active_measures(con))
    return Checked(digest, name, checked, preview, current.number, notices=checked.notices)


def _problem_text(problem: schema.Problem, name: str) -> str:
    """A problem as listed under « Fichier refusé … dans « name » »: without the file name again."""
    text = str(problem)
    prefix = f"{problem.filename} — " if problem.filename == name else ""
    return text.removeprefix(prefix) if prefix else text.removeprefix(f"{name} : ")


def checked_file(upload: UploadedFile) -> Checked:
    """The uploaded file, read and validated once per content and per current version (kept in the session)."""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    kept: Checked | None = st.session_state.get(_CHECKED)
    current = context.current_version().number
    if kept is None or kept.digest != digest or (kept.file is not None and kept.compared_with != current):
        with st.spinner("Lecture et vérification du fichier…"):
            kept = _check(data, str(upload.name), digest)
        st.session_state[_CHECKED] = kept
    return kept


def uploader_key() -> str:
    return f"import_file_{st.session_state.get(_UPLOADER_ROUND, 0)}"


def render_notices(notices: tuple[str, ...]) -> None:
    """What was read differently from the file as written: a title row skipped, a column ignored…"""
    for notice in notices:
        st.info(escape_markdown(notice), icon=":material/info:")


def render_refusal(problems: tuple[str, ...], count: int, name: str) -> None:
    """Every problem of the file found in one reading: the first ones listed (line and cell as the spreadsheet
    numbers them), the others counted."""
    plural = "s" if count > 1 else ""
    st.error(
        f"Fichier refusé : {formatting.number(count)} problème{plural} dans « {escape_markdown(name)} ». "
        "Rien n'a été publié : corrigez le fichier puis déposez-le à nouveau.",
        icon=":material/block:",
    )
    rest = count - len(problems)
    if rest > 0:
        listed = formatting.number(len(problems))
        st.caption(
            f"Les {listed} premiers problèmes, dans l'ordre des lignes (numérotées comme dans le "
            f"tableur) ; {formatting.number(rest)} autres sont comptés :"
        )
    elif count > 1:
        st.caption("Tous les problèmes du fichier, dans l'ordre des lignes (numérotées comme dans le tableur) :")
    shown = "\n".join(f"- {_unbreakable(escape_markdown(p[:1].upper() + p[1:]))}" for p in problems)
    more = (
        f"\n- … et {formatting.number(rest)} autre{'s' if rest > 1 else ''} problème{'s' if rest > 1 else ''}"
        if rest > 0
        else ""
    )
    st.markdown(shown + more)


def preview_tables(preview: importing.Preview) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-indicator summary and the sample, with French column names and indicator labels (the core's
    `importing.summary_table` / `sample_table`: values as French text, a new row's old value empty)."""
    labels = context.labels()
    return importing.summary_table(preview, labels), importing.sample_table(preview, labels)


def render_preview(checked: importing.ImportFile, preview: importing.Preview, compared_with: int) -> None:
    st.success(
        f"Fichier lisible et valide : « {escape_markdown(checked.name)} » — {escape_markdown(checked.details)}.",
        icon=":material/task_alt:",
    )
    st.caption(f"Comparaison avec la version courante des données (n° {compared_with}).")
    cols = st.columns(3)
    cols[0].metric("Valeurs nouvelles", formatting.number(preview.new), border=True)
    cols[1].metric(
        "Valeurs modifiées",
        formatting.number(preview.changed),
        border=True,
        help="Même indicateur, période, territoire, niveau, thématique et public : la valeur (ou son "
        "origine, sa source) change. L'ancienne valeur reste dans son lot : rien n'est perdu.",
    )
    cols[2].metric("Valeurs inchangées", formatting.number(preview.unchanged), border=True)
    summary, sample = preview_tables(preview)
    st.markdown("**Par indicateur et période**")
    st.dataframe(summary, hide_index=True, width="stretch", key="import_summary")
    st.markdown(
        f"**Échantillon** ({formatting.number(len(sample))} lignes : les modifiées d'abord ; une valeur "
        "nouvelle n'a pas d'ancienne valeur)"
    )
    st.dataframe(
        sample,
        hide_index=True,
        width="stretch",
        key="import_sample",
        column_config=changes_panel.value_columns("Statut"),
    )


def publish(editor: Editor) -> None:
    """Callback of « Publier »: publishes the file checked in this session as the next version (the message is
    shown on the next run). The check that no other version was published since the preview, the change and the
    journal's counts happen under the writers' lock (`versions.Repository.import_measures(expected=…)`): when
    another version came first, nothing is published, and the preview is recomputed on the next run and shown
    again. The editor's sign-in is checked again here (`auth.editor_may_write`): a sign-out in another tab, or a
    sign-in too old, refuses."""
    from components import auth

    kept: Checked | None = st.session_state.get(_CHECKED)
    if kept is None or kept.file is None or kept.preview is None:
        return
    refusal = auth.editor_may_write()
    if refusal:
        st.session_state[_DONE] = ("error", refusal)
        return
    checked = kept.file
    try:
        version = context.repository().import_measures(
            checked.frame,
            checked.name,
            checked.sha256,
            editor.name,
            wait=WAIT_SECONDS,
            expected=kept.compared_with,
        )
    except versions.StaleVersionError as err:
        st.session_state[_DONE] = ("warning", str(err))
        return
    except versions.WriteInProgressError as err:
        st.session_state[_DONE] = ("warning", str(err))
        return
    except versions.DiskFullError as err:  # « Disque plein : … Rien n'a été modifié … »
        log.error("Publication impossible : %s", err)
        st.session_state[_DONE] = ("error", str(err))
        return
    except (store.StoreError, schema.ValidationError) as err:
        log.warning("Import refusé à la publication : %s", err)
        st.session_state[_DONE] = ("error", f"La publication a échoué, rien n'a été modifié : {err}")
        return
    except Exception as err:  # never Streamlit's English error page: the French message, nothing published
        log.exception("Erreur inattendue pendant la publication de %s", checked.name)
        st.session_state[_DONE] = (
            "error",
            errors.message_for(err, "La publication a échoué, rien n'a été modifié : erreur inattendue"),
        )
        return
    rows = formatting.number(len(checked.frame))
    st.session_state[_DONE] = (
        "success",
        f"Version n° {version.number} publiée : les {rows} lignes de "
        f"« {checked.name} » sont visibles par tous les utilisateurs à leur prochaine "
        "action sur le tableau de bord (une vue figée par un lien « ?version= » reste sur "
        "sa version).",
    )
    st.session_state[_CHECKED] = None
    st.session_state[_UPLOADER_ROUND] = st.session_state.get(_UPLOADER_ROUND, 0) + 1


def render_done() -> None:
    done = st.session_state.pop(_DONE, None)
    if not done:
        return
    kind, text = done
    icon = {
        "success": ":material/cloud_done:",
        "warning": ":material/hourglass_top:",
        "error": ":material/error:",
    }[kind]
    getattr(st, kind)(escape_markdown(text), icon=icon)


def _imports(journal: pd.DataFrame, lots: pd.DataFrame) -> pd.DataFrame:
    """One row per import recorded in the journal, with its lot and whether it is still active."""
    rows = journal[journal["type"] == versions.IMPORT].copy()
    if rows.empty:
        return rows.assign(lot=pd.Series(dtype="int64"), actif=pd.Series(dtype=bool))
    rows["lot"] = rows["lots_ajoutes"].astype(str).str.split(",").str[0].astype("int64")
    active = dict(zip(lots["lot_id"].astype("int64"), lots["actif"], strict=True))
    rows["actif"] = rows["lot"].map(active).fillna(False).astype(bool)
    return rows


def ask_undo(lot: int) -> None:
    st.session_state[_CONFIRM_UNDO] = lot


def cancel_undo() -> None:
    st.session_state[_CONFIRM_UNDO] = None


def undo(lot: int, editor: Editor) -> None:
    """Callback of « Confirmer l'annulation » (the editor's sign-in checked again, like « Publier »)."""
    from components import auth

    st.session_state[_CONFIRM_UNDO] = None
    refusal = auth.editor_may_write()
    if refusal:
        st.session_state[_DONE] = ("error", refusal)
        return
    try:
        version = context.repository().undo(lot, editor.name, wait=WAIT_SECONDS)
    except versions.WriteInProgressError as err:
        st.session_state[_DONE] = ("warning", str(err))
        return
    except store.StoreError as err:
        st.session_state[_DONE] = ("error", str(err))
        return
    except Exception as err:  # never Streamlit's English error page: the French message, nothing published
        log.exception("Erreur inattendue pendant l'annulation du lot %s", lot)
        st.session_state[_DONE] = (
            "error",
            errors.message_for(
                err, f"L'annulation de l'import {lot} a échoué, rien n'a été modifié : erreur inattendue"
            ),
        )
        return
    st.session_state[_DONE] = (
        "success",
        f"Import {lot} annulé : version n° {version.number} publiée, les "
        "valeurs précédentes sont de nouveau affichées pour tous les utilisateurs.",
    )


def _values(n: int, adjective: str) -> str:
    """`0 nouvelle`, `1 modifiée`, `2 inchangées` (French plural from 2 on; was « 1 modifiées »)."""
    return f"{formatting.number(n)} {adjective}{'s' if n > 1 else ''}"


def render_history(editor: Editor) -> None:
    repo = context.repository()
    current = context.current_version()
    with repo.connect(current) as con:
        journal = versions.journal(con)
        lots = store.lots(con)
    imports = _imports(journal, lots)
    if imports.empty:
        st.caption("Aucun import pour l'instant : les données affichées sont celles livrées avec l'application.")
    waiting = st.session_state.get(_CONFIRM_UNDO)
    for row in imports.itertuples(index=False):
        when = catalog.french_datetime(row.date)
        status = "actif" if row.actif else "annulé"
        with st.container(border=True):
            text, action = st.columns([5, 2], vertical_alignment="center")
            text.markdown(
                f"**Lot {row.lot}** — « {escape_markdown(str(row.fichier))} », version n° {row.version}, "
                f"le {when}, par {escape_markdown(str(row.auteur))} · "
                f"{_values(row.nouvelles, 'nouvelle')}, {_values(row.modifiees, 'modifiée')}, "
                f"{_values(row.inchangees, 'inchangée')} · **{status}**"
            )
            if not row.actif:
                continue
            if waiting == row.lot:
                # any editor may undo any import (README « Accès des éditeurs »): the author is named when it is
                # someone else, and the journal keeps both names
                other = str(row.auteur) != editor.name
                whose = (
                    f" Cet import a été publié par {escape_markdown(str(row.auteur))} le {when} : son auteur "
                    "verra l'annulation, à votre nom, dans le journal."
                    if other
                    else ""
                )
                st.warning(
                    f"Annuler l'import {row.lot} ? Une nouvelle version sera publiée sans ce lot : les "
                    f"valeurs qu'il remplaçait redeviennent visibles pour tous.{whose}",
                    icon=":material/undo:",
                )
                yes, no = st.columns(2)
                yes.button(
                    "Confirmer l'annulation",
                    key=f"undo_yes_{row.lot}",
                    type="primary",
                    on_click=undo,
                    args=(row.lot, editor),
                    icon=":material/undo:",
                )
                no.button("Garder cet import", key=f"undo_no_{row.lot}", on_click=cancel_undo)
            else:
                action.button(
                    "Annuler cet import",
                    key=f"undo_{row.lot}",
                    on_click=ask_undo,
                    args=(row.lot,),
                    icon=":material/undo:",
                    width="stretch",
                )
    with st.expander("Journal complet des versions", icon=":material/history:"):
        st.dataframe(journal_table(journal), hide_index=True, width="stretch", key="import_journal")
