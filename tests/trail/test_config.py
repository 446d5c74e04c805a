"""Which records a trail takes: regions, global service events, management read/write type, S3 data prefixes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.trail.config import Clock, TrailConfig

TRAIL = TrailConfig(
    name="audit",
    arn="arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit",
    home_region="eu-west-1",
    bucket="logs",
    key_prefix="",
    log_group_arn="arn:aws:logs:eu-west-1:123456789012:log-group:trail-events:*",
    role_arn="",
    kms_key_id="",
    validation=True,
    multi_region=False,
    global_events=True,
    logging=True,
    management="All",
    data_prefixes=("arn:aws:s3:::source/",),
)


def management(source: str = "codebuild.amazonaws.com", region: str = "eu-west-1", *, read: bool) -> dict[str, Any]:
    return {"eventSource": source, "awsRegion": region, "managementEvent": True, "readOnly": read}


def data(arn: str) -> dict[str, Any]:
    bucket = arn.split(":::", 1)[1].split("/", 1)[0]
    return {
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "eu-west-1",
        "managementEvent": False,
        "readOnly": True,
        "resources": [
            {"type": "AWS::S3::Object", "ARN": arn},
            {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
    }


def test_a_single_region_trail_takes_its_region_and_global_events_only() -> None:
    assert TRAIL.selects(management(read=False))
    assert not TRAIL.selects(management(region="us-west-2", read=False))
    assert TRAIL.selects(management("iam.amazonaws.com", "us-east-1", read=False))
    assert not replace(TRAIL, global_events=False).selects(management("iam.amazonaws.com", "us-east-1", read=False))
    assert replace(TRAIL, multi_region=True).selects(management(region="us-west-2", read=False))


@pytest.mark.parametrize(
    ("kind", "read", "write"),
    [("All", True, True), ("ReadOnly", True, False), ("WriteOnly", False, True), ("none", False, False)],
)
def test_management_read_write_type(kind: str, read: bool, write: bool) -> None:
    trail = replace(TRAIL, management=kind)

    assert trail.selects(management(read=True)) is read
    assert trail.selects(management(read=False)) is write


def test_data_events_by_object_prefix() -> None:
    assert TRAIL.selects(data("arn:aws:s3:::source/app.zip"))
    assert not TRAIL.selects(data("arn:aws:s3:::artifacts/app.zip"))
    assert replace(TRAIL, data_prefixes=("arn:aws:s3",)).selects(data("arn:aws:s3:::artifacts/app.zip"))
    assert not replace(TRAIL, data_prefixes=()).selects(data("arn:aws:s3:::source/app.zip"))


def test_log_group_name_from_its_arn() -> None:
    assert TRAIL.log_group_name == "trail-events"
    assert replace(TRAIL, log_group_arn="").log_group_name == ""


def test_the_clock_only_moves_forward() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = Clock(start)

    assert clock.advance(90) == start + timedelta(seconds=90)
    assert clock.advance(timedelta(hours=1)) == start + timedelta(seconds=3690)
    with pytest.raises(ValueError, match="never go back"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="aware UTC start"):
        Clock(datetime(2026, 1, 1))
