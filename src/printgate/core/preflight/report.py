"""The preflight report as the engine hands it on: typed where code reads it (outcome, findings, counts,
the repair a damaged file needed), shaped as Filecheck's JSON in one place, :meth:`PreflightReport.to_wire`.

The report's descriptive blocks (``pdf``, ``pages``, ``fonts``, ``images``, ``raster``, ``facts``) and
each finding stay the wire's own objects: nothing in printgate reads them field by field, and a finding's
keys are open (``measured_<unit>``, a check's extras). ``to_wire`` keeps the key order the stored
reports and the SDK fixtures have, so the JSON is byte-for-byte what the engine wrote before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One finding as the wire carries it: sectionId, checkId, ruleId, severity, action, target, [page],
# measured_*/required_*, extras, autofix, locate, issue, fix, [autofixMessage].
Finding = dict[str, Any]


@dataclass
class EvaluationSummary:
    fail: int = 0
    warn: int = 0
    info: int = 0
    ignored: int = 0
    passed: int = 0
    skipped: int = 0
    autofixable: int = 0
    autofixable_fails: int = 0

    def to_wire(self) -> dict[str, int]:
        return {"fail": self.fail, "warn": self.warn, "info": self.info, "ignored": self.ignored,
                "pass": self.passed, "skipped": self.skipped, "autofixable": self.autofixable,
                "autofixableFails": self.autofixable_fails}

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> EvaluationSummary:
        d = data or {}
        return cls(fail=d.get("fail", 0), warn=d.get("warn", 0), info=d.get("info", 0),
                   ignored=d.get("ignored", 0), passed=d.get("pass", 0), skipped=d.get("skipped", 0),
                   autofixable=d.get("autofixable", 0), autofixable_fails=d.get("autofixableFails", 0))


@dataclass
class Evaluation:
    """What the profile's checks said: findings, and which checks passed, were skipped (and why) or off."""

    profile_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    skipped_reasons: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    summary: EvaluationSummary = field(default_factory=EvaluationSummary)
    recommended_autofix: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"profileId": self.profile_id, "findings": self.findings, "passed": self.passed,
                "skipped": self.skipped, "skippedReasons": self.skipped_reasons, "ignored": self.ignored,
                "summary": self.summary.to_wire(), "recommendedAutofix": self.recommended_autofix}

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> Evaluation:
        d = data or {}
        return cls(profile_id=d.get("profileId"), findings=list(d.get("findings") or []),
                   passed=list(d.get("passed") or []), skipped=list(d.get("skipped") or []),
                   skipped_reasons=dict(d.get("skippedReasons") or {}), ignored=list(d.get("ignored") or []),
                   summary=EvaluationSummary.from_wire(d.get("summary")),
                   recommended_autofix=d.get("recommendedAutofix"))


@dataclass
class PreflightReport:
    """One file's preflight: what it is (``kind``, the descriptive blocks) and the verdict (``evaluation``,
    ``outcome``). ``raster`` is set for a raster file, ``pdf`` for a PDF."""

    source_name: str
    size_bytes: int | None
    kind: str
    evaluation: Evaluation
    outcome: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    pdf: dict[str, Any] | None = None
    raster: dict[str, Any] | None = None
    pages: list[dict[str, Any]] = field(default_factory=list)
    fonts: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    spot_colors: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return self.evaluation.findings

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.get("severity") == severity)

    def rejected_rules(self) -> set[str]:
        """The ruleIds of the findings that reject the file."""
        return {str(f.get("ruleId")) for f in self.findings if f.get("severity") == "reject"}

    @property
    def repaired(self) -> bool:
        """The PDF was read from a reconstruction of a damaged file (later steps use the rebuild)."""
        return bool((self.pdf or {}).get("repair"))

    @property
    def page_count(self) -> int | None:
        return (self.pdf or {}).get("page_count")

    def to_wire(self) -> dict[str, Any]:
        """The report as Filecheck's JSON (``results.preflight[].report``), keys in the stored order."""
        out: dict[str, Any] = {"source": {"name": self.source_name, "sizeBytes": self.size_bytes},
                               "kind": self.kind, "errors": self.errors, "pdf": self.pdf}
        if self.kind != "pdf":
            out["raster"] = self.raster
        out.update({"pages": self.pages, "fonts": self.fonts, "images": self.images,
                    "spot_colors": self.spot_colors, "evaluation": self.evaluation.to_wire(),
                    "outcome": self.outcome, "facts": self.facts})
        return out

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> PreflightReport:
        """A stored report read back (a workflow's processing phase continues from its intake's).

        Lenient as the steps that read it always were: a report without an evaluation (the intake's
        newest report may be a ``validate`` one) has no findings and outcome ``na``, never ``pass``."""
        source = data.get("source") or {}
        return cls(source_name=source.get("name") or "", size_bytes=source.get("sizeBytes"),
                   kind=data.get("kind") or "pdf", evaluation=Evaluation.from_wire(data.get("evaluation")),
                   outcome=data.get("outcome") or "na", errors=list(data.get("errors") or []),
                   pdf=data.get("pdf"), raster=data.get("raster"), pages=list(data.get("pages") or []),
                   fonts=list(data.get("fonts") or []), images=list(data.get("images") or []),
                   spot_colors=list(data.get("spot_colors") or []), facts=dict(data.get("facts") or {}))
