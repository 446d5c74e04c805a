"""Registers every step module with pytest, so feature files can use all of them."""

pytest_plugins = [
    "steps.lifecycle",
    "steps.detection",
    "steps.audit_trail",
    "steps.least_privilege",
    "steps.isolation",
    "steps.runtime",
    "steps.source_protection",
]
