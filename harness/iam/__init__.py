"""IAM authorization engine: policy model and parser, AWS evaluation logic, request context, catalogue.

Typical use, compiling once and deciding many requests::

    policies = PolicySet.compile(identity_policies=[doc], permissions_boundary=boundary, scps=[[scp]])
    request = AuthorizationRequest.create("arn:aws:sts::111122223333:assumed-role/Build/s1",
                                          "s3:GetObject", "arn:aws:s3:::bucket/key", context)
    decision = evaluate(request, policies)   # decision.decision, decision.matched, decision.reason

    # per call, with the resource's own policy swapped in:
    policies.with_resource_policy(bucket_policy).decide(principal_arn, "s3:PutObject", object_arn, context)

Semantics follow the AWS IAM User Guide (policy evaluation logic, condition operators, policy variables) and the
AWS Organizations guide (SCPs, RCPs); choices where the documentation leaves room are listed in
tests/iam/oracle/KNOWN_DIFFERENCES.md together with the differences from iam-simulate.
"""

from __future__ import annotations

from harness.iam.catalogue import ActionInfo, Catalogue, ValidationIssue
from harness.iam.compiled import CompiledPolicy, CompiledStatement
from harness.iam.conditions import ConditionBlock, ConditionTest, Operator
from harness.iam.context import CallDescription, PrincipalDescription, build_context, normalize_context
from harness.iam.evaluator import (
    AuthorizationRequest,
    Decision,
    MatchedStatement,
    Outcome,
    PolicySet,
    authorize,
    compile_policies,
    evaluate,
)
from harness.iam.policy import Policy, PrincipalSet, Statement, parse_policy
from harness.iam.principals import Principal, PrincipalKind, parse_principal

__all__ = [
    "ActionInfo",
    "AuthorizationRequest",
    "CallDescription",
    "Catalogue",
    "CompiledPolicy",
    "CompiledStatement",
    "ConditionBlock",
    "ConditionTest",
    "Decision",
    "MatchedStatement",
    "Operator",
    "Outcome",
    "Policy",
    "PolicySet",
    "Principal",
    "PrincipalDescription",
    "PrincipalKind",
    "PrincipalSet",
    "Statement",
    "ValidationIssue",
    "authorize",
    "build_context",
    "compile_policies",
    "evaluate",
    "normalize_context",
    "parse_policy",
    "parse_principal",
]
