"""The trail resource type: definition checks, create and read back, updates, drift, sweep."""

from __future__ import annotations

import pytest

from harness.backends import Backend
from harness.errors import InputError
from harness.model.definition import Definition
from harness.provider.lifecycle import Provider
from harness.provider.resources.cloudtrail import Trail, event_selectors, selectors_summary
from tests.conftest import definition

BASE = """
buckets:
  logs: {{}}
  data: {{}}
log_groups:
  trail: {{}}
roles:
  trail-logs: {{assumed_by: cloudtrail.amazonaws.com}}
keys:
  trail: {{}}
trails:
  audit:
{body}
"""


def trail(body: str) -> Definition:
    return definition(BASE.format(body="\n".join(f"    {line}" for line in body.strip().splitlines())))


FULL = """
bucket: logs
s3_key_prefix: org
log_group: trail
cloudwatch_role: trail-logs
kms_key: trail
log_file_validation: true
multi_region: true
management_events: ReadOnly
data_events: ["${buckets.data.arn}/"]
tags: {team: blue}
"""


def _read(provider: Provider, d: Definition) -> dict[str, object]:
    resource = d.get("trails", "audit")
    assert isinstance(resource, Trail)
    found = provider.registry.handler_for(resource).read(provider.ctx, resource)
    assert found is not None
    return found


def test_every_field_reads_back_as_declared(provider: Provider) -> None:
    d = trail(FULL)

    provider.apply(d)

    p = provider.prefix
    assert _read(provider, d) == {
        "bucket": f"{p}logs",
        "s3_key_prefix": "org",
        "log_group": f"arn:aws:logs:us-east-1:123456789012:log-group:{p}trail:*",
        "cloudwatch_role": f"arn:aws:iam::123456789012:role/{p}trail-logs",
        "kms_key": provider.state["keys.trail"].arn,
        "log_file_validation": True,
        "multi_region": True,
        "include_global_events": True,
        "management_events": "ReadOnly",
        "data_events": [f"arn:aws:s3:::{p}data/"],
        "logging": True,
        "tags": {"team": "blue"},
    }
    assert provider.state["trails.audit"].arn == f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{p}audit"


def test_clearing_the_prefix_logs_and_data_events_updates_in_place(provider: Provider) -> None:
    provider.apply(trail(FULL))
    smaller = trail("bucket: logs\nmanagement_events: none\nlogging: false")

    plan = provider.apply(smaller)

    change = plan.for_address("trails.audit")
    assert change is not None and change.action == "update"
    read = _read(provider, smaller)
    assert read["s3_key_prefix"] == "" and read["log_group"] is None and read["kms_key"] is None
    assert read["management_events"] == "none" and read["data_events"] == [] and read["logging"] is False


@pytest.mark.parametrize(
    ("drift", "field"),
    [
        (lambda ct, name: ct.stop_logging(Name=name), "logging"),
        (lambda ct, name: ct.update_trail(Name=name, EnableLogFileValidation=False), "log_file_validation"),
        (lambda ct, name: ct.put_event_selectors(TrailName=name, EventSelectors=event_selectors("WriteOnly", [])),
         "management_events"),
    ],
    ids=["stopped", "validation-off", "selectors"],
)  # fmt: skip
def test_changes_behind_the_harness_show_in_the_plan(
    provider: Provider, backend: Backend, drift: object, field: str
) -> None:
    d = trail("bucket: logs")
    provider.apply(d)

    drift(backend.client("cloudtrail"), f"{provider.prefix}audit")  # type: ignore[operator]

    change = provider.plan(d).for_address("trails.audit")
    assert change is not None and [diff.field for diff in change.diffs] == [field]
    provider.apply(d)
    assert provider.plan(d).empty


def test_sweep_finds_and_deletes_by_prefix(provider: Provider) -> None:
    d = trail("bucket: logs")
    provider.apply(d)
    handler = provider.registry.handlers["trails"]

    assert handler.list_by_prefix(provider.ctx, provider.prefix) == [f"{provider.prefix}audit"]
    handler.delete_physical(provider.ctx, f"{provider.prefix}audit")

    assert handler.list_by_prefix(provider.ctx, provider.prefix) == []
    handler.delete_physical(provider.ctx, f"{provider.prefix}audit")  # already gone: not an error


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("bucket: logs\nlog_group: trail", "both 'log_group' and 'cloudwatch_role' or neither"),
        ("bucket: logs\nmulti_region: true\ninclude_global_events: false", "include_global_events true"),
        ("bucket: logs\ndata_events: [my-bucket]", "an S3 object ARN prefix in data_events"),
        ("bucket: logs\ns3_key_prefix: /logs/", "without leading or trailing '/'"),
        ("bucket: logs\nmanagement_events: Everything", "management_events"),
        ("bucket: nowhere", "expected the name of a resource under 'buckets'"),
    ],
)
def test_bad_definitions_are_refused_with_the_fix(body: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        trail(body)


def test_selectors_summary_reads_aws_default_and_merges() -> None:
    assert selectors_summary([]) == ("All", [])
    merged = selectors_summary(
        [
            {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True, "DataResources": []},
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/"]}],
            },
        ]
    )
    assert merged == ("All", ["arn:aws:s3:::b/"])
