"""Canonical policy documents: equal meaning compares equal, whatever shape IAM returns."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.model.policy_doc import canonical_policy, load_policy, policy_json

DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": "arn:aws:s3:::b/*",
            "Principal": {"AWS": ["arn:aws:iam::1:root", "arn:aws:iam::2:root"]},
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["blue", "red"]}},
        }
    ],
}


def test_single_strings_and_one_element_lists_are_equal() -> None:
    one = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    listed = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]}

    assert canonical_policy(one) == canonical_policy(listed)


def test_order_of_actions_principals_and_condition_values_does_not_matter() -> None:
    shuffled = json.loads(json.dumps(DOC))
    stmt = shuffled["Statement"][0]
    stmt["Action"].reverse()
    stmt["Principal"]["AWS"].reverse()
    stmt["Condition"]["StringEquals"]["aws:PrincipalTag/team"].reverse()

    assert canonical_policy(shuffled) == canonical_policy(DOC)


def test_statement_order_and_effects_still_matter() -> None:
    a = {"Statement": [{"Effect": "Allow", "Action": "a:*", "Resource": "*"}, {"Effect": "Deny", "Action": "b:*"}]}
    b = {"Statement": list(reversed(a["Statement"]))}
    c = {"Statement": [{"Effect": "Deny", "Action": "a:*", "Resource": "*"}, {"Effect": "Deny", "Action": "b:*"}]}

    assert canonical_policy(a) != canonical_policy(b)
    assert canonical_policy(a) != canonical_policy(c)


def test_a_single_statement_object_is_a_list_of_one() -> None:
    assert canonical_policy({"Statement": DOC["Statement"][0]}) == canonical_policy({"Statement": DOC["Statement"]})


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda d: d, id="mapping"),
        pytest.param(lambda d: json.dumps(d), id="json"),
        pytest.param(lambda d: "  " + json.dumps(d, indent=2), id="indented-json"),
        pytest.param(lambda d: urllib.parse.quote(json.dumps(d)), id="url-encoded"),
    ],
)
def test_every_shape_iam_returns_loads_the_same(shape: Any) -> None:
    assert load_policy(shape(DOC)) == DOC
    assert canonical_policy(shape(DOC)) == canonical_policy(DOC)


def test_what_is_not_a_policy_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a policy document must be a JSON object$"):
        load_policy("[1, 2]")
    with pytest.raises(TypeError, match=r"^cannot read a policy document from int$"):
        load_policy(42)
    assert canonical_policy(None) is None


def test_policy_json_is_compact_and_keeps_order() -> None:
    assert policy_json({"Version": "2012-10-17", "Statement": []}) == '{"Version":"2012-10-17","Statement":[]}'


_actions = st.lists(st.sampled_from(["s3:GetObject", "s3:PutObject", "iam:PassRole", "kms:*", "*"]), min_size=1)


@given(actions=_actions, resources=st.lists(st.sampled_from(["*", "arn:aws:s3:::b", "arn:aws:s3:::b/*"]), min_size=1))
def test_canonical_form_is_idempotent_and_order_free(actions: list[str], resources: list[str]) -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]}
    flipped = {
        "Version": "2012-10-17",
        "Statement": [{"Resource": list(reversed(resources)), "Action": list(reversed(actions)), "Effect": "Allow"}],
    }

    once = canonical_policy(doc)

    assert canonical_policy(once) == once
    assert canonical_policy(flipped) == once
    assert canonical_policy(json.dumps(doc)) == once
