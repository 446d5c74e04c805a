"""Fixtures for the trail tests: a deployment with one trail whose bucket carries CloudTrail's bucket policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.model.definition import Definition
from harness.trail.config import Clock
from harness.trail.service import CloudTrailEmulator
from tests.conftest import definition

CLOUDTRAIL_POLICY = """
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: AWSCloudTrailAclCheck
          Effect: Allow
          Principal: {{Service: cloudtrail.amazonaws.com}}
          Action: s3:GetBucketAcl
          Resource: "${{buckets.logs.arn}}"
        - Sid: AWSCloudTrailWrite
          Effect: Allow
          Principal: {{Service: cloudtrail.amazonaws.com}}
          Action: s3:PutObject
          Resource: "${{buckets.logs.arn}}/{resource_prefix}AWSLogs/${{account_id}}/*"
          Condition:
            StringEquals:
              "s3:x-amz-acl": bucket-owner-full-control
              "aws:SourceArn": "arn:${{partition}}:cloudtrail:${{region}}:${{account_id}}:trail/${{prefix}}audit"
{deny}"""

# The strongest protection of delivered log files a bucket policy gives: nobody may delete them.
DENY_DELETION = """
        - Sid: DenyLogDeletion
          Effect: Deny
          Principal: "*"
          Action: s3:DeleteObject
          Resource: "${buckets.logs.arn}/*"
"""

TRAIL = """
buckets:
  logs:
{policy}
  data: {{}}
log_groups:
  trail: {{}}
roles:
  trail-logs:
    assumed_by: cloudtrail.amazonaws.com
{role_policy}
keys:
  trail:
{key_policy}
trails:
  audit:
    bucket: logs
    s3_key_prefix: "{key_prefix}"
    log_group: trail
    cloudwatch_role: trail-logs
    kms_key: trail
    log_file_validation: {validation}
    management_events: {management}
    data_events: ["${{buckets.data.arn}}/"]
"""

# An hour ago, on the hour: recent enough for CloudWatch Logs (which refuses events older than 14 days).
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


ROLE_POLICY = """
    policies:
      deliver:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"]
            Resource: "${log_groups.trail.arn}:*"
"""


KEY_POLICY = """
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: Account
          Effect: Allow
          Principal: {AWS: "arn:${partition}:iam::${account_id}:root"}
          Action: "kms:*"
          Resource: "*"
        - Sid: CloudTrailEncrypts
          Effect: Allow
          Principal: {Service: cloudtrail.amazonaws.com}
          Action: "kms:GenerateDataKey*"
          Resource: "*"
          Condition:
            StringLike:
              "kms:EncryptionContext:aws:cloudtrail:arn": "arn:${partition}:cloudtrail:*:${account_id}:trail/*"
"""


def trail_definition(
    *,
    policy: bool = True,
    key_prefix: str = "",
    validation: bool = True,
    management: str = "All",
    role_policy: bool = True,
    key_policy: bool = True,
    deny_deletion: bool = False,
) -> Definition:
    """Buckets ``logs`` (CloudTrail's policy unless ``policy`` is false, denying everyone s3:DeleteObject when
    ``deny_deletion``) and ``data``, and the trail ``audit``.

    The trail delivers to log group ``trail`` through role ``trail-logs`` (allowed to unless ``role_policy`` is
    false) and encrypts with key ``trail`` (whose policy lets CloudTrail use it unless ``key_policy`` is false).
    """
    body = (
        CLOUDTRAIL_POLICY.format(
            resource_prefix=f"{key_prefix}/" if key_prefix else "",
            deny=DENY_DELETION.lstrip("\n") if deny_deletion else "",
        )
        if policy
        else "    {}"
    )
    text = TRAIL.format(
        policy=body.rstrip("\n") if policy else "    tags: {team: blue}",
        key_prefix=key_prefix,
        validation=str(validation).lower(),
        management=management,
        role_policy=ROLE_POLICY.strip("\n") if role_policy else "    description: no permissions",
        key_policy=KEY_POLICY.strip("\n") if key_policy else "    description: the default key policy",
    )
    return definition(text)


@pytest.fixture
def deploy(backend: Backend) -> Iterator[Deployment]:
    """A deployment recorded by a seeded emulator on a clock starting at START; call ``apply`` on it."""
    deployment = Deployment(backend)
    deployment.trail = CloudTrailEmulator(backend, clock=Clock(START), seed=7)
    with deployment.observed():
        yield deployment
    # What the deployment switched on for its life (moto's bucket-policy check made neutral) is switched back.
    while deployment.cleanups:
        deployment.cleanups.pop()()


def apply(deployment: Deployment, d: Definition) -> Deployment:
    """Deploy ``d`` into the deployment and return it."""
    deployment.definition = d
    deployment.apply()
    return deployment
