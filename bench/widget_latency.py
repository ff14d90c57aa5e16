"""Widget latency: from a file drop to the first ``status`` event and to ``canProceed``.

Starts a real ``printgate serve`` in a temp data dir (or uses ``--url``/``--pk``), opens ``/demo``
in headless Chromium, drops a 1-page print-ready PDF ``--runs`` times (fresh browser context each
run) and prints p50/p90 of:

- first status: the drop until the widget's first ``status`` event (``uploading``, local);
- server status: until the first status carrying the server's job state (``processing``);
- canProceed: until ``canProceed`` is true (upload, intake preflight, thumbnails, live stream).

Also prints the gzipped size of the widget. Usage::

    .venv/bin/python bench/widget_latency.py [--runs 20] [--url http://127.0.0.1:8000 --pk pk_test_...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pymupdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _common import CLI, free_port, source_dir  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MM = 72 / 25.4

RECORDER = """
  window.__events = [];
  document.addEventListener('printgate:status', function (e) {
    window.__events.push({t: performance.now(), status: e.detail.status, canProceed: e.detail.canProceed});
  });
"""
DROP = """(f) => {
  const dt = new DataTransfer();
  dt.items.add(new File([new Uint8Array(f.data)], f.name, {type: 'application/pdf'}));
  const zone = document.querySelector('.printgate-element').shadowRoot.querySelector('.pg-zone');
  window.__dropAt = performance.now();
  zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""


def make_pdf(path: Path) -> Path:
    bleed = 3 * MM
    width, height = 210 * MM + 2 * bleed, 297 * MM + 2 * bleed
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.draw_rect(page.rect, color=None, fill=(0.1, 0.4, 0.8))
    page.draw_rect(pymupdf.Rect(width * 0.3, height * 0.3, width * 0.7, height * 0.7), color=None, fill=(1, 0.8, 0))
    page.set_trimbox(pymupdf.Rect(bleed, bleed, width - bleed, height - bleed))
    doc.save(path)
    doc.close()
    return path


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PRINTGATE_PUBLIC_URL")}
    env["PRINTGATE_DATA_DIR"] = str(data_dir)
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=(data_dir / "serve.log").open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise SystemExit("printgate serve did not start; see " + str(data_dir / "serve.log"))
    return proc, url, (data_dir / "demo-publishable.key").read_text().strip()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--url")
    parser.add_argument("--pk")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    static = source_dir("widgets", "static")
    sizes = {name: len(gzip.compress((static / name).read_bytes(), 9)) for name in ("printgate.js", "printgate.css")}

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="pg-bench-"))
    proc = None
    if args.url:
        url, pk = args.url.rstrip("/"), args.pk
    else:
        proc, url, pk = start_server(tmp / "data")
    pdf = make_pdf(tmp / "flyer.pdf")
    payload = {"name": pdf.name, "data": list(pdf.read_bytes())}
    first, server, proceed = [], [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for run in range(args.runs + 1):  # run 0 warms up the workers and the browser cache
                context = browser.new_context()
                page = context.new_page()
                page.add_init_script(RECORDER)
                page.goto(f"{url}/demo?pk={pk}")
                page.wait_for_function("window.__events.length > 0")  # the idle status: widget ready
                page.evaluate("window.__events = []")
                page.evaluate(DROP, payload)
                page.wait_for_function("window.__events.some(e => e.canProceed || e.status === 'rejected')",
                                       timeout=60000)
                got = page.evaluate("({drop: window.__dropAt, events: window.__events})")
                if not any(e["canProceed"] for e in got["events"]):
                    raise SystemExit(f"the benchmark file was rejected: {got['events']}")
                context.close()
                if run == 0:
                    continue
                t0 = got["drop"]
                evs = got["events"]
                first.append(evs[0]["t"] - t0)
                server.append(next(e["t"] for e in evs if e["status"] != "uploading") - t0)
                proceed.append(next(e["t"] for e in evs if e["canProceed"]) - t0)
            browser.close()
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)

    result = {
        "runs": args.runs,
        "gzipBytes": {**sizes, "total": sum(sizes.values())},
        "firstStatusMs": {"p50": round(statistics.median(first), 1), "p90": round(pct(first, 0.9), 1)},
        "firstServerStatusMs": {"p50": round(statistics.median(server), 1), "p90": round(pct(server, 0.9), 1)},
        "canProceedMs": {"p50": round(statistics.median(proceed), 1), "p90": round(pct(proceed, 0.9), 1)},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"widget gzip: js {sizes['printgate.js']} B + css {sizes['printgate.css']} B = {sum(sizes.values())} B")
        print(f"{args.runs} runs, 1-page PDF, drop ->")
        for label, key in (("first status event", "firstStatusMs"), ("first server status", "firstServerStatusMs"),
                           ("canProceed", "canProceedMs")):
            print(f"  {label:20s} p50 {result[key]['p50']:7.1f} ms   p90 {result[key]['p90']:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
