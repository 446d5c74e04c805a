"""Provider lifecycle on moto: ordering, plan, apply with rollback, idempotency, destroy, CheckDestroy, sweep."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend
from harness.errors import CheckFailed, DeployError, InputError
from harness.inputs.harness_yaml import load_definition
from harness.model.definition import Definition
from harness.provider.base import ProviderContext
from harness.provider.lifecycle import Change, FieldDiff, Plan, Provider
from harness.provider.registry import Registry
from harness.provider.resources.log_group import LogGroup, LogGroupHandler
from harness.scenario import fixture_path
from tests.conftest import definition

CYCLE = """
keys:
  k:
    policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: {AWS: "${roles.r.arn}"}, Action: "kms:*", Resource: "*"}
roles:
  r:
    assumed_by: codebuild.amazonaws.com
    policies:
      use:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "kms:Decrypt", Resource: "${keys.k.arn}"}
"""

LOG_GROUP = """
log_groups:
  g:
    retention_days: 30
"""


@pytest.fixture(scope="module")
def reference() -> Definition:
    return load_definition(fixture_path("reference"))


def _client_error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "refused by the test"}}, operation)


def _addresses(d: Definition) -> set[str]:
    return {str(r.address) for r in d.resources}


def _registry_with(section: str, handler: Any) -> Registry:
    return Registry({**Registry.discover().handlers, section: handler})


# -- ordering ------------------------------------------------------------------------------------------------
def test_order_puts_every_resource_after_what_it_refers_to(reference: Definition, provider: Provider) -> None:
    ordered = [str(r.address) for r in provider.order(reference)]

    assert sorted(ordered) == sorted(_addresses(reference))
    for resource in reference.resources:
        for dep in reference.dependencies(resource):
            assert ordered.index(str(dep)) < ordered.index(str(resource.address)), (dep, resource.address)
    assert ordered.index("roles.build") < ordered.index("build_projects.build") < ordered.index("pipelines.release")


def test_order_keeps_definition_order_among_independent_resources(provider: Provider) -> None:
    d = definition(
        """
        topics:
          z: {}
          a: {}
        log_groups:
          m: {}
        """
    )
    assert [str(r.address) for r in provider.order(d)] == ["topics.z", "topics.a", "log_groups.m"]


def test_a_reference_cycle_is_an_input_error_naming_the_cycle(provider: Provider) -> None:
    with pytest.raises(InputError) as caught:
        provider.order(definition(CYCLE))

    assert str(caught.value) == (
        "test.yaml:5 (keys.k): expected references without cycles, found the cycle keys.k -> roles.r -> keys.k; "
        "break it, e.g. grant the account root in the key policy and scope access in IAM policies"
    )
    with pytest.raises(InputError, match=r"found the cycle keys\.k -> roles\.r -> keys\.k"):
        provider.apply(definition(CYCLE))
    assert provider.leftovers() == []


# -- plan and apply ------------------------------------------------------------------------------------------
def test_plan_of_nothing_deployed_creates_everything_and_keeps_no_state(
    reference: Definition, provider: Provider
) -> None:
    plan = provider.plan(reference)

    assert {c.address for c in plan.changes} == _addresses(reference)
    assert {c.action for c in plan.changes} == {"create"}
    assert not plan.empty
    assert "+ roles.build (IAM role): create" in plan.render().splitlines()
    assert provider.state == {}


def test_reference_pipeline_deploys_replans_empty_and_destroys(reference: Definition, provider: Provider) -> None:
    provider.apply(reference)

    assert set(provider.state) == _addresses(reference)
    assert provider.plan(reference).render() == "no changes"
    assert provider.destroy(reference) == []
    provider.check_destroy(reference)
    assert provider.leftovers() == []


def test_a_second_provider_adopts_what_the_first_deployed(backend: Backend, provider: Provider) -> None:
    d = definition(
        """
        keys:
          k: {}
        log_groups:
          g: {kms_key: k}
        roles:
          build: {assumed_by: codebuild.amazonaws.com}
        """
    )
    provider.apply(d)
    again = Provider(backend, provider.prefix)

    plan = again.apply(d)

    assert plan.empty
    assert again.state["roles.build"].arn == provider.state["roles.build"].arn
    assert again.state["keys.k"].arn == provider.state["keys.k"].arn


def test_a_failure_half_way_rolls_back_and_names_the_resource(
    reference: Definition, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = provider.registry.handlers["pipelines"]

    def refuse(ctx: ProviderContext, resource: Any) -> Any:
        raise _client_error("InvalidStructureException", "CreatePipeline")

    monkeypatch.setattr(handler, "create", refuse)

    created_before = [str(r.address) for r in provider.order(reference)].index("pipelines.release")

    with pytest.raises(DeployError) as caught:
        provider.apply(reference)

    assert str(caught.value) == (
        "pipeline 'pipelines.release': create failed: An error occurred (InvalidStructureException) when calling "
        f"the CreatePipeline operation: refused by the test. Rolled back {created_before} created resource(s)."
    )
    assert caught.value.resource == "pipelines.release"
    assert caught.value.operation == "create"
    assert caught.value.fields["code"] == "InvalidStructureException"
    assert provider.leftovers() == []
    assert provider.state == {}


def test_a_resource_the_backend_rejects_half_way_is_removed_too(provider: Provider) -> None:
    # The role is created, then IAM refuses its inline policy: the role itself must not stay behind.
    d = definition(
        """
        log_groups:
          g: {}
        roles:
          r:
            assumed_by: codebuild.amazonaws.com
            policies:
              bad:
                Version: "2012-10-17"
                Statement:
                  - {Effect: Maybe, Action: "s3:GetObject", Resource: "*"}
        """
    )

    with pytest.raises(DeployError) as caught:
        provider.apply(d)

    assert str(caught.value).startswith(
        "IAM role 'roles.r': create failed: An error occurred (MalformedPolicyDocument) when calling the "
        "PutRolePolicy operation: "
    )
    assert str(caught.value).endswith(" Rolled back 1 created resource(s).")
    assert caught.value.resource == "roles.r"
    assert provider.leftovers() == []


def test_a_non_aws_exception_is_reported_with_its_type(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: ProviderContext, resource: Any) -> Any:
        raise RuntimeError("handler bug")

    monkeypatch.setattr(provider.registry.handlers["log_groups"], "create", broken)

    with pytest.raises(DeployError) as caught:
        provider.apply(definition(LOG_GROUP))

    assert str(caught.value) == (
        "log group 'log_groups.g': create failed: RuntimeError: handler bug. Rolled back 0 created resource(s)."
    )


def test_rollback_reports_what_it_could_not_remove(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    d = definition(
        """
        log_groups:
          g: {}
        topics:
          t: {}
        """
    )

    def refuse(ctx: ProviderContext, resource: Any) -> Any:
        raise _client_error("InvalidParameter", "CreateTopic")

    def stuck(ctx: ProviderContext, resource: Any) -> None:
        raise _client_error("OperationAbortedException", "DeleteLogGroup")

    monkeypatch.setattr(provider.registry.handlers["topics"], "create", refuse)
    monkeypatch.setattr(provider.registry.handlers["log_groups"], "delete", stuck)

    with pytest.raises(DeployError) as caught:
        provider.apply(d)

    assert str(caught.value).endswith("Rolled back 1 created resource(s); could not remove: log_groups.g")
    assert [x.split(":")[0] for x in provider.leftovers()] == ["log_groups"]


class _ReadsBackWrong(LogGroupHandler):
    """A handler whose read never agrees with the definition, as a backend that rewrites a value would."""

    def read(self, ctx: ProviderContext, resource: LogGroup) -> dict[str, Any] | None:
        found = super().read(ctx, resource)
        return None if found is None else {**found, "retention_days": 1}


def test_a_plan_that_is_not_empty_after_apply_fails_with_the_diff(backend: Backend) -> None:
    provider = Provider(backend, registry=_registry_with("log_groups", _ReadsBackWrong()))

    with pytest.raises(CheckFailed) as caught:
        provider.apply(definition(LOG_GROUP))

    assert str(caught.value) == (
        "definition 'test': expected an empty plan after apply, found changes:\n"
        "~ log_groups.g (log group): update\n"
        "    retention_days: 1 -> 30\n"
        "the backend stores these fields differently from the definition; write them as the backend returns them"
    )
    assert caught.value.fields["plan"].for_address("log_groups.g").action == "update"
    provider.apply(definition(LOG_GROUP), check_idempotent=False)


def test_unstored_fields_are_skipped_and_recorded_as_unverified(provider: Provider) -> None:
    d = definition(
        """
        keys:
          k: {}
        roles:
          build:
            assumed_by: codebuild.amazonaws.com
        build_projects:
          bp:
            service_role: build
            encryption_key: k
        """
    )
    provider.apply(d)

    assert provider.plan(d).empty
    assert provider.unverified_fields == {"build_projects.bp.encryption_key"}


# -- destroy and CheckDestroy --------------------------------------------------------------------------------
def test_destroy_reports_what_it_could_not_delete(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    d = definition(LOG_GROUP)
    provider.apply(d)

    def stuck(ctx: ProviderContext, resource: Any) -> None:
        raise _client_error("OperationAbortedException", "DeleteLogGroup")

    monkeypatch.setattr(provider.registry.handlers["log_groups"], "delete", stuck)

    assert provider.destroy(d) == ["log_groups.g"]


def test_check_destroy_names_what_is_left(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    d = definition(LOG_GROUP + "topics:\n  t: {}\n")
    provider.apply(d)
    monkeypatch.setattr(provider.registry.handlers["log_groups"], "delete", lambda ctx, resource: None)
    provider.destroy(d)

    with pytest.raises(CheckFailed) as caught:
        provider.check_destroy(d)

    assert str(caught.value) == (
        "definition 'test': expected nothing left after destroy, found log_groups.g; "
        "the handlers' delete missed them (run 'pipewarden sweep' to remove leftovers)"
    )
    assert caught.value.fields["left"] == ["log_groups.g"]


# -- sweep and leftovers -------------------------------------------------------------------------------------
SWEEP_ORDER = sorted(Registry.discover().handlers, key=lambda s: Registry.discover().handlers[s].sweep_order)


def test_sweep_deletes_the_run_prefix_dependents_first_and_spares_other_prefixes(
    reference: Definition, backend: Backend, provider: Provider
) -> None:
    provider.apply(reference)
    other = Provider(backend, "pw-otherrun-")
    other_definition = definition(LOG_GROUP + "roles:\n  r: {assumed_by: codebuild.amazonaws.com}\n")
    other.apply(other_definition)
    # A versioned bucket with objects (and an old version) must be emptied before it can go.
    s3 = backend.client("s3")
    for body in (b"one", b"two"):
        s3.put_object(Bucket=f"{provider.prefix}source", Key="source.zip", Body=body)

    expected = provider.leftovers()
    deleted = provider.sweep()

    assert deleted == expected
    assert len(deleted) == len(reference.resources)
    sections = [d.split(":", 1)[0] for d in deleted]
    assert sections == sorted(sections, key=SWEEP_ORDER.index)
    assert provider.leftovers() == []
    assert sorted(other.leftovers()) == ["log_groups:pw-otherrun-g", "roles:pw-otherrun-r"]
    assert other.plan(other_definition).empty


def test_leftovers_lists_without_deleting(provider: Provider) -> None:
    d = definition(LOG_GROUP + "keys:\n  artifacts: {}\nroles:\n  build: {assumed_by: codebuild.amazonaws.com}\n")
    provider.apply(d)

    first = provider.leftovers()
    second = provider.leftovers()

    assert first == second
    assert sorted(first) == sorted(
        [f"log_groups:{provider.prefix}g", f"roles:{provider.prefix}build", f"keys:alias/{provider.prefix}artifacts"]
    )
    assert provider.plan(d).empty


def test_sweep_detaches_managed_policies_before_deleting(provider: Provider) -> None:
    d = definition(
        """
        policies:
          boundary:
            document:
              Version: "2012-10-17"
              Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]
        roles:
          r:
            assumed_by: codebuild.amazonaws.com
            managed_policies: [boundary]
            permissions_boundary: boundary
        """
    )
    provider.apply(d)

    assert [x.split(":")[0] for x in provider.sweep()] == ["roles", "policies"]
    assert provider.leftovers() == []


def test_sweep_refuses_a_prefix_that_would_match_too_much(provider: Provider) -> None:
    with pytest.raises(InputError) as caught:
        provider.sweep("pw-")

    assert str(caught.value) == (
        "sweep: expected a name prefix of at least 4 characters, found 'pw-'; give the run prefix, e.g. pw-1a2b3c4d-"
    )


def test_sweep_cleans_up_what_it_can_and_names_what_it_could_not(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = definition(LOG_GROUP + "topics:\n  t: {}\nroles:\n  r: {assumed_by: codebuild.amazonaws.com}\n")
    provider.apply(d)

    def cannot_list(ctx: ProviderContext, prefix: str) -> list[str]:
        raise _client_error("ThrottlingException", "ListTopics")

    def cannot_delete(ctx: ProviderContext, physical_id: str) -> None:
        raise RuntimeError("role is in use")

    monkeypatch.setattr(provider.registry.handlers["topics"], "list_by_prefix", cannot_list)
    monkeypatch.setattr(provider.registry.handlers["roles"], "delete_physical", cannot_delete)

    with pytest.raises(DeployError) as caught:
        provider.sweep()

    assert str(caught.value) == (
        f"sweep of '{provider.prefix}': expected every resource under the prefix deleted, found 2 not: "
        "topics (listing failed: An error occurred (ThrottlingException) when calling the ListTopics operation: "
        f"refused by the test); roles:{provider.prefix}r (RuntimeError: role is in use); deleted 1; "
        "remove the rest by hand or sweep again"
    )
    assert caught.value.fields["deleted"] == [f"log_groups:{provider.prefix}g"]
    assert provider.registry.handlers["log_groups"].read(provider.ctx, d.get("log_groups", "g")) is None


def test_plans_render_one_block_per_pending_change_with_compact_values() -> None:
    long_value = {"Statement": ["x" * 300]}
    plan = Plan(
        (
            Change("log_groups.g", "log group", "update", (FieldDiff("retention_days", 30, None),)),
            Change("roles.r", "IAM role", "no-op"),
            Change("topics.t", "SNS topic", "create"),
            Change("policies.p", "IAM managed policy", "update", (FieldDiff("document", long_value, {"a": 1}),)),
        )
    )

    lines = plan.render().splitlines()

    assert lines[:3] == [
        "~ log_groups.g (log group): update",
        "    retention_days: null -> 30",
        "+ topics.t (SNS topic): create",
    ]
    assert lines[3] == "~ policies.p (IAM managed policy): update"
    assert lines[4].startswith('    document: {"a": 1} -> {"Statement": ["xxx')
    assert lines[4].endswith("...") and len(lines[4]) == len('    document: {"a": 1} -> ') + 240
    assert [c.address for c in plan.pending()] == ["log_groups.g", "topics.t", "policies.p"]
    assert not plan.empty
    assert Plan((Change("roles.r", "IAM role", "no-op"),)).empty
    assert Plan(()).render() == "no changes"


GROUPS_NAMING_EACH_OTHER = """
vpcs:
  main: {cidr: 10.0.0.0/16}
