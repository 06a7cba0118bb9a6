"""What a visitor downloads when a measure carries a very long `source` text (issue 19.4).

Imports refuse such a text now (500 characters per source, 50 000 per file: `observatoire.importing`), but a
version published before, or a data folder, may hold one: the pages must still send short labels. This script
publishes a version with one measure of `ent_visites` (public « élèves ») whose source is N characters long,
written straight into the store (what an import used to accept), starts the dashboard (or another copy of the
application: `--app-root`), opens `/indicateurs?indicateur=ent_visites&par=public` and `/?public=eleves` in
Chromium and prints the bytes received over the websocket until the page is idle.

    .venv/bin/python bench/long_texts.py [--chars 2000000] [--app-root /tmp/main-copy]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from bench._server import goto, launch_chromium, streamlit_server, table, wait_idle  # noqa: E402
from observatoire import schema, store, versions  # noqa: E402

URLS = ("/indicateurs?indicateur=ent_visites&par=public", "/?public=eleves")


def long_source_store(root: Path, chars: int) -> versions.Repository:
    repo = versions.Repository(root)
    repo.init(author="bench")
    source = ("Statistiques ENT, élèves : " + "x" * chars)[:chars]
    rows = pd.DataFrame(
        [
            dict(
                zip(
                    schema.MEASURE_COLUMNS,
                    [
                        "ent_visites",
                        "2023-2024",
                        "academie",
                        "nancy-metz",
                        "tous",
                        "tous",
                        "eleves",
                        45_300_000.0,
                        "import",
                        source,
                    ],
                    strict=True,
                )
            )
        ]
    )

    def apply(con) -> versions.Change:  # noqa: ANN001
        lot = store.insert_lot(con, rows, "import", "texte-long.csv")
        return versions.Change(
            versions.IMPORT, "Import d'un texte long (banc d'essai)", "bench", "texte-long.csv", lots_added=(lot,)
        )

    repo.publish(apply)
    return repo


def received(page, url: str) -> int:  # noqa: ANN001
    total = 0

    def on_socket(ws) -> None:  # noqa: ANN001
        def count(payload) -> None:  # noqa: ANN001
            nonlocal total
            total += len(payload) if isinstance(payload, (bytes, str)) else 0

        ws.on("framereceived", count)

    page.on("websocket", on_socket)
    goto(page, url)
    wait_idle(page, settle_ms=1500)
    page.remove_listener("websocket", on_socket)
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=2_000_000)
    parser.add_argument("--app-root", type=Path, default=None)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as work:
        repo = long_source_store(Path(work) / "var", args.chars)
        with streamlit_server(store_dir=repo.root, app_root=args.app_root) as app, sync_playwright() as pw:
            browser = launch_chromium(pw)
            for path in URLS:
                page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
                size = received(page, app.url + path)
                mib = f"{size / 1024 / 1024:.2f}".replace(".", ",")
                rows.append([path, f"{args.chars:,}".replace(",", " "), mib])
                page.context.close()
            browser.close()
    print(
        table(
            f"Bytes received by one visitor ({args.app_root or ROOT})",
            ["page", "source (caractères)", "reçu (Mio)"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
