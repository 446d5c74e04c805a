"""Handlers of ECR repositories and Lambda functions on moto, beyond the common create/update/delete/drift cases."""

from __future__ import annotations

import io
import zipfile

from harness.backends import Backend
from harness.provider.lifecycle import Provider
from harness.provider.resources.lambda_function import STAND_IN_FILE, deployed_runtime
from tests.conftest import definition

RUNNER = """
roles:
  runner:
    assumed_by: lambda.amazonaws.com
"""


def _configuration(backend: Backend, provider: Provider, name: str) -> dict[str, object]:
    found: dict[str, object] = backend.client("lambda").get_function_configuration(
        FunctionName=f"{provider.prefix}{name}"
    )
    return found


def test_a_deprecated_runtime_is_deployed_as_a_supported_one_of_the_same_language(
    backend: Backend, provider: Provider
) -> None:
    d = definition(
        RUNNER
        + """
functions:
  legacy: {role: runner, runtime: python2.7, handler: index.handler, package: s3://builds/legacy.zip}
  node: {role: runner, runtime: nodejs12.x, handler: index.handler}
  go: {role: runner, runtime: go1.x, handler: main}
"""
    )
    provider.apply(d)
    runtimes = {n: _configuration(backend, provider, n)["Runtime"] for n in ("legacy", "node", "go")}
    assert runtimes == {"legacy": "python3.12", "node": "nodejs20.x", "go": "provided.al2023"}
    assert provider.state["functions.legacy"].attribute("runtime") == "python2.7"
    assert deployed_runtime("python3.12") == "python3.12"
    assert provider.plan(d).empty


def test_inline_code_is_packaged_as_written_and_a_missing_package_gets_the_stand_in() -> None:
    from harness.provider.resources.lambda_function import Function, package_bytes

    inline = Function("a", role="r", runtime="python3.12", handler="index.handler", code="def handler(e, c): pass\n")
    with zipfile.ZipFile(io.BytesIO(package_bytes(inline, inline.code))) as archive:
        assert archive.namelist() == ["index.py"]
        assert archive.read("index.py") == b"def handler(e, c): pass\n"
    outside = Function("b", role="r", runtime="nodejs20.x", handler="index.handler", package="s3://builds/b.zip")
    with zipfile.ZipFile(io.BytesIO(package_bytes(outside, ""))) as archive:
        assert archive.namelist() == [STAND_IN_FILE]
    # The same definition gives the same package, so a re-plan sees no change in the code.
    assert package_bytes(outside, "") == package_bytes(outside, "")


def test_a_function_in_declared_subnets_with_its_own_key(backend: Backend, provider: Provider) -> None:
    d = definition(
        RUNNER
        + """
keys:
  env: {}
vpcs:
  v: {cidr: 10.0.0.0/16}
subnets:
  private: {vpc: v, cidr: 10.0.1.0/24}
security_groups:
  fn: {vpc: v}
functions:
  placed:
    role: runner
    runtime: python3.12
    handler: index.handler
    kms_key: env
    vpc: {subnets: [private], security_groups: [fn]}
"""
    )
    provider.apply(d)
    config = _configuration(backend, provider, "placed")
    vpc = config["VpcConfig"]
    assert isinstance(vpc, dict)
    assert vpc["SubnetIds"] == [provider.state["subnets.private"].physical_id]
    assert vpc["SecurityGroupIds"] == [provider.state["security_groups.fn"].physical_id]
    assert config["KMSKeyArn"] == provider.state["keys.env"].arn


def test_an_ecr_repository_with_its_own_key_is_replaced_when_its_encryption_changes(
    backend: Backend, provider: Provider
) -> None:
    before = definition("keys:\n  images: {}\necr_repositories:\n  app: {encryption: KMS, kms_key: images}\n")
    provider.apply(before)
    found = backend.client("ecr").describe_repositories(repositoryNames=[f"{provider.prefix}app"])["repositories"][0]
    assert found["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": provider.state["keys.images"].arn}
    after = definition("keys:\n  images: {}\necr_repositories:\n  app: {encryption: AES256}\n")
    plan = provider.apply(after)
    assert [d.field for d in plan.for_address("ecr_repositories.app").diffs] == ["encryption"]  # type: ignore[union-attr]
    found = backend.client("ecr").describe_repositories(repositoryNames=[f"{provider.prefix}app"])["repositories"][0]
    assert found["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert provider.state["ecr_repositories.app"].attribute("uri") == (
        f"{backend.account_id}.dkr.ecr.{backend.region}.amazonaws.com/{provider.prefix}app"
    )


def test_a_rule_and_the_function_it_invokes_name_each_other(backend: Backend, provider: Provider) -> None:
    # The rule's target is the function; the function's policy names the rule: the permission waits for the rule.
    d = definition(
        RUNNER
        + """
functions:
  fn:
    role: runner
    runtime: python3.12
    handler: index.handler
    permissions:
      - {sid: FromNightly, principal: events.amazonaws.com, source_arn: "${event_rules.nightly.arn}"}
event_rules:
  nightly:
    schedule: rate(1 day)
    targets:
      - function: fn
        input_transformer: {template: '{"run": <time>}', paths: {time: $.time}}
"""
    )
    provider.apply(d)
    rule_arn = provider.state["event_rules.nightly"].arn
    policy = backend.client("lambda").get_policy(FunctionName=f"{provider.prefix}fn")["Policy"]
    assert rule_arn in policy
    (target,) = backend.client("events").list_targets_by_rule(Rule=f"{provider.prefix}nightly")["Targets"]
    assert target["Arn"] == provider.state["functions.fn"].arn
    assert target["InputTransformer"] == {"InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"run": <time>}'}
    assert backend.client("events").describe_rule(Name=f"{provider.prefix}nightly")["ScheduleExpression"] == (
        "rate(1 day)"
    )
    assert provider.plan(d).empty


def test_a_rule_starting_a_pipeline_keeps_the_role_it_is_called_with(backend: Backend, provider: Provider) -> None:
    d = definition(
        """
roles:
  pipeline: {assumed_by: codepipeline.amazonaws.com}
  events: {assumed_by: events.amazonaws.com}
  other-events: {assumed_by: events.amazonaws.com}
buckets:
  artifacts: {}
pipelines:
  release:
    role: pipeline
    artifact_store: {bucket: artifacts}
    stages:
      - name: Source
        actions:
          - {name: Source, category: Source, provider: S3, output_artifacts: [src],
             configuration: {S3Bucket: "${buckets.artifacts.name}", S3ObjectKey: s.zip}}
      - name: Approve
        actions: [{name: Approve, category: Approval, provider: Manual}]
event_rules:
  on-push:
    pattern: {source: [aws.codecommit]}
    targets: [{pipeline: release, role: events, id: start}]
"""
    )
    provider.apply(d)
    (target,) = backend.client("events").list_targets_by_rule(Rule=f"{provider.prefix}on-push")["Targets"]
    assert (target["Id"], target["Arn"], target["RoleArn"]) == (
        "start",
        provider.state["pipelines.release"].arn,
        provider.state["roles.events"].arn,
    )
    # Someone points the target at another role behind the harness's back: the plan shows it.
    backend.client("events").put_targets(
        Rule=f"{provider.prefix}on-push",
        Targets=[{**target, "RoleArn": provider.state["roles.other-events"].arn}],
    )
    change = provider.plan(d).for_address("event_rules.on-push")
    assert change is not None and [diff.field for diff in change.diffs] == ["targets"]
