"""AWS calls from inside a build: the gateway identifies the build role, authorizes, records and forwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.runtime.build import gateway_for, start_build
from harness.runtime.gateway import Denial, WireRequest
from harness.runtime.state import set_build_clock
from tests.runtime.conftest import BUILD_ROLE_POLICY, project_definition

Deploy = Callable[[str], Deployment]

SCRIPT = """python3 - <<'PY'
import boto3
s3 = boto3.client("s3")
bucket = "BUCKET"
s3.put_object(Bucket=bucket, Key="from-build.txt", Body=b"written inside")
print("read back:", s3.get_object(Bucket=bucket, Key="from-build.txt")["Body"].read().decode())
print("keys:", [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])])
print("caller:", boto3.client("sts").get_caller_identity()["Arn"])
print("groups:", len(boto3.client("logs").describe_log_groups()["logGroups"]) > 0)
PY"""


def test_a_build_calls_s3_sts_and_logs_through_the_gateway_as_its_role(deploy: Deploy) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            *BUILD_ROLE_POLICY["Statement"],
            {"Effect": "Allow", "Action": ["s3:ListBucket", "logs:DescribeLogGroups"], "Resource": "*"},
        ],
    }
    script = SCRIPT.replace("BUCKET", "${buckets.artifacts.name}")
    pw2 = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": [script]}}}, role_policy=policy))
    bucket = f"{pw2.prefix}artifacts"
    set_build_clock(pw2, 12)  # starting Python and the SDK takes a few real seconds
    with pw2.observed():
        build = start_build(pw2, "app")
    assert build.status == "SUCCEEDED", "\n".join(build.lines)
    assert "read back: written inside" in build.lines
    assert "keys: ['from-build.txt']" in build.lines
    assert any(
        line.startswith("caller: ") and ":assumed-role/" in line and "AWSCodeBuild-" in line for line in build.lines
    )
    assert "groups: True" in build.lines
    stored = pw2.backend.client("s3").get_object(Bucket=bucket, Key="from-build.txt")["Body"].read()
    assert stored == b"written inside"
    calls = {(c.service, c.operation, c.principal) for c in pw2.evidence.calls()}
    assert ("s3", "PutObject", build.identity.arn) in calls  # type: ignore[union-attr]
    assert ("sts", "GetCallerIdentity", build.identity.arn) in calls  # type: ignore[union-attr]


def test_a_call_the_authorizer_refuses_fails_inside_the_build_and_is_recorded(deploy: Deploy) -> None:
    script = (
        'python3 -c "import boto3\n'
        "try:\n boto3.client('s3').put_object(Bucket='${buckets.artifacts.name}', Key='x', Body=b'1')\n"
        " print('ALLOWED')\n"
        "except Exception as e: print('DENIED', e.response['Error']['Code'])\""
    )
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": [script]}}}))
    seen: list[tuple[str, str, dict[str, Any]]] = []

    def deny_puts(identity: Identity, service: str, operation: str, params: dict[str, Any]) -> Denial | None:
        seen.append((service, operation, params))
        if operation == "PutObject":
            return Denial("AccessDenied", f"User: {identity.arn} is not authorized to perform: s3:PutObject")
        return None

    gateway_for(pw, deny_puts)
    set_build_clock(pw, 12)
    with pw.observed():
        build = start_build(pw, "app")
    assert "DENIED AccessDenied" in build.lines, "\n".join(build.lines)
    assert seen[0][:2] == ("s3", "PutObject") and seen[0][2]["Bucket"] == f"{pw.prefix}artifacts"
    assert seen[0][2]["Key"] == "x"
    denied = [c for c in pw.evidence.calls() if c.operation == "PutObject" and c.error_code == "AccessDenied"]
    assert denied and denied[0].principal == build.identity.arn  # type: ignore[union-attr]


def test_an_unknown_access_key_is_refused(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    gateway = gateway_for(pw)
    answer = gateway.handle(
        WireRequest(
            "POST",
            "/",
            {
                "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN/20260101/us-east-1/sts/aws4_request, x",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            b"Action=GetCallerIdentity&Version=2011-06-15",
        )
    )
    assert answer.status == 403
    assert b"InvalidClientTokenId" in answer.body


def test_query_lists_and_json_blobs_are_parsed_back_into_parameters(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    gateway = gateway_for(pw)
    sns = gateway.parse(
        WireRequest("POST", "/", {}, b"Action=TagResource&ResourceArn=arn&Tags.member.1.Key=k&Tags.member.1.Value=v"),
        "sns",
    )
    assert sns.operation == "TagResource"
    assert sns.params == {"ResourceArn": "arn", "Tags": [{"Key": "k", "Value": "v"}]}
    kms = gateway.parse(
        WireRequest("POST", "/", {"X-Amz-Target": "TrentService.Encrypt"}, b'{"KeyId": "k", "Plaintext": "aGk="}'),
        "kms",
    )
    assert kms.params == {"KeyId": "k", "Plaintext": b"hi"}
    s3 = gateway.parse(WireRequest("GET", "/bucket?list-type=2&prefix=a%2Fb", {}), "s3")
    assert (s3.operation, s3.params) == ("ListObjectsV2", {"Bucket": "bucket", "Prefix": "a/b"})


def test_a_call_the_build_role_may_not_make_is_denied_by_enforcement(deploy: Deploy) -> None:
    script = (
        'python3 -c "import boto3\n'
        "try:\n boto3.client('iam').create_user(UserName='intruder'); print('ALLOWED')\n"
        "except Exception as e: print('DENIED', e.response['Error']['Code'])\""
    )
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": [script]}}}))
    if getattr(pw, "enforcer", None) is None:
        pytest.skip("IAM enforcement is not part of this checkout")
    set_build_clock(pw, 12)
    with pw.observed():
        build = start_build(pw, "app")
    assert "DENIED AccessDenied" in build.lines, build.lines
    users = pw.backend.client("iam").list_users()["Users"]
    assert "intruder" not in [u["UserName"] for u in users]


def test_a_refused_call_from_inside_the_build_reaches_the_trail_under_the_build_session(deploy: Deploy) -> None:
    import json

    script = (
        'python3 -c "import boto3\n'
        "try:\n boto3.client('iam').create_user(UserName='intruder')\n"
        "except Exception as e: print('DENIED', e.response['Error']['Code'])\""
    )
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": [script]}}}))
    set_build_clock(pw, 12)
    with pw.observed():
        build = start_build(pw, "app")
    assert "DENIED AccessDenied" in build.lines
    found = pw.trail.lookup_events([{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])["Events"]
    assert found, "the refused CreateUser is not in the trail"
    record = json.loads(found[0]["CloudTrailEvent"])
    assert record["userIdentity"]["arn"] == build.identity.arn  # type: ignore[union-attr]
    assert record["errorCode"] == "AccessDenied"


def test_the_credentials_endpoint_serves_a_build_its_session_only_with_its_token(deploy: Deploy) -> None:
    import json

    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    gateway = gateway_for(pw)
    session = start_build(pw, "app").identity
    assert session is not None
    token = gateway.register(session)
    answer = gateway.handle(WireRequest("GET", "/pipewarden/credentials", {"Authorization": token}))
    assert answer.status == 200
    doc = json.loads(answer.body)
    assert doc["AccessKeyId"] == session.credentials.access_key_id
    assert doc["Token"] == session.credentials.session_token
    refused = gateway.handle(WireRequest("GET", "/pipewarden/credentials", {"Authorization": "guess"}))
    assert refused.status == 403
    gateway.unregister(session)
    gone = gateway.handle(WireRequest("GET", "/pipewarden/credentials", {"Authorization": token}))
    assert gone.status == 403
