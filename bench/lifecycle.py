"""Benchmark: deploy, plan and destroy a nine-resource pipeline through the harness vs the same work in raw boto3.

The raw cycle creates the same resources, reads back once every setting a plan compares (what "plan" is when done
by hand) and deletes them; the harness's cycle is an apply (which plans before and after, the second time as its
idempotency check), one more plan and a destroy. A second raw cycle reads back only a few settings per resource
(the narrower read-back this benchmark used to make) and is reported beside it.

All run in one process, on one moto backend, with clients created once and reused, interleaved round by round
so machine noise hits them alike. Prints per-cycle medians and the ratios (goal: harness <= 2x raw), for the
pipeline as it is and with AWS managed policies attached to its roles (made in the account on first use).
It also compares a backend reset with the cost of loading every AWS managed policy into the account instead.

    python bench/lifecycle.py [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from harness.backends import make_backend
from harness.inputs.harness_yaml import load_definition
from harness.model.definition import Definition
from harness.provider.lifecycle import Provider
from harness.provider.resources.iam_role import Role

# The same nine resources as ``raw_cycle`` (the packaged reference pipeline has grown far beyond them).
PIPELINE = Path(__file__).resolve().parent / "pipeline.yaml"


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# AWS managed policies attached to the pipeline's roles in the "managed" variant.
MANAGED = {
    "build": (
        "arn:aws:iam::aws:policy/AWSCodeBuildDeveloperAccess",
        "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess",
    ),
    "pipeline": ("arn:aws:iam::aws:policy/AWSCodePipeline_FullAccess",),
}


def raw_cycle(backend: Any, prefix: str, managed: bool = False, full_read: bool = True) -> None:
    """The resources of bench/pipeline.yaml created, read back once and deleted with plain boto3 calls.

    ``full_read`` reads back every setting a plan compares (as one plan does); without it, a few settings of each
    resource only (the read-back this benchmark used to make).
    """
    acct = backend.account_id
    kms, s3, logs, sns = (backend.client(s) for s in ("kms", "s3", "logs", "sns"))
    iam, codebuild, codepipeline = (backend.client(s) for s in ("iam", "codebuild", "codepipeline"))
    key = kms.create_key(Description="artifacts")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{prefix}artifacts", TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])
    for bucket in ("source", "artifacts"):
        name = f"{prefix}{bucket}"
        s3.create_bucket(Bucket=name)
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}
                ]
            },
        )
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "pipeline", "Value": "reference"}]})
    s3.put_bucket_policy(
        Bucket=f"{prefix}artifacts",
        Policy=_policy(
            [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": f"arn:aws:s3:::{prefix}artifacts/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        ),
    )
    logs.create_log_group(logGroupName=f"{prefix}build", kmsKeyId=key["Arn"])
    logs.put_retention_policy(logGroupName=f"{prefix}build", retentionInDays=365)
    topic = sns.create_topic(Name=f"{prefix}security-alerts")["TopicArn"]
    for role, service in (("build", "codebuild"), ("pipeline", "codepipeline")):
        iam.create_role(
            RoleName=f"{prefix}{role}",
            AssumeRolePolicyDocument=_policy(
                [{"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"}, "Action": "sts:AssumeRole"}]
            ),
        )
        iam.put_role_policy(
            RoleName=f"{prefix}{role}",
            PolicyName=role,
            PolicyDocument=_policy([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
        )
        for arn in MANAGED[role] if managed else ():
            iam.attach_role_policy(RoleName=f"{prefix}{role}", PolicyArn=arn)
    codebuild.create_project(
        name=f"{prefix}build",
        source={"type": "CODEPIPELINE", "location": "codepipeline", "buildspec": "version: 0.2\n"},
        artifacts={"type": "CODEPIPELINE", "location": "codepipeline"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=f"arn:aws:iam::{acct}:role/{prefix}build",
        timeoutInMinutes=15,
        logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": f"{prefix}build"}},
    )
    codepipeline.create_pipeline(
        pipeline={
            "name": f"{prefix}release",
            "roleArn": f"arn:aws:iam::{acct}:role/{prefix}pipeline",
            "artifactStore": {"type": "S3", "location": f"{prefix}artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "Source",
                            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                            "configuration": {"S3Bucket": f"{prefix}source", "S3ObjectKey": "source.zip"},
                            "outputArtifacts": [{"name": "source"}],
                        }
                    ],
                },
                {
                    "name": "Build",
                    "actions": [
                        {
                            "name": "Build",
                            "actionTypeId": {
                                "category": "Build",
                                "owner": "AWS",
                                "provider": "CodeBuild",
                                "version": "1",
                            },
                            "configuration": {"ProjectName": f"{prefix}build"},
                            "inputArtifacts": [{"name": "source"}],
                            "outputArtifacts": [{"name": "built"}],
                        }
                    ],
                },
            ],
        }
    )
    if full_read:
        _read_as_a_plan_does(backend, prefix, key["KeyId"], topic)
    else:
        _read_some(backend, prefix, key["KeyId"], topic, managed)
    # destroy
    codepipeline.delete_pipeline(name=f"{prefix}release")
    codebuild.delete_project(name=f"{prefix}build")
    for role in ("build", "pipeline"):
        for arn in MANAGED[role] if managed else ():
            iam.detach_role_policy(RoleName=f"{prefix}{role}", PolicyArn=arn)
        iam.delete_role_policy(RoleName=f"{prefix}{role}", PolicyName=role)
        iam.delete_role(RoleName=f"{prefix}{role}")
    sns.delete_topic(TopicArn=topic)
    logs.delete_log_group(logGroupName=f"{prefix}build")
    for bucket in ("source", "artifacts"):
        s3.delete_bucket(Bucket=f"{prefix}{bucket}")
    kms.delete_alias(AliasName=f"alias/{prefix}artifacts")
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)


def _read_as_a_plan_does(backend: Any, prefix: str, key_id: str, topic: str) -> None:
    """Every setting of every resource a plan compares, read once: what "plan" costs done by hand."""
    kms, s3, logs, sns = (backend.client(s) for s in ("kms", "s3", "logs", "sns"))
    iam, codebuild, codepipeline = (backend.client(s) for s in ("iam", "codebuild", "codepipeline"))
    kms.describe_key(KeyId=f"alias/{prefix}artifacts")
    kms.get_key_policy(KeyId=key_id, PolicyName="default")
    kms.get_key_rotation_status(KeyId=key_id)
    kms.list_resource_tags(KeyId=key_id)
    for bucket in (f"{prefix}source", f"{prefix}artifacts"):
        s3.get_bucket_versioning(Bucket=bucket)
        _absent_is_fine(s3.get_bucket_policy, Bucket=bucket)
        s3.get_bucket_encryption(Bucket=bucket)
        s3.get_public_access_block(Bucket=bucket)
        _absent_is_fine(s3.get_bucket_ownership_controls, Bucket=bucket)
        s3.get_bucket_acl(Bucket=bucket)
        s3.get_bucket_logging(Bucket=bucket)
        s3.get_bucket_notification_configuration(Bucket=bucket)
        s3.get_bucket_tagging(Bucket=bucket)
    logs.describe_log_groups(logGroupNamePrefix=f"{prefix}build")
    logs.list_tags_log_group(logGroupName=f"{prefix}build")
    sns.get_topic_attributes(TopicArn=topic)
    sns.list_tags_for_resource(ResourceArn=topic)
    for role in ("build", "pipeline"):
        iam.get_role(RoleName=f"{prefix}{role}")
        for name in iam.list_role_policies(RoleName=f"{prefix}{role}")["PolicyNames"]:
            iam.get_role_policy(RoleName=f"{prefix}{role}", PolicyName=name)
        iam.list_attached_role_policies(RoleName=f"{prefix}{role}")
    codebuild.batch_get_projects(names=[f"{prefix}build"])
    pipeline = codepipeline.get_pipeline(name=f"{prefix}release")
    codepipeline.list_tags_for_resource(resourceArn=pipeline["metadata"]["pipelineArn"])


def _read_some(backend: Any, prefix: str, key_id: str, topic: str, managed: bool) -> None:
    """A few settings of each resource: a narrower read-back than any plan makes."""
    kms, s3, logs, sns = (backend.client(s) for s in ("kms", "s3", "logs", "sns"))
    iam, codebuild, codepipeline = (backend.client(s) for s in ("iam", "codebuild", "codepipeline"))
    kms.describe_key(KeyId=f"alias/{prefix}artifacts")
    kms.get_key_policy(KeyId=key_id, PolicyName="default")
    for bucket in ("source", "artifacts"):
        s3.get_bucket_encryption(Bucket=f"{prefix}{bucket}")
        s3.get_public_access_block(Bucket=f"{prefix}{bucket}")
        s3.get_bucket_versioning(Bucket=f"{prefix}{bucket}")
    logs.describe_log_groups(logGroupNamePrefix=f"{prefix}build")
    sns.get_topic_attributes(TopicArn=topic)
    for role in ("build", "pipeline"):
        iam.get_role(RoleName=f"{prefix}{role}")
        iam.get_role_policy(RoleName=f"{prefix}{role}", PolicyName=role)
        if managed:
            iam.list_attached_role_policies(RoleName=f"{prefix}{role}")
    codebuild.batch_get_projects(names=[f"{prefix}build"])
    codepipeline.get_pipeline(name=f"{prefix}release")


def _absent_is_fine(call: Any, **kwargs: Any) -> None:
    """A read whose "not configured" answer is an error code (no bucket policy, no ownership controls)."""
    with contextlib.suppress(ClientError):
        call(**kwargs)


def harness_cycle(backend: Any, definition: Any, prefix: str) -> None:
    """apply (which plans before and after), one more plan, destroy."""
    provider = Provider(backend, prefix)
    provider.apply(definition)
    provider.plan(definition)
    provider.destroy(definition)


def with_managed_policies(definition: Definition) -> Definition:
    """The definition with ``MANAGED`` attached to its build and pipeline roles."""
    roles = {"build": MANAGED["build"], "pipeline": MANAGED["pipeline"]}
    resources = tuple(
        dataclasses.replace(r, managed_policies=(*r.managed_policies, *roles[r.name]))
        if isinstance(r, Role) and r.name in roles
        else r
        for r in definition.resources
    )
    return dataclasses.replace(definition, resources=resources)


def _all_managed_policies(backend: Any) -> None:
    """What a reset costs instead when every AWS managed policy is loaded into the account."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy

    for name, data in json.loads(aws_managed_policies_data).items():
        AWSManagedPolicy.from_data(name, backend.account_id, backend.region, data)


