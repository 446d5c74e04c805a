"""LookupEvents over the event history: filters, time range, 90 days, shape, refusals."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.backends.base import Identity
from harness.backends.safety import Credentials
from harness.errors import InputError
from harness.trail.config import Clock
from harness.trail.service import CloudTrailEmulator
from tests.trail.conftest import START

ACCOUNT = "123456789012"
SESSION = Identity(
    "build role",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/builder/AWSCodeBuild-1",
    Credentials("ASIABUILDSESSION0001", "secret", "token"),
    kind="AssumedRole",
    account_id=ACCOUNT,
)


@pytest.fixture
def history(backend: Backend) -> Deployment:
    """Calls spread over time: CreateBucket now, a role read a day later, data events, a session's call."""
    d = Deployment(backend)
    d.trail = CloudTrailEmulator(backend, clock=Clock(START), seed=3)
    with d.observed():
        s3 = backend.client("s3")
        s3.create_bucket(Bucket="lookup-bucket")
        s3.put_object(Bucket="lookup-bucket", Key="k", Body=b"x")
        d.trail.clock.advance(timedelta(days=1))
        backend.client("iam").create_role(RoleName="lookup-role", AssumeRolePolicyDocument="{}")
        backend.client("iam").get_role(RoleName="lookup-role")
        # A session of a role the account does not have: where IAM is enforced the call is denied, and recorded.
        with contextlib.suppress(ClientError):
            backend.client("s3", SESSION).list_buckets()
    return d


def _names(answer: dict[str, object]) -> list[str]:
    return [e["EventName"] for e in answer["Events"]]  # type: ignore[attr-defined]


def test_events_come_newest_first_in_the_api_shape(history: Deployment) -> None:
    events = history.trail.lookup_events()["Events"]

    assert [e["EventName"] for e in events] == ["ListBuckets", "GetRole", "CreateRole", "CreateBucket"]
    first = events[0]
    assert set(first) == {
        "EventId",
        "EventName",
        "ReadOnly",
        "AccessKeyId",
        "EventTime",
        "EventSource",
        "Username",
        "Resources",
        "CloudTrailEvent",
    }
    assert first["ReadOnly"] == "true" and first["Username"] == "AWSCodeBuild-1"
    assert json.loads(first["CloudTrailEvent"])["eventID"] == first["EventId"]


def test_data_events_are_not_in_the_event_history(history: Deployment) -> None:
    assert "PutObject" not in _names(history.trail.lookup_events())


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("EventName", "CreateRole", ["CreateRole"]),
        ("ReadOnly", "false", ["CreateRole", "CreateBucket"]),
        ("Username", "root", ["GetRole", "CreateRole", "CreateBucket"]),
        ("EventSource", "iam.amazonaws.com", ["GetRole", "CreateRole"]),
        ("ResourceName", "lookup-role", ["GetRole", "CreateRole"]),
        ("ResourceType", "AWS::S3::Bucket", ["CreateBucket"]),
    ],
)
def test_each_lookup_attribute_filters(history: Deployment, key: str, value: str, expected: list[str]) -> None:
    answer = history.trail.lookup_events([{"AttributeKey": key, "AttributeValue": value}])

    assert _names(answer) == expected


def test_lookup_by_event_id_and_access_key(history: Deployment) -> None:
    newest = history.trail.lookup_events()["Events"][0]

    by_id = history.trail.lookup_events([{"AttributeKey": "EventId", "AttributeValue": newest["EventId"]}])
    by_key = history.trail.lookup_events([{"AttributeKey": "AccessKeyId", "AttributeValue": newest["AccessKeyId"]}])

    assert _names(by_id) == ["ListBuckets"]
    assert _names(by_key) == ["ListBuckets"]


def test_time_range_and_max_results(history: Deployment) -> None:
    day_one = history.trail.lookup_events(end_time=START + timedelta(hours=1))
    day_two = history.trail.lookup_events(start_time=START + timedelta(hours=1))

    assert _names(day_one) == ["CreateBucket"]
    assert _names(day_two) == ["ListBuckets", "GetRole", "CreateRole"]
    assert _names(history.trail.lookup_events(max_results=2)) == ["ListBuckets", "GetRole"]


def test_events_older_than_90_days_are_gone(history: Deployment) -> None:
    # Now 91 days and an hour after the first call, 90 days and an hour after the others.
    history.trail.clock.advance(timedelta(days=89, hours=1))

    assert _names(history.trail.lookup_events()) == ["ListBuckets", "GetRole", "CreateRole"]


def test_more_than_one_attribute_or_an_unknown_key_is_refused(history: Deployment) -> None:
    two = [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}]
    with pytest.raises(InputError, match="expected at most one lookup attribute"):
        history.trail.lookup_events(two)
    with pytest.raises(InputError, match="expected one of EventId"):
        history.trail.lookup_events([{"AttributeKey": "Region", "AttributeValue": "x"}])
    with pytest.raises(InputError, match="expected 1 to 50"):
        history.trail.lookup_events(max_results=51)


def test_a_real_lookup_events_call_is_answered_from_the_history(history: Deployment) -> None:
    cloudtrail = history.backend.client("cloudtrail")
    with history.observed():
        answer = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"}],
            StartTime=START,
        )
        with pytest.raises(ClientError, match="InvalidLookupAttributesException"):
            cloudtrail.lookup_events(
                LookupAttributes=[
                    {"AttributeKey": "EventName", "AttributeValue": "a"},
                    {"AttributeKey": "Username", "AttributeValue": "b"},
                ]
            )

    assert [e["EventName"] for e in answer["Events"]] == ["GetRole", "CreateRole"]
    assert answer["Events"][0]["EventTime"].tzinfo is not None
    # The lookup is itself a management event in the history.
    assert _names(history.trail.lookup_events(max_results=1)) == ["LookupEvents"]


def test_list_public_keys_names_the_digest_signing_keys(history: Deployment) -> None:
    key = history.trail.keys.for_region("us-east-1")
    with history.observed():
        listed = history.backend.client("cloudtrail").list_public_keys()["PublicKeyList"]

    assert [(k["Fingerprint"], k["Value"]) for k in listed] == [(key.fingerprint, key.public_der)]
