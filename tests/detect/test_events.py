"""EventBridge event patterns: each documented kind of match, arrays, $or, null, and invalid patterns."""

from __future__ import annotations

from typing import Any

import pytest

from harness.detect.events import compile_event_pattern
from harness.errors import InputError

EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}


def event(**detail: Any) -> dict[str, Any]:
    return {**EC2_EVENT, "detail": detail}


def matches(pattern: dict[str, Any], candidate: dict[str, Any]) -> bool:
    return compile_event_pattern(pattern).matches(candidate)


def test_documented_termination_pattern() -> None:
    pattern = {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]},
    }
    assert matches(pattern, EC2_EVENT)
    assert not matches(pattern, event(state="running"))
    assert not matches({**pattern, "source": ["aws.s3"]}, EC2_EVENT)


def test_exact_values_are_typed_and_case_sensitive() -> None:
    assert matches({"detail": {"n": [100]}}, event(n=100.0))
    assert not matches({"detail": {"n": [100]}}, event(n="100"))
    assert not matches({"detail": {"n": ["100"]}}, event(n=100))
    assert matches({"detail": {"b": [True]}}, event(b=True))
    assert not matches({"detail": {"b": [True]}}, event(b=1))
    assert not matches({"detail": {"state": ["Terminated"]}}, EC2_EVENT)


def test_array_in_pattern_is_or() -> None:
    pattern = {"detail": {"state": ["running", "terminated"]}}
    assert matches(pattern, EC2_EVENT)
    assert not matches(pattern, event(state="stopped"))


def test_array_in_event_matches_on_intersection() -> None:
    # The documented resources example: one pattern value equals the second element of the event array.
    pattern = {
        "resources": [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
        ]
    }
    candidate = {
        "resources": [
            "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:"
            "autoScalingGroupName/ASGTerminate",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        ]
    }
    assert matches(pattern, candidate)
    assert not matches(pattern, {"resources": []})


def test_nested_objects_inside_event_arrays() -> None:
    pattern = {"detail": {"containers": {"exitCode": [{"anything-but": [0]}]}}}
    assert matches(pattern, event(containers=[{"exitCode": 0}, {"exitCode": 137}]))
    assert not matches(pattern, event(containers=[{"exitCode": 0}]))
    assert not matches(pattern, event(containers="none"))


def test_null_and_empty_string_are_distinct() -> None:
    candidate = event(eventVersion="", responseElements=None)
    assert matches({"detail": {"eventVersion": [""]}}, candidate)
    assert matches({"detail": {"responseElements": [None]}}, candidate)
    assert not matches({"detail": {"responseElements": [""]}}, candidate)
    assert not matches({"detail": {"eventVersion": [None]}}, candidate)


@pytest.mark.parametrize(
    ("operator", "yes", "no"),
    [
        ({"prefix": "2017-10-02"}, "2017-10-02T18:43:48Z", "2017-10-03T00:00:00Z"),
        ({"prefix": {"equals-ignore-case": "EventB"}}, "eventbridge", "bridge"),
        ({"suffix": ".png"}, "photo.png", "photo.PNG"),
        ({"suffix": {"equals-ignore-case": ".png"}}, "photo.PNG", "photo.jpg"),
        ({"equals-ignore-case": "alice"}, "ALICE", "alicia"),
        ({"wildcard": "dir/*.png"}, "dir/a/b.png", "dir/a.jpg"),
        ({"wildcard": "a\\*b"}, "a*b", "axb"),
        ({"cidr": "10.0.0.0/24"}, "10.0.0.17", "10.0.1.17"),
        ({"cidr": "2001:db8::/32"}, "2001:db8::1", "2001:db9::1"),
        ({"anything-but": "initializing"}, "running", "initializing"),
        ({"anything-but": ["stopped", "overloaded"]}, "running", "stopped"),
        ({"anything-but": {"prefix": "init"}}, "running", "initializing"),
        ({"anything-but": {"suffix": ".png"}}, "a.jpg", "a.png"),
        ({"anything-but": {"equals-ignore-case": "initializing"}}, "running", "INITIALIZING"),
        ({"anything-but": {"equals-ignore-case": ["a", "b"]}}, "c", "B"),
        ({"anything-but": {"wildcard": "*/lib/*"}}, "/usr/bin/x", "/usr/lib/x"),
    ],
)
def test_string_operators(operator: dict[str, Any], yes: str, no: str) -> None:
    pattern = {"detail": {"value": [operator]}}
    assert matches(pattern, event(value=yes))
    assert not matches(pattern, event(value=no))


def test_anything_but_numbers() -> None:
    assert matches({"detail": {"x-limit": [{"anything-but": 123}]}}, event(**{"x-limit": 124}))
    assert not matches({"detail": {"x-limit": [{"anything-but": 123}]}}, event(**{"x-limit": 123}))
    assert not matches({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, event(**{"x-limit": 200.0}))
    # anything-but needs the field to be there.
    assert not matches({"detail": {"x-limit": [{"anything-but": 123}]}}, event())


def test_numeric_matching() -> None:
    pattern = {
        "detail": {
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"numeric": ["=", 3.018e2]}],
        }
    }
    assert matches(pattern, event(**{"c-count": 5, "d-count": 9.5, "x-limit": 301.8}))
    assert not matches(pattern, event(**{"c-count": 0, "d-count": 9.5, "x-limit": 301.8}))
    assert not matches(pattern, event(**{"c-count": 5, "d-count": 10, "x-limit": 301.8}))
    assert not matches(pattern, event(**{"c-count": "5", "d-count": 9.5, "x-limit": 301.8}))


