"""Publishing a new school year in a test store, as DRANE staff do each autumn (a few sources at a time)."""

from __future__ import annotations

import hashlib

import pandas as pd

from observatoire import exporting, importing, published, store, versions

NEW_YEAR = "2024-2025"
FIRST_SOURCES = ("gar_connexions", "pix_eleves_certifies")  # GAR and PIX come first (issue 18)


def new_year_frame(
    repo: versions.Repository,
    year: str = NEW_YEAR,
    indicators: tuple[str, ...] = FIRST_SOURCES,
    factor: float = 1.1,
) -> pd.DataFrame:
    """Every active row of `indicators` for the latest school year of the current version, moved to `year`
    (values × `factor`, rounded): the same breakdowns, so the store accepts them."""
    with repo.connect() as con:
        active = versions.active_measures(con)
    rows = active[active["indicateur"].isin(indicators)]
    latest = rows["periode"].max()
    frame = rows[rows["periode"] == latest].copy()
    frame["periode"] = year
    frame["valeur"] = (frame["valeur"] * factor).round()
    frame["origine"] = "import"
    frame["source"] = f"Import {year}"
    return frame.reset_index(drop=True)


def publish_new_year(
    repo: versions.Repository, year: str = NEW_YEAR, indicators: tuple[str, ...] = FIRST_SOURCES
) -> versions.Version:
    """Publish `year` for `indicators` (a new version, as an import would)."""
    frame = new_year_frame(repo, year, indicators)
    sha = hashlib.sha256(frame.to_csv(sep=";", index=False).encode("utf-8")).hexdigest()
    return repo.import_measures(frame, f"{year}.csv", sha, "tests", (len(frame), 0, 0))


def import_frame(repo: versions.Repository, frame: pd.DataFrame, name: str = "essai.csv") -> int:
    """Import `frame` written as a CSV file, as the CLI's `import` and the import page do (read and validated by
    `importing.read_import` against the current version, then published); returns the id of the lot added.
    A refused file raises `schema.ValidationError` and publishes nothing."""
    with repo.connect() as con:
        tables, academie = store.reference_tables(con), published.academie(con)
    incoming = importing.read_import(exporting.to_csv_bytes(frame), name, tables, academie)
    version = repo.import_measures(incoming.frame, name, incoming.sha256, "tests")
    (lot,) = map(int, str(repo.change_of(version)["lots_ajoutes"]).split(","))
    return lot