def _timed(func: Any) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


CYCLES = {
    # name: (what it runs, whether AWS managed policies are attached)
    "harness": ("harness", False),
    "raw": ("raw", False),
    "raw, narrow read-back": ("raw-narrow", False),
    "harness+managed": ("harness", True),
    "raw+managed": ("raw", True),
    "raw+managed, narrow read-back": ("raw-narrow", True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    plain = load_definition(PIPELINE)
    definitions = {False: plain, True: with_managed_policies(plain)}
    backend = make_backend("moto")
    backend.open()
    backend.reset()
    # warm up: create every client once for both paths
    harness_cycle(backend, definitions[True], "pw-warm-")
    raw_cycle(backend, "pw-rawwarm-", managed=True)

    def run(name: str, index: int) -> None:
        kind, managed = CYCLES[name]
        prefix = f"pw-{list(CYCLES).index(name)}{index:04d}-"
        if kind == "harness":
            harness_cycle(backend, definitions[managed], prefix)
        else:
            raw_cycle(backend, prefix, managed=managed, full_read=kind == "raw")

    times: dict[str, list[float]] = {name: [] for name in CYCLES}
    resets: list[float] = []
    load_all: list[float] = []
    for index in range(args.rounds):
        resets.append(_timed(backend.reset))
        for name in CYCLES:
            backend.reset()
            times[name].append(_timed(lambda n=name, i=index: run(n, i)))
        if index % 5 == 0:
            load_all.append(_timed(lambda: _all_managed_policies(backend)))
    backend.close()
    med = {k: statistics.median(v) for k, v in times.items()}

    def ratio(harness: str, raw: str) -> str:
        # The ratio of the medians, and the median of each round's ratio (the two sides ran back to back).
        paired = statistics.median(h / r for h, r in zip(times[harness], times[raw], strict=True))
        return f"{med[harness] / med[raw]:.2f}x (median of per-round ratios {paired:.2f}x)"

    print(f"rounds: {args.rounds} (deploy + plan + destroy of bench/pipeline.yaml, 9 resources)")
    for suffix, label in (
        ("", "as declared"),
        ("+managed", f"with {sum(map(len, MANAGED.values()))} AWS managed policies"),
    ):
        print(f"{label}:")
        print(f"  harness: {med['harness' + suffix] * 1000:.1f} ms per cycle (apply with its plans, plan, destroy)")
        print(
            f"  raw boto3: {med['raw' + suffix] * 1000:.1f} ms per cycle (same creates, every setting a plan "
            f"compares read back once, deletes); ratio {ratio('harness' + suffix, 'raw' + suffix)}"
        )
        narrow = f"raw{suffix}, narrow read-back"
        print(
            f"  raw boto3, narrow read-back: {med[narrow] * 1000:.1f} ms per cycle (a few settings read back); "
            f"ratio {ratio('harness' + suffix, narrow)}"
        )
    reset, every = statistics.median(resets), statistics.median(load_all)
    print(
        f"backend reset: median {reset * 1000:.1f} ms; loading every AWS managed policy into the account instead "
        f"would add {every * 1000:.0f} ms per reset ({(reset + every) / reset:.0f}x)"
    )


if __name__ == "__main__":
    main()
