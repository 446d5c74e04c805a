"""JSON filter patterns: the documented examples, the CIS CloudTrail metric filters, and value semantics."""

from __future__ import annotations

import json

import pytest

from harness.detect.patterns import LogMessage, PatternKind, compile_pattern
from harness.errors import InputError

# The JSON log event of the AWS guide (current version, plus ThisFlag from the earlier one), on one line.
DOC_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "cluster.name": "c",
        "ThisFlag": True,
    }
)
# The object of the guide's compound-condition examples.
COMPOUND_EVENT = json.dumps(
    {
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    }
)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        '{ $.arrayKey[0] = "value" }',
        "{ $.objectList[1].id = 2 }",
        "{ $.eventType = %Trail% }",
        "{ $.arrayKey[*] = %val.{2}% }",
        r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }",
        "{ $.['cluster.name'] = \"c\" }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
    ],
)
def test_documented_json_examples_match(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled.kind is PatternKind.JSON
    assert compiled.matches(DOC_EVENT)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrai" }',
        "{ $.sourceIPAddress != 111.111.* }",
        '{ $.arrayKey[1] = "value" }',
        "{ $.objectList[2].id = 2 }",
        "{ $.ThisFlag IS FALSE }",
        "{ $.eventType IS NULL }",
        "{ $.SomeObject NOT EXISTS }",
        "{ $.Missing IS NULL }",
        "{ $.eventType = %^Trail% }",
        "{ $.arrayKey[*] = %^val$% }",
    ],
)
def test_documented_json_counterexamples_do_not_match(pattern: str) -> None:
    assert not compile_pattern(pattern).matches(DOC_EVENT)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" '
            '&& $.actions[2] = "nonmatch" }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") '
            '&& $.actions[2] = "nonmatch" }',
            False,
        ),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
            True,
        ),
        ('{ $.coordinates[1][2] = 6 && $.actions[*] = "PUT" }', True),
    ],
)
def test_documented_compound_conditions(pattern: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(COMPOUND_EVENT) is expected


def test_or_example_from_older_guide() -> None:
    bar, baz = '{"foo": "bar"}', '{"foo": "baz"}'
    assert [compile_pattern("{$.foo = bar}").matches(m) for m in (bar, baz)] == [True, False]
    assert [compile_pattern("{$.foo = baz }").matches(m) for m in (bar, baz)] == [False, True]
    assert [compile_pattern("{$.foo = bar || $.foo = baz }").matches(m) for m in (bar, baz)] == [True, True]


def test_selector_on_array_or_object_matches_neither_equal_nor_not_equal() -> None:
    # AWS: both {$.users = 1} and {$.users != 1} fail when users is an array.
    event = '{"users": [1, 2, 3], "obj": {"a": 1}}'
    for pattern in ("{$.users = 1}", "{$.users != 1}", "{$.obj = 1}", "{$.obj != 1}"):
        assert not compile_pattern(pattern).matches(event), pattern


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ("{ $.bandwidth > 75 }", {"bandwidth": 76}, True),
        ("{ $.bandwidth > 75 }", {"bandwidth": 75}, False),
        ("{ $.latency < 50 }", {"latency": 49.5}, True),
        ("{ $.refreshRate >= 60 }", {"refreshRate": 60}, True),
        ("{ $.responseTime <= 5 }", {"responseTime": 6}, False),
        ("{ $.errorCode = 400}", {"errorCode": 400}, True),
        ("{ $.errorCode != 500 }", {"errorCode": 400}, True),
        ("{ $.errorCode != 500 }", {"errorCode": 500}, False),
        ("{ $.number[0] = 1e+3 }", {"number": [1000]}, True),
        ("{ $.number[0] != 1e-3 }", {"number": [0.001]}, False),
        ("{ $.numbers[0] < 10e3 }", {"numbers": [9999]}, True),
        ("{ $.numbers[0] < 10e-3 }", {"numbers": [0.5]}, False),
        ("{ $.processes[4].averageRuntime <= 55.5 }", {"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}, True),
        ("{ $.latency > +1000 }", {"latency": 1001}, True),
        ("{ $.latency > -1 }", {"latency": 0}, True),
        ("{ $.latency = * }", {"latency": 12}, True),
        ("{ $.latency = * }", {"other": 12}, False),
        ("{ $.status = 4* }", {"status": 404}, True),
        ("{ $.status = 4* }", {"status": 500}, False),
        ("{ $.code = 400 }", {"code": "400"}, True),
        ('{ $.code = "400" }', {"code": 400}, True),
        ("{ $.code > 10 }", {"code": "abc"}, False),
        ("{ $.code != 10 }", {"code": "abc"}, True),
        ("{ $.latency > 1 }", {}, False),
        ("{ $.latency != 1 }", {}, False),
        ("{ $.a-b_c = x }", {"a-b_c": "x"}, True),
        ("{ $.a.b NOT EXISTS }", {"a": 5}, True),
        ("{ $.a[*] NOT EXISTS }", {"a": []}, True),
        ("{ $.a[*] NOT EXISTS }", {"a": [1]}, False),
        ("{ $.flag IS FALSE }", {"flag": False}, True),
        ("{ $.flag IS TRUE }", {"flag": 1}, False),
        ("{ $.x is null }", {"x": None}, True),
        ("{ $.x = null }", {"x": None}, False),
        ("{ $.obj.* = secret }", {"obj": {"a": "public", "b": "secret"}}, True),
        ("{ $.r = 1.50 }", {"r": 1.5}, True),
    ],
)
def test_value_semantics(pattern: str, event: dict[str, object], expected: bool) -> None:
    assert compile_pattern(pattern).matches(json.dumps(event)) is expected


def test_wildcards_only_at_the_ends() -> None:
    # AWS: *Event matches PutEvent, Event* matches EventId, Ev*ent matches only the literal string Ev*ent.
    for pattern, value, expected in [
        ('{ $.e = "*Event" }', "PutEvent", True),
        ('{ $.e = "Event*" }', "EventId", True),
        ('{ $.e = "Ev*ent" }', "Evabcent", False),
        ('{ $.e = "Ev*ent" }', "Ev*ent", True),
        ('{ $.e = "*Put*" }', "aPutb", True),
    ]:
        assert compile_pattern(pattern).matches(json.dumps({"e": value})) is expected, (pattern, value)


def test_case_sensitive_string_values() -> None:
    assert not compile_pattern('{ $.e = "updatetrail" }').matches('{"e": "UpdateTrail"}')


def test_non_json_messages_never_match() -> None:
    for pattern in ("{ $.a NOT EXISTS }", "{ $.a != 1 }", "{ $.a = * }"):
        compiled = compile_pattern(pattern)
        for message in ("a = 1", '"a string"', "42", '{"a": 1', '{"a": 1} trailing', "{'a': 1}", "NaN"):
            assert not compiled.matches(message), (pattern, message)
    assert compile_pattern("{ $.b NOT EXISTS }").matches('{"a": 1}')


def test_prefilter_respects_unicode_escapes() -> None:
    # "\u0041ccessDenied" is "AccessDenied" once decoded, though the literal is not in the raw text.
    message = '{"errorCode": "\\u0041ccessDenied"}'
    assert compile_pattern('{ $.errorCode = "AccessDenied*" }').matches(message)
    assert compile_pattern('{ $.errorCode = "AccessDenied*" }').matches(LogMessage(message))


@pytest.mark.parametrize(
    ("pattern", "column", "needle"),
    [
        ("{ $.a = 1", 10, "closing }"),
        ("{ $.a = }", 9, "a value after '='"),
        ("{ a = 1 }", 3, "selector starting with $."),
        ("{ $. = 1 }", 5, "property name"),
        ("{ $.a@b = 1 }", 6, "bracket notation"),
        ("{ $.a IS NOT NULL }", 7, "IS NOT"),
        ("{ $.a EXISTS }", 7, "EXISTS"),
        ("{ $.a IS MAYBE }", 10, "NULL, TRUE or FALSE"),
        ("{ $.a NOT THERE }", 11, "EXISTS after NOT"),
        ("{ $.a > abc }", 9, "a number after '>'"),
        ('{ $.a < "5" }', 9, "a number after '<'"),
        ("{ $.a >= %5% }", 10, "a number after '>='"),
        ("{ ($.a = 1 }", 12, ") to close"),
        ("{ $.a = 1 } x", 13, "end of the pattern"),
        ("{ $.a == 1 }", 8, "a value after '='"),
        ("{ $.a[x] = 1 }", 7, "array index"),
        ("{ $.a[0 = 1 }", 8, "] to close"),
        ("{ $.a[*].b[*] = 1 }", 3, "one wildcard"),
        ("{ $.a.* = 1 || $.b.* = 1 || $.c.* = 1 || $.d.* = 1 }", 42, "three wildcard"),
        ("{ $.a = %x% || $.b = %y% || $.c = %z% }", 35, "at most 2 regular"),
        ("{ $.a = %(x)% }", 10, "parentheses"),
        ("{ }", 3, "a condition"),
        ("{ $.a = 1 && }", 14, "a condition"),
        ("{ $.a ~ 1 }", 7, "comparison operator"),
        ("{ $.email = john@example.com }", 17, 'as in "john@example.com"'),
        ("{ $.a = caf\u00e9 }", 12, "double quotes"),
        ("{ $.a = a\\b }", 10, "double quotes"),
    ],
)
def test_invalid_json_patterns_point_at_the_column(pattern: str, column: int, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_pattern(pattern)
    assert needle in str(caught.value), str(caught.value)
    assert caught.value.column == column, str(caught.value)


# --- CIS AWS Foundations Benchmark metric filters for CloudTrail (monitoring section) ---------------------


def trail(**fields: object) -> str:
    record: dict[str, object] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::123456789012:user/alice"},
        "eventTime": "2026-11-26T15:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListUsers",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012",
    }
    record.update(fields)
    return json.dumps(record)


UNAUTHORIZED_API = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
NO_MFA_CONSOLE = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
ROOT_USAGE = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
)
IAM_POLICY_CHANGES = (
    "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||"
    "($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
    "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||"
    "($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
    "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||"
    "($.eventName=DetachGroupPolicy)}"
)
TRAIL_CHANGES = (
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
    "($.eventName = StartLogging) || ($.eventName = StopLogging) }"
)
CONSOLE_AUTH_FAILURES = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
KMS_DISABLE = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
S3_POLICY_CHANGES = (
    "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || "
    "($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
    "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) "
    "|| ($.eventName = DeleteBucketReplication)) }"
)
CONFIG_CHANGES = (
    "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||"
    "($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"
)
SECURITY_GROUP_CHANGES = (
    "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
    "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
    "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"
)


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        (UNAUTHORIZED_API, trail(errorCode="AccessDenied"), True),
        (UNAUTHORIZED_API, trail(errorCode="AccessDeniedException"), True),
        (UNAUTHORIZED_API, trail(errorCode="Client.UnauthorizedOperation"), True),
        (UNAUTHORIZED_API, trail(errorCode="ThrottlingException"), False),
        (UNAUTHORIZED_API, trail(), False),
        (NO_MFA_CONSOLE, trail(eventName="ConsoleLogin", additionalEventData={"MFAUsed": "No"}), True),
        (NO_MFA_CONSOLE, trail(eventName="ConsoleLogin", additionalEventData={"MFAUsed": "Yes"}), False),
        (NO_MFA_CONSOLE, trail(eventName="GetUser", additionalEventData={"MFAUsed": "No"}), False),
        (ROOT_USAGE, trail(userIdentity={"type": "Root"}), True),
        (ROOT_USAGE, trail(userIdentity={"type": "Root", "invokedBy": "support.amazonaws.com"}), False),
        (ROOT_USAGE, trail(userIdentity={"type": "Root"}, eventType="AwsServiceEvent"), False),
        (ROOT_USAGE, trail(), False),
        (IAM_POLICY_CHANGES, trail(eventName="PutRolePolicy"), True),
        (IAM_POLICY_CHANGES, trail(eventName="DetachGroupPolicy"), True),
        (IAM_POLICY_CHANGES, trail(eventName="GetRolePolicy"), False),
        (TRAIL_CHANGES, trail(eventName="StopLogging", eventSource="cloudtrail.amazonaws.com"), True),
        (TRAIL_CHANGES, trail(eventName="LookupEvents"), False),
        (CONSOLE_AUTH_FAILURES, trail(eventName="ConsoleLogin", errorMessage="Failed authentication"), True),
        (CONSOLE_AUTH_FAILURES, trail(eventName="ConsoleLogin"), False),
        (KMS_DISABLE, trail(eventSource="kms.amazonaws.com", eventName="ScheduleKeyDeletion"), True),
        (KMS_DISABLE, trail(eventSource="kms.amazonaws.com", eventName="Decrypt"), False),
        (KMS_DISABLE, trail(eventSource="iam.amazonaws.com", eventName="DisableKey"), False),
        (S3_POLICY_CHANGES, trail(eventSource="s3.amazonaws.com", eventName="PutBucketPolicy"), True),
        (S3_POLICY_CHANGES, trail(eventSource="s3.amazonaws.com", eventName="GetBucketPolicy"), False),
        (CONFIG_CHANGES, trail(eventSource="config.amazonaws.com", eventName="StopConfigurationRecorder"), True),
        (CONFIG_CHANGES, trail(eventSource="config.amazonaws.com", eventName="DescribeDeliveryChannels"), False),
        (SECURITY_GROUP_CHANGES, trail(eventName="AuthorizeSecurityGroupIngress"), True),
        (SECURITY_GROUP_CHANGES, trail(eventName="DescribeSecurityGroups"), False),
    ],
)
def test_cis_cloudtrail_metric_filters(pattern: str, event: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(event) is expected


def test_bracket_selectors() -> None:
    assert compile_pattern("{ $['cluster.name'] = c }").matches('{"cluster.name": "c"}')
    assert compile_pattern('{ $.a["b c"][1] = 2 }').matches('{"a": {"b c": [1, 2]}}')
    assert compile_pattern("{ $[0] = 1 }").matches("[1, 2]")
