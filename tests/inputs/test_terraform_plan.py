"""Terraform plan loader: each aws_* type, unknown values rebuilt from references, modules, count and for_each."""

from __future__ import annotations

import json
from typing import Any

from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.registry import Registry
from harness.provider.resources.codebuild_project import BuildProject
from harness.provider.resources.iam_role import PIPELINE_SERVICES
from tests.inputs.conftest import named, only
from tests.inputs.tfplan import R, caller, doc, plan, ref, role, trust

UNVERIFIED = "not modelled; scenarios depending on it are unverified"


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def test_supported_and_folded_types_are_listed() -> None:
    assert set(Registry.discover().tf_types()) == {
        "aws_iam_role",
        "aws_iam_policy",
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_cloudwatch_log_group",
        "aws_codebuild_project",
        "aws_codepipeline",
        "aws_sns_topic",
        "aws_cloudtrail",
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_metric_alarm",
        "aws_codecommit_repository",
        "aws_vpc",
        "aws_subnet",
        "aws_route_table",
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_vpc_peering_connection",
        "aws_vpc_endpoint",
        "aws_security_group",
        "aws_network_acl",
        "aws_secretsmanager_secret",
        "aws_ssm_parameter",
        "aws_db_subnet_group",
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_ecr_repository",
        "aws_lambda_function",
        "aws_cloudwatch_event_rule",
        "aws_codestarconnections_connection",
        "aws_codeconnections_connection",
        "aws_codebuild_report_group",
        "aws_securityhub_account",
        "aws_iam_user",
        "aws_iam_group",
        "aws_iam_instance_profile",
        "aws_iam_openid_connect_provider",
        "aws_iam_saml_provider",
    }
    assert set(Registry.discover().tf_folded()) == {
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_sns_topic_policy",
        "aws_kms_alias",
        "aws_route",
        "aws_route_table_association",
        "aws_network_acl_association",
        "aws_network_acl_rule",
        "aws_internet_gateway_attachment",
        "aws_vpc_peering_connection_accepter",
        "aws_vpc_endpoint_route_table_association",
        "aws_vpc_endpoint_policy",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_eip",
        "aws_secretsmanager_secret_version",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_notification",
        "aws_ecr_repository_policy",
        "aws_ecr_lifecycle_policy",
        "aws_lambda_permission",
        "aws_cloudwatch_event_target",
        "aws_securityhub_standards_subscription",
        "aws_iam_user_policy",
        "aws_iam_user_policy_attachment",
        "aws_iam_user_group_membership",
        "aws_iam_user_login_profile",
        "aws_iam_access_key",
        "aws_iam_group_policy",
        "aws_iam_group_policy_attachment",
        "aws_iam_group_membership",
        "aws_iam_policy_attachment",
    }


def test_role_with_inline_policy_blocks_boundary_path_description_and_tags() -> None:
    boundary = R(
        "aws_iam_policy",
        "boundary",
        {"name": "acme-boundary", "path": "/", "policy": doc("s3:*"), "description": "b"},
        unknown={"arn": True, "id": True, "policy_id": True},
    )
    build = role(
        values={
            "path": "/ci/",
            "description": "builds",
            "tags": {"team": "ci"},
            "inline_policy": [{"name": "logs", "policy": doc("logs:PutLogEvents")}],
            "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "max_session_duration": 3600,
        },
        expressions={"permissions_boundary": ref("aws_iam_policy.boundary.arn", "aws_iam_policy.boundary")},
    )
    build.unknown["permissions_boundary"] = True
    definition = load(plan(boundary, build))
    r = named(definition, "roles", "build")
    assert r.trust_policy["Statement"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert r.policies == {
        "logs": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}],
        }
    }
    assert r.managed_policies == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert r.permissions_boundary == "boundary"
    assert (r.path, r.description, r.tags) == ("/ci/", "builds", {"team": "ci"})
    policy = named(definition, "policies", "boundary")
    assert (policy.document["Statement"][0]["Action"], policy.description) == ("s3:*", "b")
    assert not [n for n in definition.notes if "max_session_duration" in n]


