"""Every rule of every standard, gathered explicitly (no rule registers itself on import)."""

from __future__ import annotations

from printgate.core.validation.rules import file, fonts, graphics, interactive, levels, metadata, ua, ua2
from printgate.core.validation.rules.base import Rule


def all_rules() -> list[Rule]:
    return [*file.RULES, *graphics.RULES, *fonts.RULES, *interactive.RULES, *metadata.RULES, *ua.RULES, *ua2.RULES, *levels.RULES]
