"""Where locally installed models live, and installing them from a registry package.

Models are installed by ``scripts/setup`` (``python -m printgate.core.processing.models``), never
downloaded at run time. The directory is ``PRINTGATE_MODELS_DIR`` or ``<venv>/share/printgate/models``.

Background removal uses the ISNet segmentation model that npm's ``@imgly/background-removal-data``
ships (AGPL-3.0, like printgate) as content-addressed chunks listed in its ``resources.json``; the
chunks are checked against their SHA-256 names and joined into one ONNX file.

Super-resolution uses the RDN "slim" networks (x2, x3, x4; trained on DIV2K) that npm's
``@upscalerjs/esrgan-slim`` ships (MIT) as TensorFlow.js layers models: their topology and float32
weights are rewritten here as ONNX graphs (NHWC kernels to NCHW), for ONNX Runtime.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

BG_MODEL = "isnet-imgly-small.onnx"
BG_PACKAGE = "@imgly/background-removal-data@1.4.5"
BG_RESOURCE = "/models/small"
SR_PACKAGE = "@upscalerjs/esrgan-slim@1.0.0"
SR_SCALES = (2, 3, 4)


def sr_model_path(scale: int) -> Path | None:
    path = models_dir() / f"sr-rdn-slim-x{scale}.onnx"
    return path if path.is_file() and path.stat().st_size > 0 else None


def models_dir() -> Path:
    from printgate.core.config import get_settings

    configured = get_settings().models_dir
    return configured if configured else Path(sys.prefix) / "share" / "printgate" / "models"


def bg_model_path() -> Path | None:
    path = models_dir() / BG_MODEL
    return path if path.is_file() and path.stat().st_size > 0 else None


class InstallError(Exception):
    pass


def assemble(package_dir: Path, resource: str, dst: Path) -> Path:
    """Join the chunks of ``resource`` from an unpacked imgly data package into ``dst``, verified."""
    dist = package_dir / "dist"
    try:
        entry = json.loads((dist / "resources.json").read_text())[resource]
    except (OSError, ValueError, KeyError) as exc:
        raise InstallError(f"{package_dir} is not an unpacked {BG_PACKAGE}: {exc}") from exc
    tmp = dst.with_suffix(".part")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as out:
        for chunk in entry["chunks"]:
            data = (dist / chunk["hash"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != chunk["hash"]:
                tmp.unlink(missing_ok=True)
                raise InstallError(f"chunk {chunk['hash'][:12]} of {resource} is corrupt")
            out.write(data)
    joined = tmp.stat().st_size
    if joined != int(entry["size"]):
        tmp.unlink(missing_ok=True)
        raise InstallError(f"{resource}: {joined} bytes assembled, {entry['size']} expected")
    tmp.replace(dst)
    return dst


def convert_tfjs(model_json: Path, dst: Path) -> Path:
    """A TensorFlow.js layers model of Conv2D / ReLU / Concatenate / Add / UpSampling2D as ONNX."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    spec = json.loads(model_json.read_text())
    config = spec["modelTopology"]["model_config"]["config"]
    manifest = spec["weightsManifest"][0]
    blob = b"".join((model_json.parent / part).read_bytes() for part in manifest["paths"])
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for entry in manifest["weights"]:
        if entry["dtype"] != "float32":
            raise InstallError(f"unsupported weight type {entry['dtype']}")
        count = int(np.prod(entry["shape"]))
        weights[entry["name"]] = np.frombuffer(blob, np.float32, count, offset).reshape(entry["shape"])
        offset += 4 * count
    if offset != len(blob):
        raise InstallError(f"{model_json}: {len(blob) - offset} weight bytes left over")
    nodes, inits = [], []
    for layer in config["layers"]:
        kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
        inputs = [i[0] for node in layer.get("inbound_nodes", []) for i in node]
        if kind == "InputLayer":
            continue
        if kind == "Conv2D":
            if cfg.get("strides", [1, 1]) != [1, 1] or cfg.get("dilation_rate", [1, 1]) != [1, 1]:
                raise InstallError(f"{name}: only stride 1 convolutions are supported")
            kh, kw = cfg["kernel_size"]
            pad = [kh // 2, kw // 2, kh // 2, kw // 2] if cfg["padding"] == "same" else [0, 0, 0, 0]
            inits.append(numpy_helper.from_array(weights[f"{name}/kernel"].transpose(3, 2, 0, 1).copy(), f"{name}_W"))
            inits.append(numpy_helper.from_array(weights[f"{name}/bias"].copy(), f"{name}_B"))
            if cfg.get("activation", "linear") not in ("linear", "relu"):
                raise InstallError(f"{name}: activation {cfg['activation']} is not supported")
            out = name if cfg.get("activation", "linear") == "linear" else f"{name}_pre"
            nodes.append(helper.make_node("Conv", [inputs[0], f"{name}_W", f"{name}_B"], [out],
                                          kernel_shape=[kh, kw], pads=pad))
            if out != name:
                nodes.append(helper.make_node("Relu", [out], [name]))
        elif kind == "Activation" and cfg["activation"] == "relu":
            nodes.append(helper.make_node("Relu", inputs, [name]))
        elif kind == "Concatenate":
            nodes.append(helper.make_node("Concat", inputs, [name], axis=1))
        elif kind == "Add":
            nodes.append(helper.make_node("Sum" if len(inputs) > 2 else "Add", inputs, [name]))
        elif kind == "UpSampling2D" and cfg.get("interpolation", "nearest") == "nearest":
            sh, sw = cfg["size"]
            inits.append(numpy_helper.from_array(np.array([1, 1, sh, sw], np.float32), f"{name}_scales"))
            nodes.append(helper.make_node("Resize", [inputs[0], "", f"{name}_scales"], [name], mode="nearest",
                                          coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
        else:
            raise InstallError(f"layer {name} ({kind}) is not supported")
    source = config["input_layers"][0][0]
    output = config["output_layers"][0][0]
    graph = helper.make_graph(
        nodes, "rdn", [helper.make_tensor_value_info(source, TensorProto.FLOAT, [1, 3, None, None])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, 3, None, None])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="printgate")
    onnx.checker.check_model(model)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".part")
    onnx.save(model, str(tmp))
    tmp.replace(dst)
    return dst


def install_sr(package_dir: Path) -> list[Path]:
    out = []
    for scale in SR_SCALES:
        src = package_dir / "models" / f"x{scale}" / "model.json"
        if not src.is_file():
            raise InstallError(f"{package_dir} is not an unpacked {SR_PACKAGE}: no {src.name} for x{scale}")
        out.append(convert_tfjs(src, models_dir() / f"sr-rdn-slim-x{scale}.onnx"))
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("bg", "sr"):
        print("usage: python -m printgate.core.processing.models bg|sr UNPACKED_PACKAGE_DIR", file=sys.stderr)
        return 2
    try:
        if args[0] == "bg":
            paths = [assemble(Path(args[1]), BG_RESOURCE, models_dir() / BG_MODEL)]
        else:
            paths = install_sr(Path(args[1]))
    except (InstallError, OSError, KeyError, ValueError) as exc:
        print(f"models: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"models: installed {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