def test_role_policy_and_attachment_fold_into_the_role() -> None:
    shared = R("aws_iam_policy", "shared", {"name": "acme-shared", "policy": doc()}, unknown={"arn": True})
    inline = R("aws_iam_role_policy", "extra", {"name": "extra", "role": "acme-build", "policy": doc("s3:PutObject")})
    attach = R(
        "aws_iam_role_policy_attachment",
        "shared",
        {"role": "acme-build"},
        unknown={"policy_arn": True, "id": True},
        expressions={"policy_arn": ref("aws_iam_policy.shared.arn", "aws_iam_policy.shared")},
    )
    definition = load(plan(role(), shared, inline, attach))
    r = only(definition, "roles")
    assert r.policies["extra"]["Statement"][0]["Action"] == "s3:PutObject"
    assert r.managed_policies == ("shared",)


def test_bucket_and_its_split_configuration_resources() -> None:
    key = R("aws_kms_key", "k", {"enable_key_rotation": True}, unknown={"arn": True, "id": True, "key_id": True})
    bucket = R(
        "aws_s3_bucket",
        "artifacts",
        {"bucket": "acme-artifacts", "tags": {"a": "b"}, "force_destroy": False},
        unknown={"arn": True, "id": True, "versioning": True},
    )
    sse = R(
        "aws_s3_bucket_server_side_encryption_configuration",
        "artifacts",
        {
            "bucket": "acme-artifacts",
            "rule": [
                {"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}
            ],
        },
        unknown={"rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": True}]}]},
        expressions={
            "rule": [
                {
                    "apply_server_side_encryption_by_default": [
                        {"kms_master_key_id": ref("aws_kms_key.k.arn", "aws_kms_key.k")}
                    ]
                }
            ]
        },
    )
    block = R(
        "aws_s3_bucket_public_access_block",
        "artifacts",
        {"bucket": "acme-artifacts", "block_public_acls": True, "restrict_public_buckets": True},
    )
    versioning = R(
        "aws_s3_bucket_versioning",
        "artifacts",
        {"bucket": "acme-artifacts", "versioning_configuration": [{"status": "Enabled"}]},
    )
    policy = R(
        "aws_s3_bucket_policy",
        "artifacts",
        {"bucket": "acme-artifacts", "policy": doc("s3:GetObject", "arn:aws:s3:::acme-artifacts/*")},
    )
    definition = load(plan(key, bucket, sse, block, versioning, policy))
    b = only(definition, "buckets")
    assert b.name == "artifacts"
    assert (b.encryption.algorithm, b.encryption.kms_key, b.encryption.bucket_key) == ("aws:kms", "k", True)
    p = b.public_access_block
    assert (p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets) == (
        True,
        False,
        False,
        True,
    )
    assert b.versioning is True
    assert b.tags == {"a": "b"}
    assert b.policy["Statement"][0]["Resource"] == "arn:${partition}:s3:::${physical:buckets/artifacts}/*"


def test_kms_key_defaults_to_no_rotation_and_alias_is_noted() -> None:
    key = R(
        "aws_kms_key",
        "k",
        {"description": "d", "policy": doc("kms:*"), "tags": {"a": "b"}, "deletion_window_in_days": 7},
        unknown={"arn": True, "key_id": True},
    )
    alias = R(
        "aws_kms_alias",
        "k",
        {"name": "alias/acme"},
        unknown={"target_key_id": True},
        expressions={"target_key_id": ref("aws_kms_key.k.key_id", "aws_kms_key.k")},
    )
    definition = load(plan(key, alias))
    k = only(definition, "keys")
    assert (k.description, k.rotation, k.tags) == ("d", False, {"a": "b"})
    assert k.policy["Statement"][0]["Action"] == "kms:*"
    assert f"aws_kms_key.k.deletion_window_in_days: {UNVERIFIED}" in definition.notes
    assert (
        "aws_kms_alias.k (aws_kms_alias): 'alias/acme'; the harness addresses keys by its own alias "
        "(alias/<prefix><name>), so this alias is not created"
    ) in definition.notes