def test_exists_matching_on_leaves_only() -> None:
    absent = {"detail": {"c-count": [{"exists": False}]}}
    assert matches(absent, event(state=["initializing", "running"]))
    # The documented case: c-count is an object, not a leaf, so exists:false still matches.
    assert matches(absent, event(state=["initializing", "running"], **{"c-count": {"c1": 100}}))
    assert not matches(absent, event(**{"c-count": 3}))
    present = {"detail": {"c-count": [{"exists": True}]}}
    assert matches(present, event(**{"c-count": None}))
    assert not matches(present, event())
    assert not matches(present, event(**{"c-count": {"c1": 100}}))


def test_or_across_fields() -> None:
    pattern = {"detail": {"$or": [{"c-count": [{"numeric": [">", 0]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}
    assert matches(pattern, event(**{"c-count": 1}))
    assert matches(pattern, event(**{"d-count": 1}))
    assert not matches(pattern, event(**{"c-count": 0, "d-count": 10}))
    with_sibling = {"source": ["aws.ec2"], "$or": [{"region": ["us-west-1"]}, {"account": ["999"]}]}
    assert matches(with_sibling, EC2_EVENT)
    assert not matches({**with_sibling, "source": ["aws.s3"]}, EC2_EVENT)


def test_cloudtrail_security_rule() -> None:
    pattern = {
        "source": ["aws.iam"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["iam.amazonaws.com"],
            "eventName": [{"prefix": "Attach"}, {"prefix": "Put"}, "CreatePolicyVersion"],
            "userIdentity": {"type": [{"anything-but": "AWSService"}]},
            "sourceIPAddress": [{"anything-but": {"prefix": "10."}}],
        },
    }
    base = {
        "source": "aws.iam",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {
            "eventSource": "iam.amazonaws.com",
            "eventName": "AttachRolePolicy",
            "userIdentity": {"type": "AssumedRole"},
            "sourceIPAddress": "198.51.100.7",
        },
    }
    assert matches(pattern, base)
    assert not matches(pattern, {**base, "detail": {**base["detail"], "eventName": "GetRole"}})
    assert not matches(pattern, {**base, "detail": {**base["detail"], "sourceIPAddress": "10.1.2.3"}})
    assert not matches(pattern, {**base, "detail": {**base["detail"], "userIdentity": {"type": "AWSService"}}})


def test_json_text_inputs() -> None:
    compiled = compile_event_pattern('{"source": ["aws.ec2"]}')
    assert compiled.matches('{"source": "aws.ec2"}')
    with pytest.raises(InputError, match="a JSON object"):
        compiled.matches("[1]")


@pytest.mark.parametrize(
    ("pattern", "where", "needle"),
    [
        ('{"source": "aws.ec2"}', "event pattern at source", "array of values"),
        ('{"source": []}', "event pattern at source", "at least one value"),
        ("{}", "event pattern", "at least one field"),
        ('{"detail": {"x": [{"prefix": 5}]}}', "event pattern at detail.x[0]", "a string for prefix"),
        ('{"detail": {"x": [{"regex": "a"}]}}', "event pattern at detail.x[0]", "an operator"),
        ('{"detail": {"x": [{"prefix": "a", "suffix": "b"}]}}', "event pattern at detail.x[0]", "exactly one"),
        ('{"x": [{"numeric": [">", "a"]}]}', "event pattern at x[0]", "followed by a number"),
        ('{"x": [{"numeric": ["<", 5, ">", 1]}]}', "event pattern at x[0]", "a range"),
        ('{"x": [{"numeric": [">", 5, "<", 1]}]}', "event pattern at x[0]", "a range"),
        ('{"x": [{"cidr": "10.0.0.0/33"}]}', "event pattern at x[0]", "CIDR"),
        ('{"x": [{"exists": "yes"}]}', "event pattern at x[0]", "true or false"),
        ('{"x": [{"anything-but": ["a", 1]}]}', "event pattern at x[0]", "all strings or all numbers"),
        ('{"x": [{"anything-but": {"numeric": [">", 1]}}]}', "event pattern at x[0]", "inside anything-but"),
        ('{"x": [{"wildcard": "a**b"}]}', "event pattern at x[0]", "consecutive"),
        ('{"x": [{"wildcard": "a\\\\qb"}]}', "event pattern at x[0]", "escapes"),
        ('{"$or": [{"a": [1]}]}', "event pattern at $or", "at least two"),
        ('{"x": [[1]]}', "event pattern at x[0]", "nested array"),
        ('{"x": ["a"', "event pattern", "invalid JSON"),
        ("[1]", "event pattern", "a JSON object"),
    ],
)
def test_invalid_patterns(pattern: str, where: str, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_event_pattern(pattern)
    assert caught.value.where == where
    assert needle in str(caught.value)
