"""The probe's reproductions of issue 19 (the defects of this work), run on the application before and after:
prints one table, « avant » / « après » per defect (no assertion).

    sudo .venv/bin/python bench/issue19_repro.py              # ≈ 6 min; root for the full-disk case (tmpfs)
    .venv/bin/python bench/issue19_repro.py --avant 315ee4f   # the « before » commit (main before this work)

« avant » is the application at `--avant` (`git archive`, bench._server.app_at), « après » this working tree;
each check runs in a subprocess whose working directory is that copy, so it imports that code. The two long
measures of the issue have their own scripts: bench/origin_stall.py (19.1: one client's foreign-origin loop,
outside connection attempts) and bench/upload_memory.py (19.2: anonymous uploads, memory after the session).

Checks (AppTest runs the router as a server does; the CLI is the real `python -m observatoire`):
  19.3  a second tab (a session with the same identity claims) with a file checked, after « Se déconnecter » in the
        first: does « Publier » publish? and a session opened with a copy of the cookie: is the uploader shown?
  19.5  6 concurrent CLI imports of the same file: how many journal rows count it against the version they
        replaced (the truth, recomputed here: « modifiées » once, then « inchangées »)?
  19.6  a full disk (a tmpfs store just big enough for the current version): the CLI's exit code and message;
        « Publier » on the page: Streamlit's exception element or a French message?
  19.7  `?version=²`, `?diapo=²` (Présentation), `?presentation=1&diapo=¹`, a 5 000-digit `diapo`: « erreur
        inattendue » or the French notice? `/a/b`, `/carte/x` on a running server: the page (a blank SPA whose
        assets resolve under the first segment) or a redirect to « Page introuvable »?
  19.8  mode of a published version file; formula-like cells of the XLSX template with hostile reference labels;
        `/carte?fond=osm`: the basemap a visitor gets without choosing it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._server import ENTRYPOINT, LAUNCHER, app_at, http_get, streamlit_server, table  # noqa: E402

OUT_DIR = ROOT / "artifacts" / "bench"

# Each check is a Python snippet run in the application copy (cwd, sys.path[0]); it prints one JSON value.
_PRELUDE = """
import json, os, sys, time, tempfile
sys.path.insert(0, os.getcwd())
from pathlib import Path
from observatoire import versions, config, store
def fresh_store():
    root = Path(tempfile.mkdtemp()) / "store"
    repo = versions.Repository(root)
    repo.init(author="repro")
    os.environ[config.STORE_ENV_VAR] = str(root)
    return repo
def pupils_csv(repo, delta):
    with repo.connect() as con:
        row = con.execute('''SELECT indicateur, periode, territoire_type, territoire_code, niveau, thematique,
            public, valeur FROM mesures_actives WHERE territoire_type = 'academie' AND indicateur = 'ent_visites'
            AND public = 'tous' AND niveau = 'tous' AND thematique = 'tous'
            ORDER BY periode DESC LIMIT 1''').fetchone()
    head = "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source"
    return (head + "\\n" + ";".join([*map(str, row[:7]), str(int(row[7] + delta)), "repro"]) + "\\n").encode()
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "c" * 40, "client_id": "x",
        "client_secret": "y" * 30, "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
EDITORS = {"editeurs": ["claire@ac-nancy-metz.fr"]}
EDITOR = {"is_logged_in": True, "email": "claire@ac-nancy-metz.fr", "name": "Claire", "iss": "http://idp",
          "sub": "claire", "iat": int(time.time()), "nonce": "n1"}
def tab(user=EDITOR, params=None, page="pages/importer.py"):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file("dashboard.py", default_timeout=180)
    at.secrets = {"auth": AUTH, "observatoire": EDITORS}
    at.user = user
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    return at
def said(at):
    parts = [str(e.value) for kind in ("markdown", "warning", "error", "info", "success") for e in at.get(kind)]
    return " ".join(parts)
"""

SIGN_OUT = (
    _PRELUDE
    + """