def test_log_group_retention_zero_means_never_expire_and_key_reference() -> None:
    key = R("aws_kms_key", "k", {}, unknown={"arn": True})
    forever = R("aws_cloudwatch_log_group", "forever", {"name": "/a", "retention_in_days": 0})
    kept = R(
        "aws_cloudwatch_log_group",
        "kept",
        {"name": "/b", "retention_in_days": 90},
        unknown={"kms_key_id": True},
        expressions={"kms_key_id": ref("aws_kms_key.k.arn", "aws_kms_key.k")},
    )
    definition = load(plan(key, forever, kept))
    assert named(definition, "log_groups", "forever").retention_days is None
    group = named(definition, "log_groups", "kept")
    assert (group.retention_days, group.kms_key) == (90, "k")


def _project(**values: Any) -> R:
    base = {
        "name": "acme-build",
        "description": "the build",
        "build_timeout": 20,
        "source": [{"type": "CODEPIPELINE", "buildspec": "version: 0.2\n"}],
        "artifacts": [{"type": "CODEPIPELINE"}],
        "environment": [
            {
                "compute_type": "BUILD_GENERAL1_SMALL",
                "image": "aws/codebuild/standard:7.0",
                "type": "LINUX_CONTAINER",
                "privileged_mode": True,
                "environment_variable": [{"name": "TOKEN", "value": "/ci/token", "type": "PARAMETER_STORE"}],
            }
        ],
        "logs_config": [
            {
                "cloudwatch_logs": [{"status": "ENABLED", "group_name": "/ci/build", "stream_name": "b"}],
                "s3_logs": [{"status": "ENABLED", "location": "acme-reports/logs", "encryption_disabled": False}],
            }
        ],
        "vpc_config": [{"vpc_id": "vpc-1", "subnets": ["subnet-1"], "security_group_ids": ["sg-1"]}],
        "cache": [{"type": "S3", "location": "acme-reports/cache"}],
        "tags": {"a": "b"},
    }
    base.update(values)
    return R(
        "aws_codebuild_project",
        "build",
        base,
        unknown={"arn": True, "service_role": True},
        expressions={"service_role": ref("aws_iam_role.build.arn", "aws_iam_role.build")},
    )


def test_codebuild_project_maps_every_modelled_attribute() -> None:
    group = R("aws_cloudwatch_log_group", "build", {"name": "/ci/build", "retention_in_days": 30})
    reports = R("aws_s3_bucket", "reports", {"bucket": "acme-reports"})
    definition = load(plan(role(), group, reports, _project()))
    p = only(definition, "build_projects")
    assert (p.service_role, p.timeout_minutes, p.description, p.buildspec) == (
        "build",
        20,
        "the build",
        "version: 0.2\n",
    )
    env = p.environment
    assert (env.image, env.compute_type, env.type, env.privileged_mode) == (
        "aws/codebuild/standard:7.0",
        "BUILD_GENERAL1_SMALL",
        "LINUX_CONTAINER",
        True,
    )
    assert [(v.name, v.value, v.type) for v in env.variables] == [("TOKEN", "/ci/token", "PARAMETER_STORE")]
    assert (p.logs.cloudwatch.group, p.logs.cloudwatch.stream_prefix, p.logs.cloudwatch.enabled) == ("build", "b", True)
    assert (p.logs.s3.bucket, p.logs.s3.prefix, p.logs.s3.encrypted) == ("reports", "logs", True)
    assert (p.vpc.vpc_id, p.vpc.subnets, p.vpc.security_groups) == ("vpc-1", ("subnet-1",), ("sg-1",))
    assert p.tags == {"a": "b"}
    assert f"aws_codebuild_project.build.cache: {UNVERIFIED}" in definition.notes


