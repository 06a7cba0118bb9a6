"""Published data versions: immutable DuckDB files, a pointer to the current one, one writer at a time.

Layout of the store folder (`config.store_dir()`, `var/` by default)::

    versions/000012-3f9a1c.duckdb   one immutable file per version (number + short content hash)
    current                         the pointer: the name of the current version's file (replaced atomically)
    ecriture.lock                   the writers' lock (flock: released by the kernel if a writer dies)

Readers (every Streamlit session, the CLI `export`) open a version **read-only**; many processes may, at once.
A write (init, import, annulation, reference refresh, migration) builds the next version in a temporary file
of `versions/` — a copy of the current file, migrated if the application's schema is newer, the change applied
in one transaction, a journal row added, then checked by reopening it read-only —, renames it to its final
name and swaps the pointer with `os.replace`. A process killed at any point leaves the current version
untouched; leftovers (temporary files, a version renamed but never pointed to) are removed by the next write.
The last `config.versions_kept()` versions are kept so that any of them can be reopened (`?version=N`).
"""

from __future__ import annotations

import fcntl
import getpass
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from observatoire import config, failures, migrations, schema, store
from observatoire.rows import one_row

log = logging.getLogger(__name__)

VERSION_FILE_RE = re.compile(r"^(\d{6})-([0-9a-f]{6})\.duckdb$")
TEMP_PREFIX = ".en-cours-"
POINTER = "current"
LOCK = "ecriture.lock"
LEGACY_FILE = "observatoire.duckdb"
"""The single database of the layout before versions, adopted as version 1 by `ensure`."""

INIT, IMPORT, UNDO, REFERENCE, MIGRATION = "init", "import", "annulation", "reference", "migration"
KIND_LABELS = {
    INIT: "Construction",
    IMPORT: "Import",
    UNDO: "Annulation",
    REFERENCE: "Données de référence",
    MIGRATION: "Migration",
}


class WriteInProgressError(store.StoreError):
    """Another write (an import, an undo…) holds the lock longer than we may wait."""


class StaleVersionError(store.StoreError):
    """The version a write was prepared against (an editor's preview) is no longer the current one: another
    version was published in between. Checked under the writers' lock; nothing is published."""


class DiskFullError(store.StoreError):
    """The next version could not be written: the disk (or the quota) is full. Nothing is published."""


READ_ONLY = 0o444
"""Mode of a published version file: immutable by the file system too, not only by convention."""


@dataclass(frozen=True)
class Version:
    number: int
    path: Path

    @property
    def id(self) -> str:
        """`000012-3f9a1c`: the cache key of everything read from this version."""
        return self.path.stem

    @property
    def short_hash(self) -> str:
        return self.id.split("-", 1)[1]


@dataclass(frozen=True)
class Change:
    """What a write did, as recorded in the journal of the version it publishes."""

    kind: str
    summary: str
    author: str = ""
    file: str | None = None
    sha256: str | None = None
    new: int | None = None
    changed: int | None = None
    unchanged: int | None = None
    lots_added: tuple[int, ...] = ()
    lots_retired: tuple[int, ...] = ()


def default_author() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name (container)
        user = "inconnu"
    return f"{user} (ligne de commande)"