repo = fresh_store()
a = tab(); b = tab()
b.file_uploader(key="import_file_0").set_value(("ent.csv", pupils_csv(repo, 1234), "text/csv")).run()
a.button(key="auth_logout").click().run()
b.button(key="import_publish").click().run()
copy = tab()
print(json.dumps({"published_after_logout": repo.current().number > 1,
                  "copy_gets_uploader": bool(copy.get("file_uploader"))}))
"""
)

URLS = (
    _PRELUDE
    + """
repo = fresh_store()
out = {}
for name, params, page in [("version=²", {"version": "²"}, None), ("diapo=² (Présentation)", {"diapo": "²"},
        "pages/presentation.py"), ("presentation=1&diapo=¹", {"presentation": "1", "diapo": "¹"}, None),
        ("diapo=5 000 chiffres", {"presentation": "1", "diapo": "9" * 5000}, None)]:
    at = tab(params=params, page=page)
    text = said(at)
    out[name] = ("erreur inattendue" if "erreur inattendue" in text or at.exception
                 else "avertissement en français" if "Lien" in text else "rien")
at = tab(params={"fond": "osm"}, page="pages/carte.py")
out["fond=osm"] = at.selectbox(key="carte_fond").value
print(json.dumps(out))
"""
)

PUBLISH_DISK_FULL = (
    _PRELUDE
    + """
import shutil
root = Path(sys.argv[1])
os.environ[config.STORE_ENV_VAR] = str(root)
repo = versions.Repository(root)
b = tab()
b.file_uploader(key="import_file_0").set_value(("ent.csv", pupils_csv(repo, 1234), "text/csv")).run()
b.button(key="import_publish").click().run()
text = said(b) + " " + " ".join(str(e.value) for e in b.exception)
print(json.dumps({"exception_element": bool(b.exception), "french_disk_full": "isque plein" in text,
                  "published": repo.current().number > 1}))
"""
)

TEMPLATE = (
    _PRELUDE
    + """
