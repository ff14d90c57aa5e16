"""Every rule of every standard, gathered explicitly (no rule registers itself on import)."""

from __future__ import annotations

from printgate.core.validation.rules import (
    file,
    fonts,
    graphics,
    interactive,
    levels,
    metadata,
    signatures,
    tables,
    ua,
    ua2,
    unicode,
)
from printgate.core.validation.rules.base import Rule


def all_rules() -> list[Rule]:
    return [*file.RULES, *graphics.RULES, *fonts.RULES, *interactive.RULES, *metadata.RULES, *signatures.RULES,
            *ua.RULES, *ua2.RULES, *tables.RULES, *levels.RULES, *unicode.RULES]
