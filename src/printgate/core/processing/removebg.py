"""Background removal: ISNet segmentation run locally with ONNX Runtime, RGBA out.

The model is installed by ``scripts/setup`` (``printgate.core.processing.models``); without it the
step is skipped with that reason, never reported as done.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from printgate.core.processing.models import BG_MODEL, bg_model_path, models_dir

SIDE = 1024  # the model's fixed input
_lock = threading.Lock()
_sessions: dict[Path, Any] = {}


class ModelUnavailable(Exception):
    pass


def _session(path: Path) -> Any:
    with _lock:
        if path not in _sessions:
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise ModelUnavailable("ONNX Runtime is not installed") from exc
            options = ort.SessionOptions()
            options.intra_op_num_threads = 2
            try:
                _sessions[path] = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # a truncated or foreign file
                raise ModelUnavailable(f"the background removal model at {path} cannot be loaded: {exc}") from exc
        return _sessions[path]


def model_status() -> str | None:
    """None when the model is installed; else why background removal cannot run."""
    if bg_model_path() is None:
        return f"no background removal model is installed ({BG_MODEL} in {models_dir()}; scripts/setup installs it)"
    return None


def alpha_mask(image: Image.Image) -> Image.Image:
    """The foreground probability as an L image the size of ``image``."""
    path = bg_model_path()
    if path is None:
        raise ModelUnavailable(model_status() or "no model")
    session = _session(path)
    rgb = image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    x = (np.asarray(rgb, dtype=np.float32) - 128.0) / 256.0
    tensor = x.transpose(2, 0, 1)[np.newaxis]
    name = session.get_inputs()[0].name
    pred = session.run([session.get_outputs()[0].name], {name: tensor})[0][0, 0]
    pred = np.clip(pred, 0.0, 1.0)
    mask = Image.fromarray((pred * 255.0 + 0.5).astype(np.uint8), "L")
    return mask.resize(image.size, Image.Resampling.BILINEAR)


def remove_background(image: Image.Image) -> Image.Image:
    """``image`` as RGBA with the background made transparent (CMYK and gray become RGB first)."""
    mask = alpha_mask(image)
    rgba = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):
        existing = image.getchannel("A")
        mask = Image.fromarray(np.minimum(np.asarray(existing), np.asarray(mask)))
    rgba.putalpha(mask)
    return rgba
