"""Rendering: page previews/thumbnails and annotated soft proofs."""

from core.render.previews import render_previews

__all__ = ["render_previews"]
