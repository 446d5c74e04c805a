"""LookupEvents over the recorded event history: management events of the last 90 days, in the API's shape."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from harness.errors import InputError
from harness.trail.config import NINETY_DAYS, in_window
from harness.trail.records import parse_time

LOOKUP_KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)

# requestParameters members that name the resource a management event acts on, and its CloudTrail type.
_RESOURCE_PARAMETERS = (
    ("bucketName", "AWS::S3::Bucket"),
    ("roleName", "AWS::IAM::Role"),
    ("policyArn", "AWS::IAM::Policy"),
    ("userName", "AWS::IAM::User"),
    ("logGroupName", "AWS::Logs::LogGroup"),
    ("keyId", "AWS::KMS::Key"),
    ("topicArn", "AWS::SNS::Topic"),
    ("projectName", "AWS::CodeBuild::Project"),
    ("pipelineName", "AWS::CodePipeline::Pipeline"),
    ("trailName", "AWS::CloudTrail::Trail"),
)


def username(record: Mapping[str, Any]) -> str:
    """LookupEvents' Username: the user name, the role session name, ``root``, or the invoking service."""
    identity = record.get("userIdentity", {})
    kind = identity.get("type")
    if kind == "Root":
        return "root"
    if kind == "AssumedRole":
        return str(identity.get("arn", "")).rsplit("/", 1)[-1]
    if kind == "AWSService":
        return str(identity.get("invokedBy", ""))
    return str(identity.get("userName") or str(identity.get("arn", "")).rsplit("/", 1)[-1])


def resources(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """LookupEvents' Resources of a record, from the parameters that name what the call acted on."""
    params = record.get("requestParameters") or {}
    found: list[dict[str, str]] = []
    for member, kind in _RESOURCE_PARAMETERS:
        value = params.get(member)
        if isinstance(value, str) and value:
            found.append({"ResourceType": kind, "ResourceName": value})
    if record.get("eventSource") == "cloudtrail.amazonaws.com" and isinstance(params.get("name"), str):
        found.append({"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": params["name"]})
    return found


def _matches(record: Mapping[str, Any], key: str, value: str) -> bool:
    if key == "EventId":
        return record.get("eventID") == value
    if key == "EventName":
        return record.get("eventName") == value
    if key == "ReadOnly":
        return str(bool(record.get("readOnly"))).lower() == value.lower()
    if key == "Username":
        return username(record) == value
    if key == "EventSource":
        return record.get("eventSource") == value
    if key == "AccessKeyId":
        return bool(record.get("userIdentity", {}).get("accessKeyId") == value)
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in resources(record))
    return any(r["ResourceName"] == value for r in resources(record))


def lookup_events(
    history: Sequence[Mapping[str, Any]],
    now: datetime,
    lookup_attributes: Sequence[Mapping[str, str]] = (),
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    max_results: int = 50,
) -> dict[str, Any]:
    """Answer LookupEvents from recorded management events.

    Args:
        history: recorded records (data events are skipped, as the event history holds none).
        now: the clock's time; events older than 90 days are gone from the event history.
        lookup_attributes: at most one ``{"AttributeKey": ..., "AttributeValue": ...}``.
        start_time: only events at or after this time.
        end_time: only events at or before this time.
        max_results: at most 50, as the API allows.

    Returns:
        ``{"Events": [...]}``, newest first, each with EventId, EventName, ReadOnly, AccessKeyId, EventTime,
        EventSource, Username, Resources and CloudTrailEvent (the record as JSON text).

    Raises:
        InputError: more than one lookup attribute, an unknown key, or max_results out of 1..50.
    """
    if len(lookup_attributes) > 1:
        raise InputError(
            where="lookup_events LookupAttributes",
            expected="at most one lookup attribute",
            found=f"{len(lookup_attributes)}",
            fix="look up by one attribute and filter the rest yourself (LookupEvents takes one)",
        )
    if not 1 <= max_results <= 50:
        raise InputError(
            where="lookup_events MaxResults", expected="1 to 50", found=str(max_results), fix="ask for 50 at most"
        )
    wanted = lookup_attributes[0] if lookup_attributes else None
    if wanted is not None and wanted.get("AttributeKey") not in LOOKUP_KEYS:
        raise InputError(
            where="lookup_events AttributeKey",
            expected=f"one of {', '.join(LOOKUP_KEYS)}",
            found=repr(wanted.get("AttributeKey")),
            fix="use a key LookupEvents supports",
        )
    oldest = now - NINETY_DAYS
    events: list[dict[str, Any]] = []
    for record in reversed(history):
        if not record.get("managementEvent", True):
            continue
        when = parse_time(str(record["eventTime"]))
        if when < oldest or not in_window(when, start_time, end_time):
            continue
        if wanted is not None and not _matches(record, wanted["AttributeKey"], wanted.get("AttributeValue", "")):
            continue
        event: dict[str, Any] = {
            "EventId": record["eventID"],
            "EventName": record["eventName"],
            "ReadOnly": str(bool(record.get("readOnly"))).lower(),
            "EventTime": when,
            "EventSource": record["eventSource"],
            "Username": username(record),
            "Resources": resources(record),
            "CloudTrailEvent": json.dumps(record),
        }
        key = record.get("userIdentity", {}).get("accessKeyId")
        if key:
            event["AccessKeyId"] = key
        events.append(event)
        if len(events) == max_results:
            break
    return {"Events": events}
