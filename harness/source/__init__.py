"""The source repository the emulators lack: CodeCommit branches, commits, pull requests and approval rules.

Layers, bottom up: :mod:`~harness.source.rules` (approval rule content, pool members, evaluation),
:mod:`~harness.source.repository` (commits, branches, merges), :mod:`~harness.source.model` (the CodeCommit API
over them), :mod:`~harness.source.authz` (the IAM request of each operation), :mod:`~harness.source.service` (the
model behind boto3 for one backend, authorized and recorded) and :mod:`~harness.source.scenario` (what scenarios
call, and the checks).
"""

from __future__ import annotations

from typing import Any

from harness.source.authz import Authorizer, EnforcerAuthorizer, PolicyAuthorizer, SourceAccess, access_for
from harness.source.errors import CodeCommitError
from harness.source.model import Evaluation, PullRequest, SourceModel, Template
from harness.source.repository import Commit, Repository
from harness.source.rules import PoolMember, RuleContent, Statement, content_text, parse_content
from harness.source.service import SourceDecision, SourceService

# The scenario API sits above harness.acceptance, whose provider attaches the source service: it is loaded on
# first use to keep the import graph acyclic.
_SCENARIO = (
    "PullRequestRef",
    "SourceOutcome",
    "TriggerEvent",
    "actor",
    "approve",
    "delete_branch",
    "expect_allowed",
    "expect_denied",
    "expect_recorded",
    "expect_refused",
    "expect_rules_pending",
    "external_source",
    "merge",
    "override",
    "propose_change",
    "push",
)


def __getattr__(name: str) -> Any:
    if name in _SCENARIO:
        from harness.source import scenario

        return getattr(scenario, name)
    raise AttributeError(name)


__all__ = [
    "Authorizer",
    "CodeCommitError",
    "Commit",
    "EnforcerAuthorizer",
    "Evaluation",
    "PolicyAuthorizer",
    "PoolMember",
    "PullRequest",
    "PullRequestRef",
    "Repository",
    "RuleContent",
    "SourceAccess",
    "SourceDecision",
    "SourceModel",
    "SourceOutcome",
    "SourceService",
    "Statement",
    "Template",
    "TriggerEvent",
    "access_for",
    "actor",
    "approve",
    "content_text",
    "delete_branch",
    "expect_allowed",
    "expect_denied",
    "expect_recorded",
    "expect_refused",
    "expect_rules_pending",
    "external_source",
    "merge",
    "override",
    "parse_content",
    "propose_change",
    "push",
]
