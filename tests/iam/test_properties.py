"""Evaluation laws that hold for every policy set, checked with hypothesis."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.iam import Policy, parse_policy
from harness.iam.command import decide as decide_json

from .conftest import ACCOUNT, OTHER

PRINCIPALS = [
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/Build/run-1",
    f"arn:aws:sts::{OTHER}:assumed-role/Remote/s",
    f"arn:aws:iam::{ACCOUNT}:root",
    "codebuild.amazonaws.com",
]
ACTIONS = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage", "iam:PassRole"]
ACTION_PATTERNS = ["s3:GetObject", "s3:Get*", "s3:*", "*", "sqs:*", "iam:Pass?ole", "ec2:*"]
RESOURCES = ["arn:aws:s3:::bucket/key", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", f"arn:aws:sqs:us-east-1:{OTHER}:q", "*"]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::bucket/*", "arn:aws:sqs:*:*:q", f"arn:aws:sqs:*:{OTHER}:*"]
CONDITIONS = [
    {"StringEquals": {"aws:PrincipalTag/team": "ci"}},
    {"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "qa"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": ["env*"]}},
    {"Null": {"aws:PrincipalTag/team": "false"}},
]
PRINCIPAL_ELEMENTS = [
    "*",
    {"AWS": ACCOUNT},
    {"AWS": OTHER},
    {"AWS": PRINCIPALS[0]},
    {"AWS": PRINCIPALS[1]},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Build"},
    {"Service": "codebuild.amazonaws.com"},
]


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None, with_principal: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2))
    body["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = actions
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    body["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = resources
    if draw(st.booleans()):
        body["Condition"] = draw(st.sampled_from(CONDITIONS))
    if with_principal:
        body["Principal"] = draw(st.sampled_from(PRINCIPAL_ELEMENTS))
    return body


def documents(with_principal: bool = False, min_size: int = 1) -> st.SearchStrategy[dict[str, Any]]:
    return st.lists(statements(with_principal=with_principal), min_size=min_size, max_size=3).map(
        lambda body: {"Version": "2012-10-17", "Statement": body}
    )


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    optional = st.one_of(st.none(), documents())
    request: dict[str, Any] = {
        "principal": draw(st.sampled_from(PRINCIPALS)),
        "action": draw(st.sampled_from(ACTIONS)),
        "resource": draw(st.sampled_from(RESOURCES)),
        "context": draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "aws:PrincipalTag/team": st.sampled_from(["ci", "qa"]),
                    "aws:SecureTransport": st.sampled_from(["true", "false"]),
                    "aws:TagKeys": st.lists(st.sampled_from(["env", "team"]), max_size=2),
                },
            )
        ),
        "identity_policies": draw(st.lists(documents(), max_size=2)),
        "resource_policy": draw(st.one_of(st.none(), documents(with_principal=True))),
        "permissions_boundary": draw(optional),
        "session_policy": draw(optional),
        "scps": draw(st.one_of(st.none(), st.lists(st.lists(documents(), min_size=1, max_size=2), max_size=2))),
        "rcps": None,
    }
    return request


LAYERS = ["identity_policies", "resource_policy", "permissions_boundary", "session_policy", "scps"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _add(request: dict[str, Any], layer: str, extra: dict[str, Any]) -> dict[str, Any]:
    changed = dict(request)
    if layer == "identity_policies":
        changed[layer] = [*request[layer], {"Version": "2012-10-17", "Statement": [extra]}]
    elif layer == "scps":
        levels = request["scps"] or []
        changed[layer] = [[*level, {"Version": "2012-10-17", "Statement": [extra]}] for level in levels]
    else:
        current = request[layer] or {"Version": "2012-10-17", "Statement": []}
        changed[layer] = {"Version": "2012-10-17", "Statement": [*current["Statement"], extra]}
    return changed


@SETTINGS
@given(requests(), st.sampled_from(LAYERS), st.data())
def test_adding_a_deny_never_turns_a_deny_into_an_allow(request: dict[str, Any], layer: str, data: Any) -> None:
    extra = data.draw(statements(effect="Deny", with_principal=layer == "resource_policy"))
    before = decide_json(request)["decision"]
    after = decide_json(_add(request, layer, extra))["decision"]
    if before != "Allowed":
        assert after != "Allowed"
    if before == "ExplicitDeny":
        assert after == "ExplicitDeny"


@SETTINGS
@given(requests(), st.sampled_from(LAYERS), st.data())
def test_adding_an_allow_never_turns_an_allow_into_a_deny(request: dict[str, Any], layer: str, data: Any) -> None:
    if layer in ("permissions_boundary", "session_policy") and request[layer] is None:
        layer = "identity_policies"  # creating a boundary or session policy adds a limit, not an Allow
    extra = data.draw(statements(effect="Allow", with_principal=layer == "resource_policy"))
    before = decide_json(request)["decision"]
    after = decide_json(_add(request, layer, extra))["decision"]
    if before == "Allowed":
        assert after == "Allowed"
    if before == "ExplicitDeny":
        assert after == "ExplicitDeny"


def _reversed(request: dict[str, Any]) -> dict[str, Any]:
    def flip(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if doc is None else dict(doc, Statement=list(reversed(doc["Statement"])))

    changed = dict(request)
    changed["identity_policies"] = [flip(d) for d in reversed(request["identity_policies"])]
    for layer in ("resource_policy", "permissions_boundary", "session_policy"):
        changed[layer] = flip(request[layer])
    if request["scps"] is not None:
        changed["scps"] = [[flip(d) for d in reversed(level)] for level in request["scps"]]
    return changed


@SETTINGS
@given(requests())
def test_statement_order_does_not_matter(request: dict[str, Any]) -> None:
    before = decide_json(request)
    after = decide_json(_reversed(request))
    assert before["decision"] == after["decision"]
    assert before["layers"] == after["layers"]
    assert {m["layer"] for m in before["matched"]} == {m["layer"] for m in after["matched"]}


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["Allow", "Deny", "*", "s3:*", "arn:aws:s3:::b/*", "2012-10-17", "StringLike"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Version",
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Principal",
                    "NotPrincipal",
                    "Condition",
                    "Sid",
                    "AWS",
                    "StringEquals",
                    "aws:x",
                    "ForAllValues:StringLike",
                    "Null",
                    "Bogus",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_parser_never_crashes_on_arbitrary_json(document: Any) -> None:
    try:
        parsed = parse_policy(document, "fuzz")
    except InputError as exc:
        assert exc.where.startswith("policy 'fuzz'")
        return
    assert isinstance(parsed, Policy)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "principal",
                "action",
                "resource",
                "context",
                "identity_policies",
                "resource_policy",
                "scps",
                "rcps",
                "resource_account",
            ]
        ),
        JSON,
    )
)
def test_request_handling_never_crashes_on_arbitrary_json(request: dict[str, Any]) -> None:
    try:
        result = decide_json(request)
    except InputError:
        return
    assert result["decision"] in ("Allowed", "ExplicitDeny", "ImplicitDeny")