security_groups:
  build:
    vpc: main
    description: build
    egress: [{protocol: tcp, port: 5432, group: data}]
  data:
    vpc: main
    description: data
    ingress: [{protocol: tcp, port: 5432, group: build}]
"""


def test_security_groups_that_name_each_other_deploy_without_a_cycle(provider: Provider, backend: Backend) -> None:
    groups = definition(GROUPS_NAMING_EACH_OTHER)
    provider.apply(groups)
    assert provider.plan(groups).empty
    ec2 = backend.client("ec2")
    ids = {name: provider.state[f"security_groups.{name}"].physical_id for name in ("build", "data")}
    found = {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=list(ids.values()))["SecurityGroups"]}
    egress = found[ids["build"]]["IpPermissionsEgress"]
    ingress = found[ids["data"]]["IpPermissions"]
    assert [(r["FromPort"], [p["GroupId"] for p in r["UserIdGroupPairs"]]) for r in egress] == [(5432, [ids["data"]])]
    assert [(r["FromPort"], [p["GroupId"] for p in r["UserIdGroupPairs"]]) for r in ingress] == [(5432, [ids["build"]])]
    assert provider.destroy(groups) == []
    provider.check_destroy(groups)


def test_a_role_given_policies_behind_the_harness_is_still_destroyed(provider: Provider) -> None:
    d = definition(
        """
roles:
  r:
    assumed_by: codebuild.amazonaws.com
    policies:
      own: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}
"""
    )
    provider.apply(d)
    iam, name = provider.ctx.clients("iam"), f"{provider.prefix}r"
    iam.put_role_policy(
        RoleName=name,
        PolicyName="added",
        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
    )
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    assert provider.destroy(d) == []
    assert provider.leftovers() == []
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName=name)


def test_a_role_whose_managed_policy_of_the_definition_is_gone_is_still_destroyed(provider: Provider) -> None:
    d = definition(
        """
policies:
  read:
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}
roles:
  r:
    assumed_by: codebuild.amazonaws.com
    managed_policies: [read]
"""
    )
    provider.apply(d)
    assert provider.destroy(d) == []
    # A second destroy (a teardown after the scenario removed the pipeline) finds nothing to remove, and says so.
    assert provider.destroy(d) == []
    assert provider.leftovers() == []
