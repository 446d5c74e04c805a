"""People as the definition gives them: roles people assume, IAM users and IAM groups play developer, approver and
release manager, with their real permissions; found by mapping, name, tag or what their policies allow."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce.api import act_as_person
from harness.errors import Unverified
from harness.scenario import resolve_person
from harness.source import scenario as source
from tests.conftest import definition
from tests.source.test_scenario import PROTECTED

# The developer is a group: its members may work on the repository but not push to main.
AS_GROUPS = PROTECTED.replace(
    """roles:
  developer:
    assumed_by: ["arn:aws:iam::${account_id}:root"]
    policies:""",
    """groups:
  engineers:
    policies:""",
).replace("  approver:\n", "roles:\n  approver:\n", 1)


@pytest.fixture
def grouped(backend: Backend) -> Iterator[Deployment]:
    found = Deployment(backend)
    with found.observed():
        found.definition = definition(AS_GROUPS)
        found.apply()
        yield found
        found.teardown()


def test_a_member_of_the_developers_group_is_denied_a_push_to_main(grouped: Deployment) -> None:
    assert resolve_person(grouped, "developer").address.section == "groups"
    developer = act_as_person(grouped, "developer")
    source.expect_denied(source.push(grouped, developer, "main"))
    source.expect_allowed(source.push(grouped, developer, "feature/a"))
    assert developer.arn.startswith(f"arn:aws:iam::{grouped.backend.account_id}:user/{grouped.prefix}person-dana-")
    assert any(
        "'developer' is played by IAM group engineers: its policies allow codecommit:GitPush" in n
        for n in grouped.evidence.current().notes
    )
    # The person leaves the group before the pipeline goes, so the group can be deleted.
    grouped.teardown()
    assert grouped.backend.client("iam").list_users()["Users"] == []


RELEASE_TEAM = """
groups:
  release-team:
    policies:
      approve:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: codepipeline:PutApprovalResult, Resource: "*"}
  everyone:
    policies:
      read:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "codepipeline:Get*", Resource: "*"}
  admins:
    policies:
      all:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "*", Resource: "*"}
"""


def test_the_group_allowed_to_approve_releases_plays_the_release_manager(backend: Backend) -> None:
    pw = Deployment(backend)
    pw.definition = definition(RELEASE_TEAM)
    # Administrators may do anything, but only the release team is given approvals by name.
    assert resolve_person(pw, "release-manager").name == "release-team"
    with pytest.raises(Unverified) as caught:
        resolve_person(pw, "developer")
    assert caught.value.reason == (
        "definition 'test': has no role, user or group playing 'developer' (people are often IAM users, groups or "
        "single sign-on outside the template), so the claim cannot be tried; map one with --pw-map "
        "developer=<role, user or group> or tag it pipewarden:role=developer, or give the template or plan that "
        "declares it with --baseline FILE (under pytest --pw-baseline FILE)"
    )


def test_a_release_manager_group_member_may_approve_with_the_groups_permission(backend: Backend) -> None:
    pw = Deployment(backend)
    with pw.observed():
        pw.definition = definition(RELEASE_TEAM)
        pw.apply()
        try:
            rita = act_as_person(pw, "release-manager", "rita")
            allowed = pw.enforcer.authorize_call(
                rita, "codepipeline", "PutApprovalResult",
                {"pipelineName": "p", "stageName": "s", "actionName": "a", "token": "t",
                 "result": {"summary": "ok", "status": "Approved"}},
            )  # fmt: skip
            denied = pw.enforcer.authorize_call(rita, "iam", "CreateUser", {"UserName": "x"})
        finally:
            pw.teardown()
    assert allowed.allowed and not denied.allowed
    assert json.dumps(pw.evidence.current().notes).count("is a member of group") == 1


def test_a_pipeline_deploying_to_production_without_an_approval_fails_whoever_the_people_are(
    backend: Backend,
) -> None:
    from harness.errors import CheckFailed
    from harness.runtime.scenarios import require_approval_action, start_and_self_approve
    from tests.runtime.conftest import pipeline_definition

    pw = Deployment(backend)
    # No people either: the missing approval is the pipeline's weakness, decided before anyone is looked for.
    body = pipeline_definition().replace("  developer:", "  dev-team:").replace("  release-manager:", "  rm-team:")
    pw.definition = definition(body.replace("- name: Deploy\n", "- name: Prod_Deploy\n", 1))
    with pytest.raises(Unverified):
        resolve_person(pw, "developer")
    for attempt in (require_approval_action, lambda d: start_and_self_approve(d, "developer", "dana")):
        with pytest.raises(CheckFailed) as caught:
            attempt(pw)
        assert str(caught.value) == (
            "pipeline 'release': expected a release to wait for a manual approval before it is deployed to "
            "production (stage Prod_Deploy, action Deploy), found no manual approval action in the pipeline; add an "
            "Approval stage (provider Manual) before it"
        )
    # Nothing says where the same pipeline deploys: whether it needs an approval cannot be told.
    pw.definition = definition(body)
    with pytest.raises(Unverified, match=r"^UNVERIFIED: pipeline 'release' has no manual approval action, and nothing"):
        require_approval_action(pw)
