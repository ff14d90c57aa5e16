"""Learned super-resolution: the RDN "slim" networks (``models.py``) run with ONNX Runtime, tile by tile.

Tiles of 192 px with a 12 px margin (more than the network's receptive field) keep memory flat
whatever the image size; each tile's margin is cut away after the network, so the seams do not show.
The network is used at the smallest scale that reaches the asked one (2, 3 or 4), then Lanczos brings
the result to the exact size.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from printgate.core.processing.models import SR_SCALES, sr_model_path

TILE = 192
MARGIN = 12
_lock = threading.Lock()
_sessions: dict[Path, Any] = {}


def engine_name(scale: int) -> str:
    return f"rdn-slim-x{scale} (ONNX Runtime)"


def model_scale(scale: float) -> int | None:
    """The network to use for ``scale``: the smallest installed one that reaches it."""
    for candidate in SR_SCALES:
        if candidate * 1.01 >= scale and sr_model_path(candidate) is not None:
            return candidate
    return None


def _session(path: Path) -> Any:
    with _lock:
        if path not in _sessions:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 2
            _sessions[path] = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return _sessions[path]


def enlarge(image: Image.Image, scale: float) -> tuple[Image.Image, str]:
    """``image`` (RGB) enlarged by ``scale`` with the network; raises LookupError when none is installed."""
    m = model_scale(scale)
    path = sr_model_path(m) if m else None
    if m is None or path is None:
        raise LookupError("no super-resolution model is installed")
    session = _session(path)
    name_in, name_out = session.get_inputs()[0].name, session.get_outputs()[0].name
    src = np.asarray(image.convert("RGB"), dtype=np.float32)
    h, w = src.shape[:2]
    out = np.empty((h * m, w * m, 3), dtype=np.uint8)
    for y0 in range(0, h, TILE):
        for x0 in range(0, w, TILE):
            y1, x1 = min(y0 + TILE, h), min(x0 + TILE, w)
            ty0, tx0 = max(0, y0 - MARGIN), max(0, x0 - MARGIN)
            ty1, tx1 = min(h, y1 + MARGIN), min(w, x1 + MARGIN)
            tile = src[ty0:ty1, tx0:tx1].transpose(2, 0, 1)[np.newaxis]
            pred = session.run([name_out], {name_in: np.ascontiguousarray(tile)})[0][0].transpose(1, 2, 0)
            inner = pred[(y0 - ty0) * m:(y1 - ty0) * m, (x0 - tx0) * m:(x1 - tx0) * m]
            out[y0 * m:y1 * m, x0 * m:x1 * m] = np.clip(inner + 0.5, 0, 255).astype(np.uint8)
    result = Image.fromarray(out, "RGB")
    from printgate.core.processing.upscale import pixels

    target = (pixels(w * scale), pixels(h * scale))
    if result.size != target:
        result = result.resize(target, Image.Resampling.LANCZOS)
    return result, engine_name(m)
