"""On S3 storage a forking worker loads botocore and the S3 service model before it forks: each work horse
then makes its S3 client in milliseconds instead of paying ~0.3 s of CPU for them per job (found by
bench/scale_out.py: 515 -> ~200 ms of CPU per 1-page preflight job in the general worker pool).
Each case runs in a fresh interpreter: the test process may have imported boto3 already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import free_port

_PROBE = """
import json, sys, time
from printgate.worker import _preload_s3
_preload_s3()
loaded = "botocore.client" in sys.modules
started = time.process_time()
if loaded:
    from printgate.core.storage import get_storage
    get_storage()  # what a work horse does on its first file
print(json.dumps({"loaded": loaded, "client_cpu_s": time.process_time() - started}))
"""


def _probe(tmp_path: Path, storage: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTGATE_")}
    env.update({"PRINTGATE_DATA_DIR": str(tmp_path / "data"), "PRINTGATE_STORAGE": storage,
                "PRINTGATE_S3_BUCKET": "bucket", "PRINTGATE_S3_REGION": "us-east-1",
                # nothing listens here: preloading must not send a request
                "PRINTGATE_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                "PRINTGATE_S3_ACCESS_KEY_ID": "testing", "PRINTGATE_S3_SECRET_ACCESS_KEY": "testing"})
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_s3_storage_is_preloaded_so_a_work_horse_makes_its_client_cheaply(tmp_path: Path) -> None:
    probe = _probe(tmp_path, "s3")
    assert probe["loaded"] is True
    # Cold, botocore's import and model load take ~0.3 s of CPU; warm, a client takes a few ms.
    assert float(probe["client_cpu_s"]) < 0.1  # type: ignore[arg-type]


def test_local_storage_does_not_import_boto3(tmp_path: Path) -> None:
    assert _probe(tmp_path, "local")["loaded"] is False