import io, openpyxl
from observatoire import checks, importing
tables = checks.load_reference(config.REFERENCE_DIR)
for (t, c), text in zip([("niveaux", "libelle"), ("publics", "libelle"), ("thematiques", "libelle")],
                        ["=HYPERLINK(\\"http://x\\")", "+33", "@SUM(A1)"]):
    tables[t].loc[tables[t].index[0], c] = text
book = openpyxl.load_workbook(io.BytesIO(importing.template_xlsx(tables)))
cells = sum(1 for ws in book for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@", "\\t", "\\r"))
repo = fresh_store()
print(json.dumps({"template_formula_like_cells": cells,
                  "version_mode": oct(repo.current().path.stat().st_mode & 0o777)}))
"""
)


def snippet(root: Path, code: str, *args: str, timeout: float = 900) -> object:
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("OBSERVATOIRE_DATA", None)
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(("{", "["))]
    if done.returncode != 0 or not lines:
        return f"échec ({done.returncode}) : {done.stderr.strip().splitlines()[-1:] if done.stderr else ''}"
    return json.loads(lines[-1])


def concurrent_imports(root: Path) -> dict[str, object]:
    """6 concurrent CLI imports of the same file; journal rows right / all."""
    sys.path.insert(0, str(ROOT))
    from observatoire import exporting, importing, schema, store, versions

    work = Path(tempfile.mkdtemp(prefix="repro-cli-"))
    try:
        repo = versions.Repository(work / "store")
        repo.init(author="repro")
        with repo.connect() as con:
            active = versions.active_measures(con)
            tables = store.reference_tables(con)
        rows = active[active["territoire_type"] == "academie"].sort_values(list(schema.MEASURE_KEY)).head(20)
        files = []
        frame = rows[schema.MEASURE_COLUMNS].copy()  # the probe's case: the same file imported 6 times at once
        frame["valeur"] = frame["valeur"].round() + 1000
        frame["origine"], frame["source"] = "import", "Import"
        for k in range(6):
            path = work / f"import-{k}.csv"
            path.write_bytes(exporting.to_csv_bytes(frame))
            files.append(path)
        env = dict(os.environ, PYTHONPATH=str(root), OBSERVATOIRE_LOG_DIR=str(work / "log"))
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "observatoire", "--store", str(repo.root), "import", str(path)],
                cwd=root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for path in files
        ]
        codes = [proc.wait(600) for proc in procs]
        journal = repo.journal()
        imports = journal[journal["type"] == "import"]
        right = 0
        summaries = []
        for row in imports.itertuples(index=False):
            frame = importing.read_import((work / row.fichier).read_bytes(), row.fichier, tables).frame
            with repo.connect(repo.version(row.version - 1)) as con:
                truth = importing.preview(frame, versions.active_measures(con))
            right += (row.nouvelles, row.modifiees, row.inchangees) == (truth.new, truth.changed, truth.unchanged)
            summaries.append(f"{int(row.nouvelles)}/{int(row.modifiees)}/{int(row.inchangees)}")
        return {
            "exit_codes": codes,
            "journal_right": f"{right}/{len(imports)}",
            "journal_new_changed_same": summaries,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def disk_full(root: Path) -> dict[str, object]:
    """A store on a tmpfs just large enough for the current version: the CLI import and « Publier »."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return {"cli": "non mesuré (root requis pour un tmpfs)"}
    from observatoire import exporting, versions

    work = Path(tempfile.mkdtemp(prefix="repro-disk-"))
    mount = work / "plein"
    mount.mkdir()
    try:
        source = versions.Repository(work / "source")
        size = source.init(author="repro").path.stat().st_size
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size + 512 * 1024}", "tmpfs", str(mount)], check=True
        )
        try:
            shutil.copytree(source.root, mount / "store")
            with source.connect() as con:
                frame = versions.active_measures(con).head(10)
            frame["valeur"] = frame["valeur"] + 1
            frame["origine"] = "import"
            csv = work / "a.csv"
            csv.write_bytes(exporting.to_csv_bytes(frame))
            env = dict(os.environ, PYTHONPATH=str(root), OBSERVATOIRE_LOG_DIR=str(work / "log"))
            done = subprocess.run(
                [sys.executable, "-m", "observatoire", "--store", str(mount / "store"), "import", str(csv)],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            message = (done.stderr.strip().splitlines() or [""])[0][:110]
            page = snippet(root, PUBLISH_DISK_FULL, str(mount / "store"))
            return {"cli_exit": done.returncode, "cli_message": message, "page": page}
        finally:
            subprocess.run(["umount", str(mount)], check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def paths(root: Path, guarded: bool) -> dict[str, str]:
    launcher = LAUNCHER if guarded else ["-m", "streamlit", "run", ENTRYPOINT]
    out: dict[str, str] = {}  # path → HTTP status (and where it redirects)
    with streamlit_server(launcher=launcher, app_root=root) as server:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        for path in ("/a/b", "/carte/x"):
            try:
                with opener.open(f"{server.url}{path}", timeout=30) as response:
                    body = response.read()
                    blank = b'src="./static/js/' in body  # the SPA, its assets resolved under the first segment
                    out[path] = f"{response.status}{' (page blanche)' if blank else ''}"
            except urllib.error.HTTPError as redirect:
                out[path] = f"{redirect.code} → {redirect.headers.get('location')}"
        http_get(f"{server.url}/_stcore/health")
    return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--avant", default="315ee4f", help="commit git de l'application « avant »")
    parser.add_argument("--label", default="issue19_repro")
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    with app_at(args.avant) as before:
        for side, root, guarded in (("avant", before, False), ("après", ROOT, True)):
            print(f"… {side}", flush=True)
            results[side] = {
                "19.3": snippet(root, SIGN_OUT),
                "19.5": concurrent_imports(root),
                "19.6": disk_full(root),
                "19.7": snippet(root, URLS),
                "19.7 chemins": paths(root, guarded),
                "19.8": snippet(root, TEMPLATE),
            }
    rows = []
    for key in results["avant"]:
        rows.append(
            [
                key,
                json.dumps(results["avant"][key], ensure_ascii=False),
                json.dumps(results["après"][key], ensure_ascii=False),
            ]
        )
    print(table(f"Reproductions de l'issue 19 — avant ({args.avant}) / après", ["défaut", "avant", "après"], rows))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{args.label}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"Résultats : {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