def _pipeline() -> R:
    return R(
        "aws_codepipeline",
        "release",
        {
            "name": "acme-release",
            "artifact_store": [{"location": "acme-artifacts", "type": "S3", "encryption_key": []}],
            "stage": [
                {
                    "name": "Source",
                    "action": [
                        {
                            "name": "Source",
                            "category": "Source",
                            "owner": "AWS",
                            "provider": "S3",
                            "version": "1",
                            "run_order": 1,
                            "configuration": {"S3Bucket": "acme-artifacts", "S3ObjectKey": "src.zip"},
                            "output_artifacts": ["src"],
                            "input_artifacts": [],
                        }
                    ],
                },
                {
                    "name": "Build",
                    "action": [
                        {
                            "name": "Build",
                            "category": "Build",
                            "owner": "AWS",
                            "provider": "CodeBuild",
                            "version": "1",
                            "run_order": 2,
                            "configuration": {"ProjectName": "acme-build"},
                            "input_artifacts": ["src"],
                            "output_artifacts": [],
                        }
                    ],
                },
            ],
        },
        unknown={"arn": True, "role_arn": True},
        expressions={"role_arn": ref("aws_iam_role.build.arn", "aws_iam_role.build")},
    )


def test_codepipeline_maps_role_store_stages_and_actions() -> None:
    bucket = R("aws_s3_bucket", "artifacts", {"bucket": "acme-artifacts"})
    definition = load(plan(role(), bucket, _project(logs_config=[], vpc_config=[]), _pipeline()))
    p = only(definition, "pipelines")
    assert (p.role, p.artifact_store.bucket, p.artifact_store.kms_key) == ("build", "artifacts", None)
    assert [s.name for s in p.stages] == ["Source", "Build"]
    source = p.stages[0].actions[0]
    assert source.configuration == {"S3Bucket": "${buckets.artifacts.name}", "S3ObjectKey": "src.zip"}
    assert source.output_artifacts == ("src",)
    build = p.stages[1].actions[0]
    assert (build.provider, build.run_order, build.input_artifacts) == ("CodeBuild", 2, ("src",))
    assert build.configuration == {"ProjectName": "${build_projects.build.name}"}


def test_sns_topic_and_topic_policy() -> None:
    key = R("aws_kms_key", "k", {}, unknown={"id": True, "key_id": True})
    topic = R(
        "aws_sns_topic",
        "alerts",
        {"name": "acme-alerts", "fifo_topic": False, "tags": {"a": "b"}},
        unknown={"arn": True, "kms_master_key_id": True},
        expressions={"kms_master_key_id": ref("aws_kms_key.k.id", "aws_kms_key.k")},
    )
    policy = R(
        "aws_sns_topic_policy",
        "alerts",
        {"policy": doc("sns:Publish", "arn:aws:sns:eu-west-1:111122223333:acme-alerts")},
        unknown={"arn": True},
        expressions={"arn": ref("aws_sns_topic.alerts.arn", "aws_sns_topic.alerts")},
    )
    definition = load(plan(key, topic, policy, data=caller()))
    t = only(definition, "topics")
    assert (t.kms_key, t.tags) == ("k", {"a": "b"})
    # The plan's account and region become deploy-time values; the topic's own ARN is spelled for creation.
    assert (
        t.policy["Statement"][0]["Resource"] == "arn:${partition}:sns:${region}:${account_id}:${physical:topics/alerts}"
    )


def test_account_and_region_from_data_sources_become_deploy_time_values() -> None:
    build = role(
        values={
            "inline_policy": [{"name": "p", "policy": doc("logs:*", "arn:aws:logs:eu-west-1:111122223333:log-group:x")}]
        }
    )
    r = only(load(plan(build, data=caller())), "roles")
    assert r.policies["p"]["Statement"][0]["Resource"] == "arn:${partition}:logs:${region}:${account_id}:log-group:x"


