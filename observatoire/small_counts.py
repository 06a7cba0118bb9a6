"""Small counts of people (statistical confidentiality): below a threshold, a count of pupils or people of a
bassin or a laboratory is published as « < 5 », as statistical offices do; totals stay exact.

Everything is data (`data/reference/academie.json`):
- `seuil_petits_effectifs` (integer ≥ 1, default 5): counts strictly between 0 and this value are masked;
- `unites_personnes` (list of units, default `DEFAULT_PEOPLE_UNITS`): an indicator whose catalogue unit
  (`indicateurs.unite`) is one of them counts people.
Masked levels: `bassin` and `laboratoire` (académie and département totals are large and stay exact). A zero
is shown as is (it reveals nobody). Pure functions, no Streamlit import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from observatoire import config

DEFAULT_THRESHOLD = 5
DEFAULT_PEOPLE_UNITS = ("élèves", "personnes", "enseignants", "professeurs", "parents", "formateurs", "agents")
MASKED_LEVELS = ("bassin", "laboratoire")


@dataclass(frozen=True)
class Policy:
    threshold: int = DEFAULT_THRESHOLD
    people_units: frozenset[str] = frozenset(DEFAULT_PEOPLE_UNITS)

    @property
    def label(self) -> str:
        """`< 5`."""
        return f"< {self.threshold}"

    def counts_people(self, unit: object) -> bool:
        return isinstance(unit, str) and unit.strip().lower() in self.people_units

    def is_small(self, value: object) -> bool:
        """True for a count strictly between 0 and the threshold."""
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return math.isfinite(number) and 0 < number < self.threshold

    def shown(self, value: object) -> object:
        """`value`, or `< 5` when it is a small count."""
        return self.label if self.is_small(value) else value


def parse_policy(raw: Mapping) -> Policy:
    """`Policy` from the parsed academie.json (missing keys: the defaults; a wrong value: the default, the
    data check reports it)."""
    threshold = raw.get("seuil_petits_effectifs", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        threshold = DEFAULT_THRESHOLD
    units = raw.get("unites_personnes", DEFAULT_PEOPLE_UNITS)
    if not isinstance(units, list | tuple) or not all(isinstance(u, str) for u in units):
        units = DEFAULT_PEOPLE_UNITS
    return Policy(threshold, frozenset(u.strip().lower() for u in units))


@lru_cache(maxsize=4)
def policy(reference_dir: Path = config.REFERENCE_DIR) -> Policy:
    """The policy of `data/reference/academie.json`."""
    from observatoire import reading

    try:
        raw = reading.read_json(reference_dir / "academie.json", "academie")
    except Exception:  # noqa: BLE001 - unreadable file: the data check says why; mask with the defaults
        return Policy()
    return parse_policy(raw if isinstance(raw, Mapping) else {})


def problems(raw: Mapping) -> list[tuple[str, str]]:
    """(key, French message) for wrong values of the two keys in academie.json (empty when right)."""
    out = []
    threshold = raw.get("seuil_petits_effectifs", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        out.append(("seuil_petits_effectifs", "entier supérieur ou égal à 1 attendu"))
    units = raw.get("unites_personnes", DEFAULT_PEOPLE_UNITS)
    if not isinstance(units, list | tuple) or not all(isinstance(u, str) and u.strip() for u in units):
        out.append(("unites_personnes", 'liste d\'unités (textes) attendue, par exemple ["élèves", "personnes"]'))
    return out


def people_indicators(catalogue: pd.DataFrame, rules: Policy | None = None) -> frozenset[str]:
    """Ids of the indicators that count people (their catalogue unit is one of `unites_personnes`)."""
    rules = rules or policy()
    return frozenset(str(i) for i, u in zip(catalogue["id"], catalogue["unite"]) if rules.counts_people(u))


def for_level(unit: object, level: str, rules: Policy | None = None) -> Policy | None:
    """THE rule of where masking applies: the policy when `unit` (catalogue unit of an indicator) counts people
    and `level` (territory type or breakdown: `bassin`, `laboratoire`…) is a masked level, else None (the
    values are shown exactly: académie and département totals, counts of things)."""
    rules = rules or policy()
    return rules if level in MASKED_LEVELS and rules.counts_people(unit) else None


def mask_values(values: Iterable[object], rules: Policy | None = None) -> list[object]:
    """Each value, or `< 5` when it is a small count (for a display or export table of one people count at
    bassin or lab level)."""
    rules = rules or policy()
    return [rules.shown(v) for v in values]


def mask_column(frame: pd.DataFrame, column: str, rules: Policy | None = None) -> pd.DataFrame:
    """A copy of `frame` whose `column` shows `< 5` for small counts (unchanged when there is none)."""
    rules = rules or policy()
    small = frame[column].map(rules.is_small) if column in frame and not frame.empty else None
    if small is None or not small.any():
        return frame
    out = frame.copy()
    out[column] = out[column].astype(object).where(~small, rules.label)
    return out


def mask_measures(frame: pd.DataFrame, people: Iterable[str], rules: Policy | None = None) -> pd.DataFrame:
    """Measures (`indicateur`, `territoire_type`, `valeur` columns) with the small counts of people of
    bassins and labs shown as `< 5` (the column `valeur` becomes text only when something is masked)."""
    rules = rules or policy()
    if frame.empty or "valeur" not in frame:
        return frame
    small = (
        frame["indicateur"].isin(list(people))
        & frame["territoire_type"].isin(MASKED_LEVELS)
        & frame["valeur"].map(rules.is_small)
    )
    if not small.any():
        return frame
    out = frame.copy()
    out["valeur"] = out["valeur"].astype(object).where(~small, rules.label)
    return out


def as_text(value: object) -> str:
    """A cell of a masked column as text for display: `< 5` as is, `1234` for a whole number, `98,5`."""
    if isinstance(value, str):
        return value
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if not math.isfinite(number):
        return ""
    return str(int(number)) if number.is_integer() else repr(number).replace(".", ",")


def note(rules: Policy | None = None) -> str:
    """French sentence for the pages that mask."""
    rules = rules or policy()
    return (
        f"Secret statistique : un effectif de personnes inférieur à {rules.threshold} dans un bassin ou un "
        f"laboratoire est affiché « {rules.label} » (écrans et téléchargements) ; les totaux restent exacts."
    )
