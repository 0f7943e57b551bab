"""The content check's report, as objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One error or warning, at a line (0 for the whole file)."""

    line: int
    severity: str
    kind: str
    message: str


@dataclass(frozen=True)
class CheckReport:
    """What the check found: ``ok`` when there is no error (warnings allowed)."""

    purpose: str
    errors: int
    warnings: int
    findings: list[Finding]
    summary: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CheckReport":
        return cls(
            purpose=str(data.get("purpose")),
            errors=int(data.get("errors", 0)),
            warnings=int(data.get("warnings", 0)),
            findings=[Finding(**f) for f in data.get("findings", [])],
            summary=dict(data.get("summary", {})),
            counts=dict(data.get("counts", {})),
        )