def test_count_instances_refer_to_the_instance_with_the_same_index() -> None:
    roles = [role(index=i, values={"name": f"acme-build-{i}"}) for i in (0, 1)]
    projects = []
    for i in (0, 1):
        p = _project(name=f"acme-build-{i}", logs_config=[], vpc_config=[])
        p.index = i
        p.expressions = {"service_role": ref("aws_iam_role.build", "count.index")}
        projects.append(p)
    definition = load(plan(*roles, *projects))
    assert [(r.name, r.service_role) for r in definition.of_type(BuildProject)] == [
        ("build-0", "build-0"),
        ("build-1", "build-1"),
    ]


def test_for_each_keys_and_modules_make_the_logical_names() -> None:
    buckets = [
        R("aws_s3_bucket", "store", {"bucket": f"acme-{k}"}, module="module.ci", index=k) for k in ("src", "out")
    ]
    names = sorted(b.name for b in load(plan(*buckets)).resources)
    assert names == ["ci-store-out", "ci-store-src"]


def test_module_variable_is_followed_to_the_resource_in_the_caller() -> None:
    project = _project(logs_config=[], vpc_config=[])
    project.module = "module.ci"
    project.expressions = {"service_role": ref("var.role_arn")}
    calls = {"ci": {"expressions": {"role_arn": ref("aws_iam_role.build.arn", "aws_iam_role.build")}}}
    assert only(load(plan(role(), project, module_calls=calls)), "build_projects").service_role == "build"


def test_module_output_is_followed_to_the_resource_in_the_module() -> None:
    inner = role(module="module.ci")
    project = _project(logs_config=[], vpc_config=[])
    project.expressions = {"service_role": ref("module.ci.role_arn", "module.ci")}
    calls = {
        "ci": {"module": {"outputs": {"role_arn": {"expression": ref("aws_iam_role.build.arn", "aws_iam_role.build")}}}}
    }
    assert only(load(plan(inner, project, module_calls=calls)), "build_projects").service_role == "ci-build"


def test_value_unknown_until_apply_that_cannot_be_rebuilt_is_noted() -> None:
    build = role()
    inline = R(
        "aws_iam_role_policy",
        "p",
        {"name": "p", "role": "acme-build"},
        unknown={"policy": True},
        expressions={"policy": ref("aws_s3_bucket.a.arn", "aws_s3_bucket.a", "aws_s3_bucket.b.arn", "aws_s3_bucket.b")},
    )
    a = R("aws_s3_bucket", "a", {"bucket": "acme-a"})
    b = R("aws_s3_bucket", "b", {"bucket": "acme-b"})
    definition = load(plan(build, inline, a, b))
    assert only(definition, "roles").policies == {}
    assert (
        "aws_iam_role_policy.p.policy: known only after apply (built from aws_s3_bucket.a, aws_s3_bucket.b), and not "
        "derivable from the plan; scenarios that depend on it are unverified" in definition.notes
    )


def test_unsupported_types_are_reported_by_address() -> None:
    others = [
        R("aws_glue_catalog_database", "main", {"name": "events"}),
        R("aws_glue_job", "build", {"name": "etl"}, module="module.net"),
        R("random_id", "suffix", {"byte_length": 4}),
    ]
    notes = load(plan(role(), *others)).notes
    assert f"aws_glue_catalog_database.main (aws_glue_catalog_database): resource type {UNVERIFIED}" in notes
    assert f"module.net.aws_glue_job.build (aws_glue_job): resource type {UNVERIFIED}" in notes
    assert "random_id.suffix (random_id): not an AWS resource; ignored" in notes


def test_resources_planned_for_deletion_are_left_out() -> None:
    gone = R("aws_cloudwatch_log_group", "old", {"name": "/old"}, actions=("delete",))
    assert [str(r.address) for r in load(plan(role(), gone)).resources] == ["roles.build"]