def _count(value: int) -> str:
    """`59745` → `59 745` (French thousands separator, narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


class Repository:
    """The published versions of one store folder."""

    def __init__(self, root: Path | None = None, keep: int | None = None):
        self.root = Path(root or config.store_dir())
        self.keep = keep or config.versions_kept()
        self.folder = self.root / "versions"
        self.pointer = self.root / POINTER
        self.lock_path = self.root / LOCK

    # ------------------------------------------------------------------------------------------- reading

    def current(self) -> Version | None:
        """The current version, or None when nothing was ever published."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        match = VERSION_FILE_RE.match(name)
        path = self.folder / name
        if not match or not path.exists():
            raise store.StoreError(
                f"Le pointeur {self.pointer} désigne « {name[:60]} », qui n'est pas une "
                "version publiée : restaurez-le ou republiez avec « python -m observatoire "
                "init --if-needed »."
            )
        return Version(int(match.group(1)), path)

    def pointer_stamp(self) -> tuple[int, int, int] | None:
        """A cheap fingerprint of the pointer (one stat): it changes when a new version is published."""
        try:
            st = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def versions(self) -> list[Version]:
        """Published versions, oldest first (a file renamed but never pointed to is not one)."""
        current = self.current()
        if current is None:
            return []
        found = []
        for path in self.folder.iterdir():
            match = VERSION_FILE_RE.match(path.name)
            if match and int(match.group(1)) <= current.number:
                found.append(Version(int(match.group(1)), path))
        return sorted(found, key=lambda v: v.number)

    def version(self, number: int) -> Version:
        """Version `number`; `StoreError` in French when it does not exist (any more)."""
        for version in self.versions():
            if version.number == number:
                return version
        available = [v.number for v in self.versions()]
        listed = (
            f"versions disponibles : n° {available[0]} à {available[-1]}"
            if available
            else "aucune version publiée"
        )
        raise store.StoreError(f"La version n° {number} n'existe pas ou n'est plus conservée ({listed}).")

    def connect(self, version: Version | None = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to `version` (default: the current one)."""
        version = version or self.current()
        if version is None:
            raise store.StoreError(
                f"Aucune version des données publiée dans {self.root}. Lancez « python -m observatoire init »."
            )
        con = store.connect(version.path, read_only=True)
        from observatoire import parquet  # measures in Parquet files: their absence said in French, here

        try:
            parquet.verify(con)
        except BaseException:
            con.close()
            raise
        return con

    def journal(self, version: Version | None = None) -> pd.DataFrame:
        """The journal carried by `version` (default: current): every change up to it, most recent first."""
        with self.connect(version) as con:
            return journal(con)

    # ------------------------------------------------------------------------------------------- writing

    @contextmanager
    def _lock(self, wait: float) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        handle = self.lock_path.open("a+")
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WriteInProgressError(
                            "Une autre mise à jour des données (import, annulation…) est en cours : réessayez "
                            "dans un instant. Rien n'a été modifié."
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            handle.close()  # releases the lock

    def _clean(self, current: Version | None) -> None:
        """Leftovers of writes that died: temporary files, versions renamed but never published."""
        if not self.folder.exists():
            return
        for path in self.folder.iterdir():
            match = VERSION_FILE_RE.match(path.name)
            orphan = match and (current is None or int(match.group(1)) > current.number)
            if path.name.startswith(TEMP_PREFIX) or orphan:
                log.info("Fichier abandonné supprimé : %s", path.name)
                path.unlink(missing_ok=True)
        for path in self.root.glob(POINTER + ".tmp-*"):
            path.unlink(missing_ok=True)

    def _seal_all(self) -> None:
        """Versions published before files were made read-only (older stores) lose their write bits too."""
        for version in self.versions():
            with suppress(OSError):
                if version.path.stat().st_mode & 0o222:
                    os.chmod(version.path, READ_ONLY)

    def _prune(self, current: Version) -> None:
        for version in self.versions()[: -self.keep]:
            if version.number != current.number:
                version.path.unlink(missing_ok=True)

    def _swap_pointer(self, name: str) -> None:
        tmp = self.root / f"{POINTER}.tmp-{os.getpid()}"
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.pointer)
        _fsync_dir(self.root)

    def publish(
        self,
        apply: Callable[[duckdb.DuckDBPyConnection], Change],
        *,
        from_scratch: bool = False,
        base: Path | None = None,
        wait: float = 30.0,
        expected: int | None = None,
    ) -> Version:
        """Build the next version and make it current.

        `apply(con)` changes the copy of the current version (or an empty database when `from_scratch` or when
        nothing was published yet; or a copy of `base`, a database of another layout being adopted) inside one
        transaction and returns the `Change` to journal; any exception
        it raises (`schema.ValidationError`, `StoreError`…) propagates and nothing is published.
        `WriteInProgressError` when another write holds the lock for more than `wait` seconds.

        Everything happens under the writers' lock, as ONE critical section: the check that `expected` (the number
        of the version the caller prepared its change against, e.g. an editor's preview) is still the current one
        (`StaleVersionError` otherwise), the change, its journal row (computed by `apply` on the very version it
        replaces) and the pointer swap. A full disk is `DiskFullError` (French, the folder named); the file is
        published read-only (`READ_ONLY`)."""
        with self._lock(wait):
            current = self.current()
            if expected is not None and (current.number if current else 0) != expected:
                shown = current.number if current else 0
                raise StaleVersionError(
                    f"Une autre version des données (n° {shown}) a été publiée depuis l'aperçu, calculé sur la "
                    f"version n° {expected} : rien n'a été publié. Vérifiez le nouvel aperçu puis publiez à "
                    "nouveau."
                )
            try:
                return self._publish_locked(apply, current, from_scratch, base)
            except store.StoreError:
                raise
            except Exception as err:
                if failures.disk_full(err):
                    raise DiskFullError(
                        f"Disque plein : la nouvelle version n'a pas pu être écrite dans {self.folder}. Rien n'a "
                        "été modifié (la version courante reste la n° "
                        f"{current.number if current else 0}). Libérez de la place sur le disque du serveur, puis "
                        "recommencez."
                    ) from err
                raise

    def _publish_locked(
        self,
        apply: Callable[[duckdb.DuckDBPyConnection], Change],
        current: Version | None,
        from_scratch: bool,
        base: Path | None,
    ) -> Version:
        """The body of `publish`, the writers' lock held."""
        self._clean(current)
        self.folder.mkdir(parents=True, exist_ok=True)
        number = (current.number if current else 0) + 1
        tmp = self.folder / f"{TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
        try:
            source = base or (current.path if current is not None and not from_scratch else None)
            if source is not None:
                shutil.copyfile(source, tmp)
            with store.connect(tmp, read_only=False) as con:
                # no progress bar on stdout (the import's comparison, under the lock, may take seconds)
                con.execute("SET enable_progress_bar = false")
                con.execute("BEGIN TRANSACTION")
                migrated = migrations.migrate(con) if source is not None else []
                change = apply(con)
                if migrated and change.kind != MIGRATION:
                    _record(
                        con,
                        number,
                        Change(
                            MIGRATION,
                            f"Migration du schéma {migrated[0]} au schéma {store.SCHEMA_VERSION}",
                            author="application",
                        ),
                    )
                _record(con, number, change)
                store.set_meta(con, "version_number", str(number))
                data_hash = store.get_meta(con, "data_hash") or "000000"
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            with store.connect(tmp, read_only=True) as check:  # the file opens and answers, as readers will
                store.data_version(check)
            _fsync_file(tmp)
            os.chmod(tmp, READ_ONLY)  # immutable from now on, for every process (not only by convention)
            final = self.folder / f"{number:06d}-{data_hash[:6]}.duckdb"
            os.rename(tmp, final)
            _fsync_dir(self.folder)
            self._swap_pointer(final.name)
        finally:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
        published = Version(number, final)
        self._prune(published)
        self._seal_all()
        log.info("Version publiée : %s (%s)", final.name, change.summary)
        return published

    # --------------------------------------------------------------------------------------- the writes

    def init(self, data_dir: Path | None = None, author: str = "", with_demo: bool = True) -> Version:
        """Publish a version built from scratch from `data_dir` (reference + demo measures)."""
        data_dir = Path(data_dir or config.DATA_DIR)
        measures_file, reference_dir = data_dir / "demo" / "mesures.csv", data_dir / "reference"
        reference, measures = store.read_sources(measures_file, reference_dir, with_demo)  # refused: nothing

        def apply(con: duckdb.DuckDBPyConnection) -> Change:
            store.create(
                con,
                reference,
                measures,
                store.reference_hash(reference_dir),
                store.file_hash([measures_file]) if measures is not None else "",
            )
            rows = len(measures) if measures is not None else 0
            lots = (1,) if measures is not None else ()
            what = f"{_count(rows)} mesures de démonstration" if measures is not None else "sans mesures"
            return Change(
                INIT,
                f"Construction depuis {data_dir.name}/ ({what})",
                author or default_author(),
                new=rows,
                lots_added=lots,
            )

        return self.publish(apply, from_scratch=True)

    def ensure(self, data_dir: Path | None = None, wait: float = 30.0) -> Version | None:
        """Make sure a current version exists, has the application's schema and matches `data_dir`'s reference
        files and demo measures; publish a new version when not. Returns the version published, or None when
        the current one was up to date. Imported lots are kept (the demo lot is replaced in place)."""
        data_dir = Path(data_dir or config.DATA_DIR)
        measures_file, reference_dir = data_dir / "demo" / "mesures.csv", data_dir / "reference"
        current = self.current()
        legacy = self.root / LEGACY_FILE
        if current is None and legacy.exists():
            return self._adopt(legacy, data_dir, wait)
        if current is None:
            return self.init(data_dir, author="application")
        with self.connect(current) as con:
            if store.get_meta(con, "mesures_stockage") == "parquet":
                return None  # a national dataset published by observatoire.parquet: not refreshed from data/
            outdated = bool(migrations.pending(con))
            stale = (
                store.staleness(con, measures_file, reference_dir) if not outdated else store.Staleness(True, True)
            )
        if not outdated and not stale:
            return None
        store.read_sources(measures_file, reference_dir)  # refused data: nothing published

        def apply(con: duckdb.DuckDBPyConnection) -> Change:
            now = store.staleness(con, measures_file, reference_dir)
            store.apply_refresh(con, now, measures_file, reference_dir)
            parts = [
                p
                for p, on in (("données de référence", now.reference), ("mesures de démonstration", now.demo))
                if on
            ]
            if not parts:
                return Change(MIGRATION, f"Migration vers le schéma {store.SCHEMA_VERSION}", "application")
            return Change(REFERENCE, "Actualisation depuis data/ : " + ", ".join(parts), "application")

        return self.publish(apply, wait=wait)

    def _adopt(self, legacy: Path, data_dir: Path, wait: float) -> Version:
        """The single database of the previous layout (`var/observatoire.duckdb`) becomes version 1, migrated
        and refreshed from data/: its imported lots are kept."""
        measures_file, reference_dir = data_dir / "demo" / "mesures.csv", data_dir / "reference"
        store.read_sources(measures_file, reference_dir)

        def apply(con: duckdb.DuckDBPyConnection) -> Change:
            store.apply_refresh(
                con, store.staleness(con, measures_file, reference_dir), measures_file, reference_dir
            )
            return Change(
                MIGRATION, f"Reprise de la base {legacy.name} (format précédent), lots conservés", "application"
            )

        return self.publish(apply, base=legacy, wait=wait)

    def import_measures(
        self,
        frame: pd.DataFrame,
        file: str,
        sha256: str,
        author: str,
        counts: tuple[int, int, int] | None = None,
        wait: float = 30.0,
        *,
        expected: int | None = None,
    ) -> Version:
        """Publish a version with `frame` (validated measures, canonical columns) as a new lot of origin
        `import`.

        The journal's counts (rows new / changed / unchanged) are computed under the writers' lock against the
        version this one actually replaces — never taken from a preview made earlier, which another writer may
        have made obsolete (`counts`, a caller's preview, is accepted for compatibility and not journaled).
        `expected`: the number of the version the editor's preview was computed against; when another version was
        published since, `StaleVersionError` and nothing is published (the page shows the new preview)."""
        from observatoire.importing import preview  # importing does not import versions: no cycle

        def apply(con: duckdb.DuckDBPyConnection) -> Change:
            truth = preview(frame, active_measures(con))  # the version being replaced, read under the lock
            new, changed, unchanged = truth.new, truth.changed, truth.unchanged
            lot = store.insert_lot(con, frame, "import", file)
            return Change(
                IMPORT,
                f"Import de {file} : {_count(new)} nouvelles, {_count(changed)} modifiées, "
                f"{_count(unchanged)} inchangées",
                author,
                file,
                sha256,
                new,
                changed,
                unchanged,
                lots_added=(lot,),
            )

        return self.publish(apply, wait=wait, expected=expected)

    def change_of(self, version: Version) -> pd.Series:
        """The journal row of the change that published `version` (its own row, not a migration's)."""
        rows = self.journal(version)
        own = rows[(rows["version"] == version.number) & (rows["type"] != MIGRATION)]
        return (own if not own.empty else rows[rows["version"] == version.number]).iloc[0]

    def undo(self, lot_id: int, author: str, wait: float = 30.0) -> Version:
        """Publish a version without lot `lot_id` (an import): its values give way to the previous ones."""

        def apply(con: duckdb.DuckDBPyConnection) -> Change:
            row = con.execute(
                "SELECT origine, libelle, actif FROM lots WHERE lot_id = $id", {"id": lot_id}
            ).fetchone()
            if row is None:
                raise store.StoreError(f"Le lot {lot_id} n'existe pas dans la version courante.")
            if row[0] != "import":
                raise store.StoreError(
                    f"Le lot {lot_id} ({row[1]}) n'est pas un import : seul un import peut être annulé."
                )
            if not row[2]:
                raise store.StoreError(f"Le lot {lot_id} ({row[1]}) est déjà annulé.")
            store.set_active(con, lot_id, False)
            return Change(UNDO, f"Annulation de l'import {lot_id} ({row[1]})", author, lots_retired=(lot_id,))

        return self.publish(apply, wait=wait)


def _record(con: duckdb.DuckDBPyConnection, number: int, change: Change) -> None:
    con.execute(
        """INSERT INTO journal VALUES ($version, $type, $auteur, $date, $fichier, $sha256, $nouvelles, $modifiees,
           $inchangees, $ajoutes, $retires, $resume)""",
        {
            "version": number,
            "type": change.kind,
            "auteur": change.author or default_author(),
            "date": datetime.now(UTC).replace(tzinfo=None),
            "fichier": change.file,
            "sha256": change.sha256,
            "nouvelles": change.new,
            "modifiees": change.changed,
            "inchangees": change.unchanged,
            "ajoutes": ",".join(map(str, change.lots_added)) or None,
            "retires": ",".join(map(str, change.lots_retired)) or None,
            "resume": change.summary,
        },
    )


def journal(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every change recorded in a version, most recent first (empty for a version older than schema 3)."""
    exists = one_row(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'journal'"))[0]
    if not exists:
        return pd.DataFrame(
            columns=[
                "version",
                "type",
                "auteur",
                "date",
                "fichier",
                "sha256",
                "nouvelles",
                "modifiees",
                "inchangees",
                "lots_ajoutes",
                "lots_retires",
                "resume",
            ]
        )
    return con.execute("SELECT * FROM journal ORDER BY version DESC, rowid DESC").df()


def active_measures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The active measures of a version in the canonical columns (what an import is compared with)."""
    columns = ", ".join(schema.MEASURE_COLUMNS)
    return con.execute(f"SELECT {columns} FROM mesures_actives").df()
