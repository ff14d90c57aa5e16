"""Colors: colour mode, ink coverage, spot colours, output intent, ICC profiles, rich black, overprint."""

from __future__ import annotations

from typing import Any

from ..catalog import DocContext, PageContext, SkipCheck, check
from ..model import Violation, r1

# Profile setting names -> internal mode names
MODE_ALIASES = {
    "cmyk": "CMYK",
    "grayscale": "Gray",
    "greyscale": "Gray",
    "gray": "Gray",
    "grey": "Gray",
    "rgb": "RGB",
    "lab": "Lab",
    "spot": "Spot",
    "separation": "Spot",
    "devicen": "Spot",
    "indexed": "Indexed",
}
DISPLAY = {"Gray": "Grayscale", "CMYK": "CMYK", "RGB": "RGB", "Lab": "Lab", "Spot": "spot", "Indexed": "Indexed"}


def allowed_modes(setting: Any) -> list[str]:
    if isinstance(setting, str):
        setting = [setting]
    out = []
    for a in setting or []:
        m = MODE_ALIASES.get(str(a).lower())
        if m and m not in out:
            out.append(m)
    return out


def display_modes(modes: list[str]) -> str:
    names = [DISPLAY.get(m, m) for m in modes]
    return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]


@check(
    "color_mode",
    section="color",
    title="Document Color Mode",
    default="autofix",
    rule_id="color_mode_not_allowed",
    target="colors",
    settings={"allowed": ["CMYK", "Grayscale"], "convert_all": False, "preserve": ["Separation", "DeviceN", "NChannel"]},
    autofix="convert_colors",
    options={"allowed": ["CMYK", "Grayscale", "RGB", "Lab"], "preserve": ["ICC", "DeviceN", "NChannel", "Separation", "Separation All"]},
)
def color_mode(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    allowed = allowed_modes(s.get("allowed"))
    if not allowed:
        return []
    p = ctx.page
    # Spot colours are governed by the Spot Colors check unless the profile asks to convert them.
    preserve = [str(x).lower() for x in s.get("preserve") or []]
    spot_ok = "Spot" in allowed or any(x in ("separation", "devicen", "nchannel", "separation all") for x in preserve)
    bad = sorted(m for m in p.modes if m not in allowed and not (m == "Spot" and spot_ok))
    if not bad:
        return []
    target = "cmyk" if "CMYK" in allowed else "gray" if "Gray" in allowed else "rgb"
    rects = [(p.page, r) for m in bad for r in p.mode_rects.get(m, [])][:20]
    return [
        Violation(
            page=p.page,
            measured={"modes": [DISPLAY.get(m, m) for m in bad]},
            required={"modes": [DISPLAY.get(m, m) for m in allowed]},
            extra={"objects": {DISPLAY.get(m, m): p.modes[m] for m in bad}},
            values={"actual.found": display_modes(bad), "target.allowed": display_modes(allowed)},
            rects=rects,
            autofix_params={
                "target": target,
                "convertSpecialSpaces": bool(s.get("convert_all")),
                "preserve": [str(x).replace(" ", "").lower() for x in s.get("preserve") or []],
            },
        )
    ]


def ink_limit(s: dict[str, Any]) -> float:
    """The ink-coverage check's limit (%) from its settings (the engine renders only what may exceed it)."""
    return float(s.get("percent") or s.get("max_percent") or 300)


@check(
    "ink_coverage",
    section="color",
    title="Maximum Ink Coverage",
    default="warn",
    rule_id="ink_coverage_exceeded",
    target="pages",
    settings={"percent": 300, "dpi": 36},
    needs=("render",),
)
def ink_coverage(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    if p.tac_max is None:
        raise SkipCheck(p.tac_note or "ink coverage not measured")
    limit = ink_limit(s)
    if p.tac_max <= limit + 0.5:
        return []
    return [
        Violation(
            page=p.page,
            measured={"percent": r1(p.tac_max)},
            required={"percent": r1(limit)},
            values={"actual.percent": round(p.tac_max), "target.percent": round(limit)},
            rects=[(p.page, p.tac_rect)] if p.tac_rect else [],
        )
    ]


@check(
    "spot_colors",
    section="color",
    title="Spot Colors",
    default="warn",
    rule_id="spot_colors_exceeded",
    target="colors",
    scope="document",
    settings={"max_count": 0, "whitelist": []},
)
def spot_colors(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    white = {str(w).strip().lower() for w in s.get("whitelist") or []}
    pages: dict[str, list[int]] = {}
    for p in ctx.pages:
        for name in p.spot_names:
            pages.setdefault(name, []).append(p.page)
    counted = sorted(n for n in pages if n.strip().lower() not in white)
    max_count = int(s.get("max_count") or 0)
    if len(counted) <= max_count:
        return []
    first = min(pg for n in counted for pg in pages[n])
    return [
        Violation(
            page=first,
            measured={"count": len(counted)},
            required={"count": max_count},
            extra={"spot_colors": counted, "pages": sorted({pg for n in counted for pg in pages[n]})},
            values={"actual.count": len(counted), "actual.names": ", ".join(counted), "target.max_count": max_count},
        )
    ]


def _matches(name: str, wanted: str) -> bool:
    a = "".join(ch for ch in name.lower() if ch.isalnum())
    b = "".join(ch for ch in wanted.lower() if ch.isalnum())
    return bool(b) and b in a


@check(
    "output_intent",
    section="color",
    title="Output Intent",
    default="warn",
    rule_id="output_intent_missing",
    target="document",
    scope="document",
    settings={"expected_profile": None},
    autofix="embed_output_intent",
    also_emits=("output_intent_mismatch",),
)
def output_intent(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    intents = [oi for oi in ctx.doc.output_intents if oi.get("profile") is not None or oi.get("identifier")]
    expected = s.get("expected_profile")
    alias = str(expected or "fogra39")
    if not intents:
        return [Violation(measured={"profile": None}, required={"profile": expected}, autofix_params={"profile": alias})]
    if expected:
        names = [f"{oi.get('profile') or ''} {oi.get('identifier') or ''} {oi.get('condition') or ''} {oi.get('info') or ''}" for oi in intents]
        if not any(_matches(n, str(expected)) for n in names):
            return [
                Violation(
                    rule_id="output_intent_mismatch",
                    measured={"profile": intents[0].get("profile") or intents[0].get("identifier")},
                    required={"profile": expected},
                    autofix_params={"profile": alias},
                )
            ]
    return []


@check(
    "icc_profile",
    section="color",
    title="ICC Color Profile",
    default="warn",
    rule_id="icc_profile_not_allowed",
    target="colors",
    scope="document",
    settings={"whitelist": []},
    autofix="convert_icc",
)
def icc_profile(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    white = [str(w) for w in s.get("whitelist") or []]
    if not white:
        return []
    used: dict[str, list[int]] = {}
    for p in ctx.pages:
        for name in p.icc_profiles:
            used.setdefault(name, []).append(p.page)
    for oi in ctx.doc.output_intents:
        if oi.get("profile"):
            used.setdefault(oi["profile"], [])
    bad = sorted(n for n in used if not any(_matches(n, w) for w in white))
    if not bad:
        return []
    pages = sorted({pg for n in bad for pg in used[n]})
    return [
        Violation(
            page=pages[0] if pages else None,
            measured={"profiles": bad},
            required={"profiles": white},
            extra={"pages": pages},
            autofix_params={"target": "cmyk"},
        )
    ]


@check(
    "rich_black",
    section="color",
    title="Rich Black",
    default="autofix",
    rule_id="rich_black",
    target="text",
    settings={"scope": "text"},
    autofix="rich_black_to_k",
    options={"scope": ["text", "all"]},
)
def rich_black(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    scope = str(s.get("scope") or "text").lower()
    count = p.rich_black_text + (p.rich_black_other if scope.startswith("all") else 0)
    if not count:
        return []
    return [
        Violation(
            page=p.page,
            target="text" if not scope.startswith("all") else "objects",
            measured={"count": count},
            rects=[(p.page, r) for r in p.rich_black_rects],
            autofix_params={"enabled": True, "threshold": 0.85, "scope": "text" if not scope.startswith("all") else "all"},
        )
    ]


@check(
    "overprint",
    section="color",
    title="Overprint Settings",
    default="warn",
    rule_id="overprint_used",
    target="objects",
    settings={"reject_white": True},
    also_emits=("overprint_white",),
)
def overprint(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    out = []
    if p.overprint_white:
        out.append(
            Violation(
                page=p.page,
                rule_id="overprint_white",
                measured={"count": p.overprint_white},
                rects=[(p.page, r) for r in p.overprint_rects],
                severity="reject" if s.get("reject_white") else None,
            )
        )
    if p.overprint_color:
        out.append(Violation(page=p.page, rule_id="overprint_used", measured={"count": p.overprint_color}))
    return out