def test_unknown_trust_policy_deploys_a_stand_in_trust_and_is_unknown() -> None:
    build = R(
        "aws_iam_role",
        "build",
        {"name": "acme-build"},
        unknown={"assume_role_policy": True},
        expressions={"assume_role_policy": ref("data.aws_iam_policy_document.trust.json")},
    )
    definition = load(plan(build))
    role = only(definition, "roles")
    assert role.trust_policy["Statement"][0]["Principal"]["Service"] == list(PIPELINE_SERVICES)
    assert [(u.address, u.aspect, u.reason) for u in definition.unknowns] == [
        (
            "roles.build",
            "trust_policy",
            "aws_iam_role.build.assume_role_policy is known only after apply (built from "
            "data.aws_iam_policy_document.trust.json)",
        )
    ]
    assert (
        "aws_iam_role.build.assume_role_policy: known only after apply (built from "
        "data.aws_iam_policy_document.trust.json), and not derivable from the plan; scenarios that depend on it are "
        "unverified" in definition.notes
    )


def test_trust_helper_is_a_codebuild_trust() -> None:
    assert json.loads(trust())["Statement"][0]["Principal"]["Service"] == "codebuild.amazonaws.com"


def test_cloudtrail_metric_filter_and_alarm() -> None:
    bucket = R("aws_s3_bucket", "trail", {"bucket": "acme-trail"})
    group = R("aws_cloudwatch_log_group", "trail", {"name": "/acme/trail"}, unknown={"arn": True})
    to_logs = role("to_logs", values={"assume_role_policy": trust("cloudtrail.amazonaws.com")})
    topic = R("aws_sns_topic", "alerts", {"name": "acme-alerts"}, unknown={"arn": True})
    trail = R(
        "aws_cloudtrail",
        "main",
        {
            "name": "acme-trail",
            "s3_bucket_name": "acme-trail",
            "s3_key_prefix": "audit",
            "enable_log_file_validation": False,
            "is_multi_region_trail": True,
            "include_global_service_events": True,
            "enable_logging": True,
            "event_selector": [
                {
                    "read_write_type": "All",
                    "include_management_events": True,
                    "data_resource": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::acme-trail/"]}],
                }
            ],
        },
        unknown={"cloud_watch_logs_group_arn": True, "cloud_watch_logs_role_arn": True, "arn": True},
        expressions={
            "cloud_watch_logs_group_arn": ref("aws_cloudwatch_log_group.trail.arn", "aws_cloudwatch_log_group.trail"),
            "cloud_watch_logs_role_arn": ref("aws_iam_role.to_logs.arn", "aws_iam_role.to_logs"),
        },
    )
    metric = R(
        "aws_cloudwatch_log_metric_filter",
        "denied",
        {
            "name": "denied",
            "pattern": '{ $.errorCode = "AccessDenied" }',
            "log_group_name": "/acme/trail",
            "metric_transformation": [
                {
                    "name": "Denied",
                    "namespace": "Security",
                    "value": "1",
                    "default_value": None,
                    "unit": "None",
                    "dimensions": None,
                }
            ],
        },
    )
    alarm = R(
        "aws_cloudwatch_metric_alarm",
        "denied",
        {
            "alarm_name": "acme-denied",
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "evaluation_periods": 1,
            "metric_name": "Denied",
            "namespace": "Security",
            "period": 60,
            "statistic": "Sum",
            "threshold": 1,
            "treat_missing_data": "notBreaching",
            "actions_enabled": True,
        },
        unknown={"alarm_actions": True},
        expressions={"alarm_actions": ref("aws_sns_topic.alerts.arn", "aws_sns_topic.alerts")},
    )
    definition = load(plan(bucket, group, to_logs, topic, trail, metric, alarm))
    t = only(definition, "trails")
    assert (t.bucket, t.s3_key_prefix, t.log_group, t.cloudwatch_role) == ("trail", "audit", "trail", "to-logs")
    assert (t.log_file_validation, t.multi_region, t.management_events) == (False, True, "All")
    assert t.data_events == ("${buckets.trail.arn}/",)
    m = only(definition, "metric_filters")
    assert (m.log_group, m.pattern, m.metric_name, m.namespace, m.unit) == (
        "trail",
        '{ $.errorCode = "AccessDenied" }',
        "Denied",
        "Security",
        None,
    )
    a = only(definition, "alarms")
    assert (a.name, a.period, a.threshold, a.treat_missing_data) == ("denied", 60, 1.0, "notBreaching")


