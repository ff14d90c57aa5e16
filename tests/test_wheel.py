"""The wheel carries what printgate needs at run time.

Built from this checkout, installed into a fresh virtual environment, and started from a folder
outside the checkout: the widget's JS and CSS, the templates, the migrations, the ICC profiles and
the store packages' PHP must all come from the installed files, or this fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, b64, clean_env, make_pdf, start_server, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding printgate from its wheel only; the dependencies are this environment's."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
                   check=True, timeout=600)
    wheel = next(dist.glob("printgate-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, timeout=600)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # A plain path line: the folder's own .pth files (this checkout's editable install) are not read.
    (Path(purelib) / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run_python(venv: Path, code: str, cwd: Path) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                          cwd=cwd, env=clean_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = json.loads(run_python(installed, (
        "import json, printgate, printgate.core, printgate.connectors, printgate.webhooks, printgate.widgets as w; "
        "p = printgate; print(json.dumps([m.__file__ for m in (p, p.core, p.connectors, p.webhooks, w)]))"), tmp_path))
    assert all(path.startswith(str(installed)) for path in where), where


def test_the_wheel_carries_profiles_and_store_packages(installed: Path, tmp_path: Path) -> None:
    icc = json.loads(run_python(installed, (
        "import json; from printgate.core.fixes import icc; "
        "print(json.dumps([str(icc.resolve(n).path) for n in ('fogra39', 'swop', 'gracol')]))"), tmp_path))
    assert all(path.startswith(str(installed)) and Path(path).stat().st_size > 1000 for path in icc), icc

    out = tmp_path / "packages"
    built = subprocess.run([str(installed / "bin" / "python"), "-m", "printgate.connectors.build_store_packages", str(out)],
                           capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=120)
    assert built.returncode == 0, built.stderr
    for archive, member in (("opencart3/printgate.ocmod.zip", "upload/system/library/printgate/ApiClient.php"),
                            ("opencart4/printgate.ocmod.zip", "install.json"),
                            ("prestashop/printgate.zip", "printgate/printgate.php")):
        with zipfile.ZipFile(out / archive) as package:
            names = package.namelist()
        assert member in names, (archive, names[:20])
        assert sum(name.endswith(".php") for name in names) >= 5, (archive, names)


def test_serve_from_the_wheel_answers_with_everything_it_ships(installed: Path, tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", cli=[str(installed / "bin" / "printgate")], cwd=tmp_path)
    try:
        headers = {"Authorization": f"Bearer {server.secret_key}"}
        script = httpx.get(f"{server.url}/element/v1/filecheck.js", timeout=10)
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert script.text.startswith("/*! printgate upload widget")
        css = httpx.get(f"{server.url}/element/v1/filecheck.css", timeout=10)
        assert css.status_code == 200 and "text/css" in css.headers["content-type"] and ".pg-zone" in css.text
        demo = httpx.get(f"{server.url}/demo", timeout=30)
        assert demo.status_code == 200 and 'id="pg-slot"' in demo.text and "{{config}}" not in demo.text
        docs = httpx.get(f"{server.url}/docs", timeout=10)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()

        created = httpx.post(f"{server.url}/jobs/preflight", headers=headers, timeout=30,
                             json={"sources": [{"file": b64(make_pdf(tmp_path / "a.pdf", pages=2))}]})
        assert created.status_code == 201, created.text
        job_id = created.json()["job"]["id"]

        def finished() -> bool:
            job = httpx.get(f"{server.url}/jobs/{job_id}", headers=headers, timeout=10).json()["job"]
            return job["status"] in ("ready", "partial", "rejected")

        wait_for(finished, timeout=60)
        job = httpx.get(f"{server.url}/jobs/{job_id}", headers=headers, timeout=10).json()["job"]
        report = job["results"]["preflight"][0]["report"]
        assert report["pdf"]["page_count"] == 2
    finally:
        server.stop()
    assert "Traceback" not in server.log_path.read_text()
