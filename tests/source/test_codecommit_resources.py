"""Repository and approval rule template resource types: create, read back, drift, update, destroy and sweep."""

from __future__ import annotations

import pytest

from harness.backends import Backend
from harness.errors import InputError
from harness.provider.lifecycle import Provider
from harness.source.service import SourceService
from tests.conftest import definition

RESOURCES = """
roles:
  approver:
    assumed_by: ["arn:aws:iam::${account_id}:root"]
repositories:
  app:
    description: The application
    default_branch: main
    tags: {team: payments}
approval_rule_templates:
  two-approvers:
    description: Two approvers from the approver role
    approvals_needed: 2
    approval_pool: ["arn:aws:sts::${account_id}:assumed-role/${roles.approver.name}/*"]
    destination_branches: [main]
    repositories: [app]
"""


@pytest.fixture
def source(backend: Backend) -> SourceService:
    return SourceService.of(backend)


def test_apply_creates_the_repository_with_its_default_branch_and_the_associated_template(
    provider: Provider, source: SourceService
) -> None:
    provider.apply(definition(RESOURCES))
    name = f"{provider.prefix}app"
    repository = source.model.repository(name)
    assert repository.default_branch == "main" and "main" in repository.branches
    assert repository.tags == {"team": "payments"}
    template = source.model.template(f"{provider.prefix}two-approvers")
    assert template.repositories == {name}
    assert template.content.destination_references == ("refs/heads/main",)
    pool = template.content.statements[0].pool[0].text
    assert pool == f"arn:aws:sts::{provider.backend.account_id}:assumed-role/{provider.prefix}approver/*"
    assert provider.plan(definition(RESOURCES)).empty


def test_a_template_disassociated_behind_the_harness_back_is_drift_and_apply_repairs_it(
    provider: Provider, source: SourceService
) -> None:
    spec = definition(RESOURCES)
    provider.apply(spec)
    provider.backend.client("codecommit").disassociate_approval_rule_template_from_repository(
        approvalRuleTemplateName=f"{provider.prefix}two-approvers", repositoryName=f"{provider.prefix}app"
    )
    change = provider.plan(spec).for_address("approval_rule_templates.two-approvers")
    assert change is not None and change.action == "update"
    assert [d.field for d in change.diffs] == ["repositories"]
    provider.apply(spec)
    assert provider.plan(spec).empty


def test_changed_content_description_and_tags_are_updated_in_place(provider: Provider, source: SourceService) -> None:
    provider.apply(definition(RESOURCES))
    changed = RESOURCES.replace("approvals_needed: 2", "approvals_needed: 3").replace(
        "tags: {team: payments}", "tags: {team: core}"
    ).replace("description: The application", "description: Renamed")
    spec = definition(changed)
    plan = provider.plan(spec)
    assert {c.address for c in plan.pending()} == {"repositories.app", "approval_rule_templates.two-approvers"}
    provider.apply(spec)
    assert source.model.template(f"{provider.prefix}two-approvers").content.statements[0].needed == 3
    assert source.model.repository(f"{provider.prefix}app").description == "Renamed"
    assert provider.plan(spec).empty


def test_a_new_default_branch_is_created_from_the_old_one(provider: Provider, source: SourceService) -> None:
    provider.apply(definition(RESOURCES))
    spec = definition(RESOURCES.replace("default_branch: main", "default_branch: trunk"))
    provider.apply(spec)
    repository = source.model.repository(f"{provider.prefix}app")
    assert repository.default_branch == "trunk" and repository.tip("trunk") == repository.tip("main")


def test_destroy_removes_template_and_repository_and_leaves_nothing(provider: Provider, source: SourceService) -> None:
    spec = definition(RESOURCES)
    provider.apply(spec)
    assert provider.destroy(spec) == []
    provider.check_destroy(spec)
    assert source.model.templates == {} and source.model.repositories == {}


def test_the_sweeper_finds_and_removes_leftovers_by_prefix(provider: Provider, source: SourceService) -> None:
    provider.apply(definition(RESOURCES))
    handlers = provider.registry.handlers
    found = {
        section: handlers[section].list_by_prefix(provider.ctx, provider.prefix)
        for section in ("approval_rule_templates", "repositories")
    }
    assert found == {
        "approval_rule_templates": [f"{provider.prefix}two-approvers"],
        "repositories": [f"{provider.prefix}app"],
    }
    for section, names in found.items():  # templates first: their sweep order is lower
        for name in names:
            handlers[section].delete_physical(provider.ctx, name)
    assert source.model.templates == {} and source.model.repositories == {}
    assert handlers["approval_rule_templates"].sweep_order < handlers["repositories"].sweep_order


def test_template_content_is_validated_where_it_is_declared() -> None:
    with pytest.raises(InputError, match="NumberOfApprovalsNeeded of at least 1"):
        definition(RESOURCES.replace("approvals_needed: 2", "approvals_needed: 0"))
    with pytest.raises(InputError, match="CodeCommitApprovers"):
        definition(RESOURCES.replace('["arn:aws:sts', '["Mary", "arn:aws:sts'))
