"""People as IAM users and groups: what a deployed user may do is decided by its own and its groups' policies and
by its permissions boundary, exercised with real calls through the harness API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce.api import act_as_user, attempt, expect_allowed, expect_denied
from harness.errors import CheckFailed
from harness.source import scenario as source
from tests.conftest import definition

PEOPLE = """
repositories:
  app: {}
policies:
  push-app:
    document:
      Version: "2012-10-17"
      Statement:
        - {Sid: PushApp, Effect: Allow, Action: codecommit:GitPush, Resource: "${repositories.app.arn}"}
  pull-only:
    document:
      Version: "2012-10-17"
      Statement:
        - {Sid: PullOnly, Effect: Allow, Action: ["codecommit:GitPull", "codecommit:Get*"], Resource: "*"}
groups:
  developers:
    policies:
      push:
        Version: "2012-10-17"
        Statement:
          - {Sid: Push, Effect: Allow, Action: codecommit:GitPush, Resource: "${repositories.app.arn}"}
          - {Sid: SeeBuckets, Effect: Allow, Action: s3:ListAllMyBuckets, Resource: "*"}
  contractors:
    managed_policies: [push-app]
  frozen:
    policies:
      freeze:
        Version: "2012-10-17"
        Statement:
          - {Sid: CodeFreeze, Effect: Deny, Action: codecommit:GitPush, Resource: "*"}
users:
  dev: {groups: [developers]}
  outsider: {}
  contractor: {groups: [contractors]}
  frozen-dev:
    groups: [developers, frozen]
    policies:
      own:
        Version: "2012-10-17"
        Statement:
          - {Sid: OwnPush, Effect: Allow, Action: codecommit:GitPush, Resource: "*"}
  bounded-dev:
    groups: [developers]
    permissions_boundary: pull-only
"""


@pytest.fixture
def deployed(backend: Backend) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    with deployment.observed():
        deployment.definition = definition(PEOPLE, "people")
        deployment.apply()
        yield deployment
        deployment.teardown()


def test_a_member_of_a_group_allowed_to_push_may_push(deployed: Deployment) -> None:
    dev = act_as_user(deployed, "dev")
    pushed = source.expect_allowed(source.push(deployed, dev, "feature/a"))
    assert pushed.grants == (f"statement 'Push' in {deployed.require_definition().where('groups.developers')}",)


def test_a_user_outside_the_group_may_not_push(deployed: Deployment) -> None:
    outcome = source.expect_denied(source.push(deployed, act_as_user(deployed, "outsider"), "feature/a"))
    assert outcome.decision is not None
    assert outcome.decision.decision.evaluated == {"identity": "NoMatch"}


def test_a_group_s_explicit_deny_wins_over_the_user_s_own_allow(deployed: Deployment) -> None:
    outcome = source.expect_denied(source.push(deployed, act_as_user(deployed, "frozen-dev"), "feature/a"))
    assert outcome.decision is not None
    [deny] = [m for m in outcome.decision.decision.matched if m.effect == "Deny"]
    assert deny.statement == "CodeFreeze"
    assert outcome.decision.decision.decision.value == "ExplicitDeny"


def test_a_managed_policy_attached_to_the_group_decides(deployed: Deployment) -> None:
    contractor = act_as_user(deployed, "contractor")
    source.expect_allowed(source.push(deployed, contractor, "feature/a"))
    iam = deployed.backend.client("iam")
    group = deployed.provider.state["groups.contractors"].physical_id
    iam.detach_group_policy(GroupName=group, PolicyArn=deployed.provider.state["policies.push-app"].arn)
    source.expect_denied(source.push(deployed, contractor, "feature/b"))


def test_a_permissions_boundary_limits_what_the_group_grants(deployed: Deployment) -> None:
    bounded = act_as_user(deployed, "bounded-dev")
    outcome = source.expect_denied(source.push(deployed, bounded, "feature/a"))
    assert outcome.decision is not None
    # The group allows the push, the boundary does not: both must allow.
    assert outcome.decision.decision.evaluated == {"identity": "Allow", "permissions_boundary": "NoMatch"}
    # The boundary allows reading, and the group's policy does not: both must allow.
    repo = source.repository(deployed)
    read = source.call(deployed, bounded, "GetRepository", repo, repositoryName=repo)
    assert source.expect_denied(read).decision is not None
    assert read.decision is not None
    assert read.decision.decision.evaluated == {"identity": "NoMatch", "permissions_boundary": "Allow"}
    # The same holds for every service's calls, not only the source's.
    expect_allowed(attempt(deployed, act_as_user(deployed, "dev"), "s3", "ListBuckets"))
    listed = expect_denied(attempt(deployed, bounded, "s3", "ListBuckets"))
    assert listed.error_message.endswith("because no permissions boundary allows the s3:ListAllMyBuckets action")


def test_membership_is_read_from_the_backend_so_leaving_the_group_takes_the_right_away(deployed: Deployment) -> None:
    dev = act_as_user(deployed, "dev")
    deployed.backend.client("iam").remove_user_from_group(
        GroupName=deployed.provider.state["groups.developers"].physical_id,
        UserName=deployed.provider.state["users.dev"].physical_id,
    )
    source.expect_denied(source.push(deployed, dev, "feature/a"))


def test_a_user_s_calls_carry_its_identity(deployed: Deployment) -> None:
    outsider = act_as_user(deployed, "outsider")
    physical = deployed.provider.state["users.outsider"].physical_id
    assert outsider.kind == "IAMUser" and outsider.arn.endswith(f":user/{physical}")
    assert act_as_user(deployed, physical).arn == outsider.arn  # by physical name too
    outcome = attempt(deployed, outsider, "iam", "ListUsers")
    assert outcome.error_message.startswith(f"User: {outsider.arn} is not authorized to perform: iam:ListUsers")
    with pytest.raises(CheckFailed) as caught:
        expect_allowed(outcome)
    assert "iam:ListUsers" in str(caught.value)


def test_an_undeclared_user_is_named_with_the_users_there_are(deployed: Deployment) -> None:
    with pytest.raises(CheckFailed) as caught:
        act_as_user(deployed, "mallory")
    assert str(caught.value) == (
        "definition 'people': expected a user 'mallory', found users: bounded-dev, contractor, dev, frozen-dev, "
        "outsider; declare it under 'users'"
    )