def test_buildspec_shell_variables_are_kept_apart_from_interpolations() -> None:
    project = _project(
        source=[
            {"type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands: [echo ${STAGE}]\n"}
        ],
        logs_config=[],
        vpc_config=[],
    )
    built = only(load(plan(role(), project)), "build_projects")
    assert built.buildspec == "version: 0.2\nphases:\n  build:\n    commands: [echo $STAGE]\n"


def test_a_configured_block_unknown_as_a_whole_is_noted() -> None:
    project = _project(logs_config=[], vpc_config=[])
    del project.values["environment"]
    project.unknown["environment"] = True
    project.expressions["environment"] = [{"image": ref("var.image")}]
    definition = load(plan(role(), project))
    assert (
        "aws_codebuild_project.build.environment: known only after apply (built from var.image), and not derivable "
        "from the plan; scenarios that depend on it are unverified" in (definition.notes)
    )


def test_values_rebuilt_from_references_are_noted() -> None:
    definition = load(plan(role(), _project(logs_config=[], vpc_config=[])))
    assert (
        "aws_codebuild_project.build.service_role: known only after apply; taken as ${roles.build.arn} from the "
        "configuration's reference"
    ) in definition.notes


def test_codecommit_repository_named_by_a_source_action() -> None:
    repo = R(
        "aws_codecommit_repository",
        "app",
        {"repository_name": "acme-app", "description": "d", "default_branch": "main"},
        unknown={"arn": True, "clone_url_http": True, "repository_id": True},
    )
    definition = load(plan(repo))
    r = only(definition, "repositories")
    assert (r.name, r.description, r.default_branch) == ("app", "d", "main")


def test_build_in_a_vpc_that_is_not_modelled_runs_outside_it_and_is_noted() -> None:
    vpc = R("aws_vpc", "main", {"cidr_block": "10.0.0.0/16"}, unknown={"id": True})
    project = _project(logs_config=[], vpc_config=[{"subnets": ["subnet-1"], "security_group_ids": ["sg-1"]}])
    project.unknown["vpc_config"] = [{"vpc_id": True}]
    project.expressions["vpc_config"] = [{"vpc_id": ref("aws_vpc.main.id", "aws_vpc.main")}]
    definition = load(plan(role(), vpc, project))
    assert only(definition, "build_projects").vpc is None
    assert (
        "aws_codebuild_project.build.vpc_config[0]: names a VPC, subnets or security groups that are not modelled; "
        "the build runs outside a VPC here and network scenarios about it are unverified"
    ) in definition.notes


def test_values_aws_refuses_empty_are_unknown_not_deployed_as_empty() -> None:
    # A redacted or hand-made plan: AWS would refuse each of these empty values, so none says what will be applied.
    group = R("aws_security_group", "app", {"name": "acme-app", "description": "", "vpc_id": "vpc-0123456789abcdef0"})
    inline = R("aws_iam_role_policy", "extra", {"name": "extra", "role": "acme-build", "policy": ""})
    attach = R("aws_iam_role_policy_attachment", "managed", {"role": "acme-build", "policy_arn": ""})
    definition = load(plan(role(), group, inline, attach))
    r = only(definition, "roles")
    assert r.policies == {} and r.managed_policies == ()
    assert only(definition, "security_groups").description == "Managed by Terraform"
    unknown = {(u.address, u.aspect) for u in definition.unknowns}
    assert {("roles.build", "policies"), ("security_groups.app", "description")} <= unknown
    assert any(
        n.startswith("aws_iam_role_policy_attachment.managed.policy_arn: empty in the plan, which AWS refuses")
        for n in definition.notes
    )
    assert any(n.startswith("aws_security_group.app.description: empty in the plan") for n in definition.notes)
