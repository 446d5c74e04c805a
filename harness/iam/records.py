"""Records that explanations are made of: which statement of which policy, in which layer, took part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    """A statement that took part in a decision."""

    layer: str
    policy: str
    statement: str | int
    effect: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form used by the command line and the evidence."""
        return {"layer": self.layer, "policy": self.policy, "statement": self.statement, "effect": self.effect}


__all__ = ["MatchedStatement"]
