"""What a local ``printgate check`` loads (issue 17: a one-page check under 0.3 s): the preflight
engine and pikepdf, not the renderer, numpy, the settings, the database, the queue or the API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.conftest import ROOT, clean_env, make_pdf

HEAVY = ("pymupdf", "fitz", "numpy", "PIL", "pydantic", "pydantic_settings", "fastapi", "starlette", "sqlmodel",
         "sqlalchemy", "redis", "rq", "printgate.core.config", "printgate.core.db", "printgate.core.fixes.autofix",
         "printgate.core.fixes.optimize")


def _check_loading(tmp_path: Path, file: Path, **env: str) -> tuple[dict[str, object], list[str], str]:
    """Run ``printgate check --json FILE`` in a fresh interpreter; its verdict, the heavy modules it
    loaded, and its stderr."""
    code = (
        "import json, sys\n"
        "from printgate.cli import main\n"
        f"rc = main(['check', {str(file)!r}, '--json', '--data-dir', {str(tmp_path / 'data')!r}])\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=clean_env(**env), timeout=120)
    verdict_line, loaded_line = run.stdout.splitlines()[-2:]
    return json.loads(verdict_line), json.loads(loaded_line)["heavy"], run.stderr


def test_a_one_page_check_loads_neither_renderer_nor_settings_nor_database(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "one.pdf", pages=1)
    verdict, heavy, stderr = _check_loading(tmp_path, pdf)
    assert verdict["pages"] == 1 and verdict["report"]["pdf"]["page_count"] == 1, stderr
    assert verdict["report"]["evaluation"]["findings"], "the file was really checked"
    assert heavy == [], heavy
    assert not (tmp_path / "data").exists()  # no database, no signing key: nothing of an instance


def test_a_raster_file_still_gets_its_imaging_libraries(tmp_path: Path) -> None:
    """The control: numpy and Pillow are loaded lazily, not dropped."""
    png = tmp_path / "photo.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(png)
    verdict, heavy, stderr = _check_loading(tmp_path, png)
    assert verdict["reason"] is None and verdict["report"], stderr  # checked, not an error
    assert {"numpy", "PIL"} <= set(heavy)
    assert not {"pymupdf", "sqlalchemy", "fastapi", "printgate.core.db"} & set(heavy)


def test_a_local_commands_logs_follow_the_settings_once_it_logs(tmp_path: Path) -> None:
    """Logging is set up from the settings at the first record, so ``PRINTGATE_LOG_JSON`` still
    holds for a local check; until a record arrives the settings are not read."""
    code = (
        "import json, logging, sys\n"
        "from printgate import cli\n"
        "args = cli.build_parser().parse_args(['check', 'x.pdf'])\n"
        "cli._apply_common(args)\n"
        "before = 'printgate.core.config' in sys.modules\n"
        "logging.getLogger('printgate.test').debug('not shown at INFO')\n"
        "logging.getLogger('printgate.test').warning('first %s', 'record')\n"
        "logging.getLogger('printgate.test').info('second')\n"
        "print(json.dumps({'before': before, 'after': 'printgate.core.config' in sys.modules}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=clean_env(PRINTGATE_LOG_JSON="1"), timeout=60)
    assert json.loads(run.stdout) == {"before": False, "after": True}, run.stderr
    records = [json.loads(line) for line in run.stderr.splitlines()]
    assert [(r["level"], r["msg"]) for r in records] == [("WARNING", "first record"), ("INFO", "second")]
