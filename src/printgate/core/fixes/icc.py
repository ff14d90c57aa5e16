"""Colour profiles by alias: what ``outputIntent.profile`` and ``convert_to_cmyk`` accept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).parent / "icc"
_GS_ICC = [Path("/usr/share/color/icc/ghostscript"), *sorted(Path("/usr/share/ghostscript").glob("*/iccprofiles"))]


@dataclass(frozen=True)
class Profile:
    alias: str
    path: Path
    identifier: str  # OutputConditionIdentifier
    condition: str  # OutputCondition / Info
    components: int

    def data(self) -> bytes:
        return self.path.read_bytes()


_FOGRA39 = ("FOGRA39", "Offset printing, according to ISO 12647-2:2004/Amd 1, OFCOM, paper type 1 or 2 (coated), 115 g/m2")
_GRACOL = ("CGATS TR 006", "GRACoL coated #1 paper, CGATS TR 006")
_SWOP = ("CGATS TR 003", "SWOP grade 3 coated publication paper, CGATS TR 003")

ALIASES: dict[str, tuple[str, tuple[str, str], int]] = {
    "fogra39": ("fogra39.icc", _FOGRA39, 4),
    "fogra39l": ("fogra39.icc", _FOGRA39, 4),
    "isocoatedv2": ("fogra39.icc", _FOGRA39, 4),
    "iso-coated-v2": ("fogra39.icc", _FOGRA39, 4),
    "coatedfogra39": ("fogra39.icc", _FOGRA39, 4),
    "pso-coated": ("fogra39.icc", _FOGRA39, 4),
    "pso-coated-v2": ("fogra39.icc", _FOGRA39, 4),
    "fogra39-300": ("fogra39-300.icc", _FOGRA39, 4),
    "iso-coated-v2-300": ("fogra39-300.icc", _FOGRA39, 4),
    "isocoatedv2300": ("fogra39-300.icc", _FOGRA39, 4),
    "gracol": ("gracol.icc", _GRACOL, 4),
    "gracol2006": ("gracol.icc", _GRACOL, 4),
    "swop": ("swop.icc", _SWOP, 4),
    "uswebcoatedswop": ("swop.icc", _SWOP, 4),
    "srgb": ("@srgb.icc", ("sRGB IEC61966-2.1", "sRGB IEC61966-2.1"), 3),
    "gray": ("@sgray.icc", ("Gray", "Gray, gamma 2.2"), 1),
}

DEFAULT_CMYK = "fogra39"


class UnknownProfile(ValueError):
    pass


def resolve(name: str | None) -> Profile:
    """An alias (``fogra39``, ``swop``, ``gracol``...) or a path to an ``.icc`` file on this server."""
    key = (name or DEFAULT_CMYK).strip()
    norm = key.lower().replace(" ", "").replace("_", "-")
    for candidate in (norm, norm.replace("-", ""), norm.removesuffix(".icc")):
        if candidate in ALIASES:
            filename, (ident, cond), n = ALIASES[candidate]
            path = _find(filename)
            return Profile(candidate, path, ident, cond, n)
    path = Path(key)
    if path.suffix.lower() in (".icc", ".icm") and path.is_file():
        data = path.read_bytes()
        if len(data) < 132 or data[36:40] != b"acsp":
            raise UnknownProfile(f"{path.name} is not an ICC profile")
        space = data[16:20]
        components = {b"CMYK": 4, b"RGB ": 3, b"GRAY": 1}.get(space)
        if components is None:
            raise UnknownProfile(f"{path.name}: unsupported colour space {space!r}")
        return Profile(path.stem, path, path.stem, path.stem, components)
    raise UnknownProfile(f"unknown ICC profile {name!r}; known: {', '.join(sorted(ALIASES))} or a .icc path")


def _find(filename: str) -> Path:
    if filename.startswith("@"):
        for folder in _GS_ICC:
            candidate = folder / filename[1:]
            if candidate.is_file():
                return candidate
        raise UnknownProfile(f"{filename[1:]} is not installed (Ghostscript's ICC profiles are missing)")
    return _HERE / filename
