"""Replay floor for the benchmark: a Streamlit script that sends, on each rerun, the very element messages
(ForwardMsg deltas: the same st.* elements, figures, tables, map HTML, sidebar widgets, in the same places)
that a page of the dashboard sent for the same rerun, recorded once by `bench/run.py` and read back here.

Nothing is computed: no query, no figure built, no formatting. What is left is Streamlit's own work for these
elements — parsing the recorded bytes back into a message (a stand-in for building it), hashing it
(`populate_hash_if_needed`, the hash is cleared first so it is computed as in the real run), queueing it.
So `page rerun / replay rerun` measures the app's own work. Widgets are replayed as elements: they are not
registered (that part of the framework's cost is what the bare-widget floor, `bench/bare_app.py`, measures).

The recording (`OBSERVATOIRE_REPLAY`, a pickle written by bench/run.py: a list of runs, each a list of
serialized delta messages) holds one run per Département selection of the benchmark; reruns alternate
between them as the benchmark alternates the selections.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import enqueue_message


@st.cache_resource(show_spinner=False)
def recorded(path: str) -> list[list[bytes]]:
    """The recorded runs, read once per process (a trusted file written by bench/run.py in a temporary
    folder, never a user's file)."""
    with Path(path).open("rb") as handle:
        return pickle.load(handle)  # noqa: S301 - the benchmark's own recording


runs = recorded(os.environ["OBSERVATOIRE_REPLAY"])
count = st.session_state.get("replay_count", 0)
st.session_state["replay_count"] = count + 1
for raw in runs[count % len(runs)]:
    msg = ForwardMsg()
    msg.ParseFromString(raw)
    msg.hash = ""  # computed again on enqueue, as for a message built by st.*
    enqueue_message(msg)
