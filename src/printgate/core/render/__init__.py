"""Rendering: page previews/thumbnails and annotated soft proofs."""

from printgate.core.render.previews import render_previews
from printgate.core.render.proofs import render_fixed_proofs, render_proofs

__all__ = ["render_fixed_proofs", "render_previews", "render_proofs"]
