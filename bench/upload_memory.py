"""Uploads sent by an anonymous session: what the server accepts, the memory it holds, and whether that memory
comes back when the session ends. Prints a table (no assertion).

    .venv/bin/python bench/upload_memory.py                  # avant and après (≈ 7 min: two 2-min expiries)
    .venv/bin/python bench/upload_memory.py --modes apres

The probe: one session, no sign-in, sent 4 × 190 MB to `/_stcore/upload_file/<session>/<file>` (Streamlit accepts
a file for any open session, whether or not the page shows an uploader): server memory 340 → 1 101 MiB, still
held after the session closed. Modes:

  avant  the application as it was at `--avant` (a git commit, default 315ee4f: main before this work), served by
         `python -m streamlit run dashboard.py`: Streamlit's default limit (200 Mo), the 25 MB limit only in the
         browser, no guard;
  apres  `python -m components.server_guard run dashboard.py` with `.streamlit/config.toml` (maxUploadSize = 20,
         the page's limit): files beyond it refused by the server (413), at most 2 files kept per session, the
         files of ended sessions freed (components/server_guard.py).

Steps, on a fresh server: one ordinary visit (the home page, through Streamlit's own protocol, bench/_protocol.py)
then VmRSS = the reference; one anonymous session PUTs `--big` files of 190 MB, then 4 files just under the limit
(20 Mo = 20 971 520 bytes, minus the multipart framing); VmRSS and the bytes Streamlit's upload manager holds
(`/_stcore/metrics`, `UploadedFileManager`); the session's websocket closes; VmRSS 5 s later; then every 10 s until
Streamlit has forgotten the session (it keeps a closed session 2 min for a reconnection) and the sweeper ran
(`--wait`, 180 s by default): VmRSS and held bytes at the end.

Loopback only, every wait bounded, the server stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import TypedDict

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._edge import anonymous_session, put_upload  # noqa: E402
from bench._server import ENTRYPOINT, app_at, machine_info, streamlit_server, table, vm_rss_kib  # noqa: E402
from observatoire import config  # noqa: E402

OUT_DIR = ROOT / "artifacts" / "bench"
BIG = 190 * 1000 * 1000
BEFORE = "315ee4f"  # main before issue 19: no server-side upload limit, no guard
FRAMING = 512  # multipart head and tail of bench._edge.put_upload: a file of LIMIT - FRAMING fits the limit
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_HELD = re.compile(r'cache_memory_bytes\{cache_type="UploadedFileManager",cache=""\} (\d+)')


class Uploads(TypedDict):
    """What one anonymous session's uploads did to the server (MiB; None: VmRSS not readable, or not reached)."""

    rss_reference_mib: float | None
    answers_190MB: list[int]
    seconds_190MB: float
    answers_at_limit: list[int]
    rss_after_uploads_mib: float | None
    held_after_uploads_mib: float
    rss_closed_5s_mib: float | None
    timeline: list[tuple[int, float | None, float]]  # (s after the close, VmRSS MiB, held MiB)
    rss_end_mib: float | None
    held_end_mib: float | None
    freed_after_s: int | None


class ModeResult(Uploads):
    mode: str


def held_bytes(base_url: str) -> int:
    """Bytes of uploaded files Streamlit's upload manager holds (its own metric)."""
    with _OPENER.open(f"{base_url}/_stcore/metrics", timeout=30) as response:
        text = response.read().decode("utf-8", "replace")
    found = _HELD.search(text)
    return int(found.group(1)) if found else 0


def mib(kib: int | None) -> float | None:
    return round(kib / 1024, 1) if kib is not None else None


