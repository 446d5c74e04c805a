"""Detection engines: CloudWatch Logs filter patterns, metric filters, alarm evaluation and event patterns."""

from __future__ import annotations

from harness.detect.patterns import FilterPattern, LogMessage, PatternKind, compile_pattern

__all__ = [
    "FilterPattern",
    "LogMessage",
    "PatternKind",
    "compile_pattern",
]
