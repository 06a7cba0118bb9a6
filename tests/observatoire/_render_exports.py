"""Renders every kind of exported picture into a folder, in a fresh process: used by test_export_look.py to
compare a plain process with one where `streamlit.elements.plotly_chart` was imported first (Streamlit then
sets `plotly.io.templates.default = "streamlit"`).

    python -m tests.observatoire._render_exports OUT [--streamlit]

Reads the store of `OBSERVATOIRE_STORE`. Writes OUT/<name>.png for: the PNG download of each Indicateurs chart
(series, monthly, ranking, evolution — `png.decorated`, 1600×900) for the Moselle, the Carte's map PNG, and
the PPTX pictures of the Moselle + Collège deck (`pptx.default_render` at the size of their slide box); prints
the process's plotly default template on its first line, then the files written.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(out: Path, with_streamlit: bool) -> None:
    if with_streamlit:
        import streamlit.elements.plotly_chart  # noqa: F401 - the import under test: it changes plotly's default
    import plotly.io as pio

    from observatoire import config, published, versions
    from observatoire.exports import png, pptx
    from observatoire.filters import Filters
    from observatoire.views.carte import build_carte, static_figure
    from observatoire.views.indicators import build_indicators
    from observatoire.views.model import Figure
    from observatoire.views.presentation import build_presentation

    print(pio.templates.default)
    out.mkdir(parents=True, exist_ok=True)
    repo = versions.Repository(config.store_dir())
    moselle = Filters(departements=("57",))
    with repo.connect(repo.current()) as con:
        view = build_indicators(con, moselle, {"indicateur": "ent_visites"})
        carte = build_carte(con, moselle, {"indicateur": "labo_personnes"})
        deck = build_presentation(con, moselle.with_(niveaux=("college",)))
        layers = published.geojson(con, "bassins"), published.geojson(con, "departements")
    written = []
    for figure in view.figures:
        (out / f"png-{figure.key}.png").write_bytes(png.figure_png(png.decorated(figure, view.context)))
        written.append(f"png-{figure.key}.png")
    table = carte.tables[0]
    map_view = Figure(
        "carte",
        table.title,
        static_figure(carte.items.map, *layers),
        table.title,
        table.source,
        table.illustrative,
    )
    (out / "png-carte.png").write_bytes(png.figure_png(png.decorated(map_view, carte.context)))
    written.append("png-carte.png")
    boxes = {"carte": (923.0, 370.0), "evolution": (610.0, 355.0)}
    for index, slide in enumerate(s for s in deck.slides if s.figure is not None):
        name = f"pptx-{index}-{slide.kind}.png"
        (out / name).write_bytes(pptx.default_render(slide.figure, deck.context, boxes[slide.kind]))
        written.append(name)
    print("\n".join(written))


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--streamlit" in sys.argv[2:])