async def scenario(base_url: str, pid: int, big: int, wait: float) -> Uploads:
    visitor = await anonymous_session(base_url)  # an ordinary visit: the page's first run, caches warm
    await visitor.session.close()
    await asyncio.sleep(3)
    rss_reference = mib(vm_rss_kib(pid))
    attacker = await anonymous_session(base_url)
    loop = asyncio.get_running_loop()

    def put(size: int) -> int:
        return put_upload(base_url, attacker.session_id, attacker.cookies, size, timeout=300)

    start = time.monotonic()
    answers_big = [await loop.run_in_executor(None, put, BIG) for _ in range(big)]
    seconds_big = round(time.monotonic() - start, 1)
    at_limit = config.UPLOAD_LIMIT_BYTES - FRAMING
    answers_at_limit = [await loop.run_in_executor(None, put, at_limit) for _ in range(4)]
    await asyncio.sleep(2)
    rss_after_uploads = mib(vm_rss_kib(pid))
    held_after_uploads = round(held_bytes(base_url) / 1024 / 1024, 1)
    await attacker.session.close()
    closed = time.monotonic()
    await asyncio.sleep(5)
    rss_closed_5s = mib(vm_rss_kib(pid))
    timeline: list[tuple[int, float | None, float]] = []
    while time.monotonic() - closed < wait:
        await asyncio.sleep(10)
        held = held_bytes(base_url)
        timeline.append((round(time.monotonic() - closed), mib(vm_rss_kib(pid)), round(held / 1024 / 1024, 1)))
    return {
        "rss_reference_mib": rss_reference,
        "answers_190MB": answers_big,
        "seconds_190MB": seconds_big,
        "answers_at_limit": answers_at_limit,
        "rss_after_uploads_mib": rss_after_uploads,
        "held_after_uploads_mib": held_after_uploads,
        "rss_closed_5s_mib": rss_closed_5s,
        "timeline": timeline,
        "rss_end_mib": timeline[-1][1] if timeline else None,
        "held_end_mib": timeline[-1][2] if timeline else None,
        "freed_after_s": next((t for t, _, h in timeline if h == 0), None),
    }


def run(mode: str, big: int, wait: float, before: str) -> ModeResult:
    with ExitStack() as stack:
        if mode == "avant":  # the application as it was (its own config.toml: no maxUploadSize, 200 Mo)
            root = stack.enter_context(app_at(before))
            server = stack.enter_context(
                streamlit_server(launcher=["-m", "streamlit", "run", ENTRYPOINT], app_root=root)
            )
        else:
            server = stack.enter_context(streamlit_server())
        uploads = asyncio.run(scenario(server.url, server.pid, big, wait))
    return ModeResult(**uploads, mode=mode if mode != "avant" else f"avant ({before})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="avant,apres")
    parser.add_argument("--big", type=int, default=4, help="nombre de fichiers de 190 Mo envoyés")
    parser.add_argument("--wait", type=float, default=180.0, help="secondes d'observation après la fermeture")
    parser.add_argument("--label", default="upload_memory")
    parser.add_argument("--avant", default=BEFORE, help="commit git de l'application « avant »")
    args = parser.parse_args()
    info = machine_info()
    print(f"Machine : {info}\n")
    results: list[ModeResult] = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        print(f"… {mode}", flush=True)
        results.append(run(mode, args.big, args.wait, args.avant))
    rows: list[list[object]] = []
    for r in results:
        rows.append(
            [
                r["mode"],
                r["rss_reference_mib"],
                ", ".join(map(str, r["answers_190MB"])),
                ", ".join(map(str, r["answers_at_limit"])),
                r["held_after_uploads_mib"],
                r["rss_after_uploads_mib"],
                r["rss_closed_5s_mib"],
                r["rss_end_mib"],
                r["held_end_mib"],
                r["freed_after_s"] if r["freed_after_s"] is not None else "jamais",
                # either VmRSS may be unreadable (None): a difference only when both were read
                round(end - reference, 1)
                if (end := r["rss_end_mib"]) is not None and (reference := r["rss_reference_mib"]) is not None
                else "-",
            ]
        )
    print(
        table(
            f"Une session anonyme dépose {args.big} × 190 Mo puis 4 fichiers à la limite "
            f"({config.UPLOAD_LIMIT_MB} Mo) — mémoire du serveur (VmRSS, Mio) et fichiers retenus (Mio)",
            [
                "mode",
                "référence",
                "réponses 190 Mo",
                f"réponses {config.UPLOAD_LIMIT_MB} Mo",
                "retenus",
                "RSS après dépôts",
                "fermée +5 s",
                f"fin (+{args.wait:.0f} s)",
                "retenus fin",
                "libérés après (s)",
                "fin − référence",
            ],
            rows,
        )
    )
    for r in results:
        print(f"{r['mode']} : (s après fermeture, RSS Mio, retenus Mio) {r['timeline']}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{args.label}.json"
    out.write_text(
        json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(f"\nRésultats : {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
