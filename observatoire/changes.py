"""What changed between two published data versions: values added, changed or withdrawn, indicators and periods
that appeared or disappeared, lots added or withdrawn, and who published what, when.

Computed from the two version files themselves (each opened read-only), never from a log that could disagree
with them. A version is a copy of the previous one plus a change (`versions.Repository.publish`), and every
measure lives in a lot (`store`): the values that can differ between two versions are the keys of the lots
that are active in one and not (or not with the same content) in the other. Only those keys are read, so the
comparison costs what changed, not the size of the data. Who and when come from the journal carried by the
newer version (`versions.journal`).

`compare(old_con, new_con) -> Changes` is plain data; `observatoire.views.changes.build_changes` makes it the
French view that the Données et sources page, the CLI (`python -m observatoire changements`) and the CSV/XLSX
files render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from observatoire import clock, store, versions
from observatoire.schema import MEASURE_KEY

ADDED, CHANGED, WITHDRAWN = "nouvelle", "modifiée", "retirée"
STATUSES = (CHANGED, ADDED, WITHDRAWN)
"""Order of the value changes in the table: changed values first (what moved), then new, then withdrawn."""
VALUE_COLUMNS = [
    *MEASURE_KEY,
    "statut",
    "ancienne_valeur",
    "nouvelle_valeur",
    "ancienne_origine",
    "origine",
    "source",
    "lot",
    "version",
    "auteur",
    "date",
]


@dataclass(frozen=True, eq=False)
class Changes:
    """Everything that differs between version `old` and version `new` (`old` < `new`)."""

    old: int
    new: int
    old_date: str  # ISO date-time (UTC) of each version's publication
    new_date: str
    values: pd.DataFrame  # VALUE_COLUMNS, one row per measure key whose value, origin or source differs
    periods: pd.DataFrame  # indicateur, periode, valeurs, changement (« ajoutée » / « retirée »)
    indicators_added: tuple[str, ...]
    indicators_removed: tuple[str, ...]
    lots: pd.DataFrame  # lot_id, changement (« ajouté » / « retiré »), origine, libelle, cree_le, nb_lignes
    journal: pd.DataFrame  # the journal rows of the versions old + 1 … new, most recent first
    reference_changed: bool  # a refresh of the reference data (catalogues, territories) among them

    @property
    def same(self) -> bool:
        return self.old == self.new

    def count(self, status: str) -> int:
        return int((self.values["statut"] == status).sum()) if not self.values.empty else 0


def version_number(con: duckdb.DuckDBPyConnection) -> int:
    number = store.get_meta(con, "version_number")
    return int(number) if number and number.isdigit() else 0


def lot_signatures(lots: pd.DataFrame) -> pd.Series:
    """What identifies a lot's content across versions: id, content hash and creation time, written the same
    whatever the other rows (pandas prints a timestamp column with or without microseconds depending on all of
    its values: `.137` alone but `.137000` next to `.371807`)."""
    created = pd.to_datetime(lots["cree_le"]).dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return lots["lot_id"].astype(str) + "|" + lots["empreinte"].astype(str) + "|" + created.astype(str)


def _lots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    lots = store.lots(con)
    lots["signature"] = lot_signatures(lots)
    return lots


def _key_columns() -> str:
    return ", ".join(MEASURE_KEY)


def _keys_of_lots(con: duckdb.DuckDBPyConnection, lot_ids: list[int]) -> pd.DataFrame:
    if not lot_ids:
        return pd.DataFrame(columns=MEASURE_KEY)
    return con.execute(
        f"SELECT DISTINCT {_key_columns()} FROM mesures WHERE list_contains($ids, lot_id)",
        {"ids": [int(i) for i in lot_ids]},
    ).df()


def _winners(con: duckdb.DuckDBPyConnection, keys: pd.DataFrame) -> pd.DataFrame:
    """The measures in force (`mesures_actives`) for `keys`: read by indicator, matched on the whole key."""
    columns = [*MEASURE_KEY, "valeur", "origine", "source", "lot_id"]
    if keys.empty:
        return pd.DataFrame(columns=columns)
    indicators = sorted(keys["indicateur"].astype(str).unique())
    found = con.execute(
        f"SELECT {', '.join(columns)} FROM mesures_actives WHERE list_contains($ind, indicateur)",
        {"ind": indicators},
    ).df()
    return found.merge(keys, on=MEASURE_KEY, how="inner")


def _lot_ids(text: object) -> list[int]:
    if not isinstance(text, str) or not text.strip():
        return []
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def _publishers(journal: pd.DataFrame) -> tuple[dict[int, tuple], dict[int, tuple], tuple | None]:
    """From the journal rows of the range: lot → (version, author, date) that added it, that withdrew it, and
    the latest rebuild or reference refresh (which replaces the demo lot without naming it)."""
    added: dict[int, tuple] = {}
    retired: dict[int, tuple] = {}
    refresh = None
    for row in journal.sort_values("version").itertuples(index=False):
        who = (int(row.version), str(row.auteur), row.date)
        for lot in _lot_ids(row.lots_ajoutes):
            added[lot] = who
        for lot in _lot_ids(row.lots_retires):
            retired[lot] = who
        if row.type in (versions.INIT, versions.REFERENCE, versions.MIGRATION):
            refresh = who
    return added, retired, refresh


def _value_changes(
    old_con: duckdb.DuckDBPyConnection,
    new_con: duckdb.DuckDBPyConnection,
    retired: pd.DataFrame,
    added: pd.DataFrame,
    journal: pd.DataFrame,
) -> pd.DataFrame:
    keys = pd.concat(
        [_keys_of_lots(old_con, retired["lot_id"].tolist()), _keys_of_lots(new_con, added["lot_id"].tolist())],
        ignore_index=True,
    )
    if keys.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    keys = keys.astype(str).drop_duplicates()
    before = _winners(old_con, keys).rename(
        columns={
            "valeur": "ancienne_valeur",
            "origine": "ancienne_origine",
            "source": "ancienne_source",
            "lot_id": "ancien_lot",
        }
    )
    after = _winners(new_con, keys).rename(columns={"valeur": "nouvelle_valeur", "lot_id": "lot"})
    both = before.merge(after, on=MEASURE_KEY, how="outer", indicator="_where")
    old_value = pd.to_numeric(both["ancienne_valeur"], errors="coerce").to_numpy(dtype=float)
    new_value = pd.to_numeric(both["nouvelle_valeur"], errors="coerce").to_numpy(dtype=float)
    same = (
        np.isclose(old_value, new_value, rtol=1e-12, atol=0.0)
        & (both["ancienne_origine"].astype(str) == both["origine"].astype(str)).to_numpy()
        & (both["ancienne_source"].astype(str) == both["source"].astype(str)).to_numpy()
    )
    where = both["_where"].astype(str).to_numpy()
    status = np.where(where == "right_only", ADDED, np.where(where == "left_only", WITHDRAWN, CHANGED))
    keep = (where != "both") | ~same
    both = both.loc[keep].copy()
    both["statut"] = status[keep]
    both["ancienne_valeur"] = old_value[keep]
    both["nouvelle_valeur"] = new_value[keep]
    withdrawn = both["statut"] == WITHDRAWN
    both["source"] = both["source"].where(~withdrawn, both["ancienne_source"])
    both["origine"] = both["origine"].where(~withdrawn, both["ancienne_origine"])
    by_added, by_retired, refresh = _publishers(journal)

    def who(row: pd.Series) -> tuple:
        old_lot = None if pd.isna(row["ancien_lot"]) else int(row["ancien_lot"])
        new_lot = None if pd.isna(row["lot"]) else int(row["lot"])
        if new_lot is not None and new_lot in by_added and row["statut"] != WITHDRAWN:
            return by_added[new_lot]
        if old_lot is not None and old_lot in by_retired:
            return by_retired[old_lot]
        return refresh or (None, "", None)

    publishers = both.apply(who, axis=1, result_type="reduce") if len(both) else pd.Series([], dtype=object)
    both["version"] = [p[0] for p in publishers]
    both["auteur"] = [p[1] for p in publishers]
    both["date"] = [p[2] for p in publishers]
    both["lot"] = both["lot"].where(~withdrawn, both["ancien_lot"])
    rank = both["statut"].map({s: i for i, s in enumerate(STATUSES)})
    both = both.assign(_rank=rank).sort_values(["_rank", *MEASURE_KEY], kind="stable")
    return both[VALUE_COLUMNS].reset_index(drop=True)


def _periods(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT indicateur, periode, count(*) AS valeurs FROM mesures_actives GROUP BY indicateur, periode"
    ).df()


def compare(old_con: duckdb.DuckDBPyConnection, new_con: duckdb.DuckDBPyConnection) -> Changes:
    """What changed from the version `old_con` reads to the one `new_con` reads (given in any order: the older
    one is the starting point)."""
    if version_number(old_con) > version_number(new_con):
        old_con, new_con = new_con, old_con
    old, new = version_number(old_con), version_number(new_con)
    journal = versions.journal(new_con)
    journal = journal[(journal["version"] > old) & (journal["version"] <= new)].reset_index(drop=True)
    lots_old, lots_new = _lots(old_con), _lots(new_con)
    active_old, active_new = lots_old[lots_old["actif"]], lots_new[lots_new["actif"]]
    added = active_new[~active_new["signature"].isin(set(active_old["signature"]))]
    retired = active_old[~active_old["signature"].isin(set(active_new["signature"]))]
    values = (
        _value_changes(old_con, new_con, retired, added, journal)
        if old != new
        else pd.DataFrame(columns=VALUE_COLUMNS)
    )
    before, after = _periods(old_con), _periods(new_con)
    merged = before.merge(
        after, on=["indicateur", "periode"], how="outer", indicator="_where", suffixes=("_avant", "")
    )
    new_periods = merged[merged["_where"] == "right_only"].assign(changement="ajoutée")
    gone = merged[merged["_where"] == "left_only"]
    gone = gone.assign(changement="retirée", valeurs=gone["valeurs_avant"])
    periods = pd.concat([new_periods, gone], ignore_index=True)[["indicateur", "periode", "valeurs", "changement"]]
    periods["valeurs"] = periods["valeurs"].astype("int64")
    periods = periods.sort_values(["changement", "indicateur", "periode"]).reset_index(drop=True)
    old_indicators, new_indicators = set(before["indicateur"]), set(after["indicateur"])
    lot_columns = ["lot_id", "changement", "origine", "libelle", "cree_le", "nb_lignes"]
    lots = (
        pd.concat([added.assign(changement="ajouté"), retired.assign(changement="retiré")], ignore_index=True)[
            lot_columns
        ]
        if old != new
        else pd.DataFrame(columns=lot_columns)
    )
    return Changes(
        old=old,
        new=new,
        old_date=store.get_meta(old_con, "data_date") or "",
        new_date=store.get_meta(new_con, "data_date") or "",
        values=values,
        periods=periods,
        indicators_added=tuple(sorted(new_indicators - old_indicators)),
        indicators_removed=tuple(sorted(old_indicators - new_indicators)),
        lots=lots.sort_values(["changement", "lot_id"]).reset_index(drop=True),
        journal=journal,
        reference_changed=bool(
            (journal["type"] == versions.REFERENCE).any() | (journal["type"] == versions.INIT).any()
        )
        if not journal.empty
        else False,
    )


def version_at(journal: pd.DataFrame, moment: dt.datetime, kept: list[int] | None = None) -> int | None:
    """The version in force at `moment` (naive UTC, the journal's convention): the last one published before
    it. None when none was published yet then. `kept`: version numbers whose files still exist — the result is
    then the oldest kept one at or after that version (a pruned version cannot be opened)."""
    if journal.empty:
        return None
    dates = pd.to_datetime(journal["date"])
    published = journal.loc[dates < pd.Timestamp(moment), "version"]
    if published.empty:
        return None
    number = int(published.max())
    if kept is not None and number not in kept:
        later = [k for k in kept if k >= number]
        return min(later) if later else None
    return number


def since_day(journal: pd.DataFrame, day: dt.date, kept: list[int] | None = None) -> int | None:
    """The version in force at the start of `day` in Paris (« depuis le 20/11/2026 »)."""
    return version_at(journal, clock.paris_midnight(day), kept)
