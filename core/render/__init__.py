"""Rendering: page previews/thumbnails and annotated soft proofs."""

from core.render.previews import render_previews
from core.render.proofs import render_proofs

__all__ = ["render_previews", "render_proofs"]
