"""Evidence: what each step saw, for checks and for the reports auditors read."""

from harness.evidence.record import CallRecord, Evidence, Outcome, StepRecord, redact

__all__ = ["CallRecord", "Evidence", "Outcome", "StepRecord", "redact"]
