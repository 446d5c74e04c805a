"""CodeCommit: repositories and approval rule templates with their repository associations, and their handlers.

Repositories are created and deleted in the backend (moto implements these); their branches, the template store
and the associations live in the deployment's source model (:mod:`harness.source`), reached through the same
CodeCommit API, so plan, drift and destroy read them back like any other attribute.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.errors import DeployError
from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import Cfn, Draft, Field, Props, Reader, Schema, StandIn, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code
from harness.source.rules import content_text, full_reference, parse_content

# The first commit of a new repository, so its default branch exists (CodeCommit has no branch before one).
INITIAL_FILE = "README.md"


@dataclass(frozen=True, slots=True)
class Repository(Resource):
    """A CodeCommit repository; ``default_branch`` is created with a first commit when the repository is.

    ``files`` (path to text) is the content of that first commit besides the README, such as the ``buildspec.yml``
    a build project reads from the repository; like CloudFormation's ``Code``, it is used only at creation.
    """

    SECTION: ClassVar[str] = "repositories"
    KIND: ClassVar[str] = "CodeCommit repository"

    description: str = ""
    default_branch: str = "main"
    files: Mapping[str, str] = field(default_factory=dict)
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.default_branch or self.default_branch.startswith("refs/") or " " in self.default_branch:
            raise ValueError(f"a branch name such as 'main' for default_branch, found {self.default_branch!r}")


@dataclass(frozen=True, slots=True)
class ApprovalRuleTemplate(Resource):
    """An approval rule template: approvals needed, from whom, on which destination branches, for which repositories.

    ``approval_pool`` entries are ARN patterns (``arn:aws:sts::${account_id}:assumed-role/${roles.approver.name}/*``)
    or ``CodeCommitApprovers:ACCOUNT:NAME``; empty means anyone. ``destination_branches`` empty means every branch.
    """

    SECTION: ClassVar[str] = "approval_rule_templates"
    KIND: ClassVar[str] = "approval rule template"

    approvals_needed: int = 1
    approval_pool: tuple[str, ...] = ()
    destination_branches: tuple[str, ...] = ()
    repositories: tuple[Annotated[str, RefTo("repositories")], ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        try:
            parse_content(self.content(), template=True)
        except Exception as exc:
            raise ValueError(str(exc).split(": ", 1)[-1]) from None

    def content(self, pool: tuple[str, ...] | None = None) -> str:
        """The template content (format 2018-11-08), with ``pool`` in place of ``approval_pool`` when given."""
        return content_text(
            self.approvals_needed, pool if pool is not None else self.approval_pool, self.destination_branches
        )


class _CodeCommit:
    """The admin CodeCommit client, saying what to do when the backend answers without the source model.

    The emulators implement repositories only; branches, templates and associations need the source model, which a
    :class:`~harness.acceptance.Deployment` attaches to its backend (``SourceService(backend).attach()`` otherwise).
    """

    def __init__(self, ctx: ProviderContext) -> None:
        self._client = ctx.clients("codecommit")

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**params: Any) -> Any:
            try:
                return method(**params)
            except NotImplementedError as exc:
                raise DeployError(
                    f"codecommit:{name}: expected the source model to serve it, found the backend answering "
                    f"'{exc}'; deploy CodeCommit resources through a Deployment, which attaches the source model",
                    operation=name,
                ) from None

        return call


def _list_or_none(ctx: ProviderContext, operation: str, key: str) -> list[Any]:
    """A listing from the source model; empty when no model is attached to the backend.

    Without the model there is nothing of it to list: templates live only there, and the handlers cannot create a
    repository without it. The emulators themselves cannot list repositories (moto lacks ListRepositories).
    """
    try:
        return list(getattr(ctx.clients("codecommit"), operation)().get(key, []))
    except NotImplementedError:
        return []


def _canonical(text: str) -> dict[str, Any]:
    document = json.loads(text)
    for statement in document.get("Statements", []):
        statement["ApprovalPoolMembers"] = sorted(statement.get("ApprovalPoolMembers", []))
    document["DestinationReferences"] = sorted(full_reference(r) for r in document.get("DestinationReferences", []))
    return dict(document)


class RepositoryHandler(Handler[Repository]):
    resource_type = Repository
    sweep_order = 40

    def arn(self, ctx: ProviderContext, resource: Repository) -> str:
        return f"arn:{ctx.partition}:codecommit:{ctx.region}:{ctx.account_id}:{ctx.physical_name(resource)}"

    def desired(self, ctx: ProviderContext, resource: Repository) -> dict[str, Any]:
        return {
            "description": resource.description,
            "default_branch": resource.default_branch,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Repository) -> dict[str, Any] | None:
        codecommit = _CodeCommit(ctx)
        try:
            metadata = codecommit.get_repository(repositoryName=ctx.physical_name(resource))["repositoryMetadata"]
        except Exception as exc:
            if error_code(exc) == "RepositoryDoesNotExistException":
                return None
            raise
        tags = codecommit.list_tags_for_resource(resourceArn=self.arn(ctx, resource)).get("tags", {})
        return {
            "description": metadata.get("repositoryDescription", ""),
            "default_branch": metadata.get("defaultBranch", ""),
            "tags": dict(tags),
        }

    def create(self, ctx: ProviderContext, resource: Repository) -> ResourceState:
        codecommit = _CodeCommit(ctx)
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {"repositoryName": name, "repositoryDescription": resource.description}
        if resource.tags:
            kwargs["tags"] = dict(resource.tags)
        arn = codecommit.create_repository(**kwargs)["repositoryMetadata"]["Arn"]
        codecommit.put_file(
            repositoryName=name,
            branchName=resource.default_branch,
            filePath=INITIAL_FILE,
            fileContent=f"# {resource.name}\n".encode(),
            commitMessage="Initial commit",
        )
        for path, text in sorted(resource.files.items()):
            tip = codecommit.get_branch(repositoryName=name, branchName=resource.default_branch)["branch"]["commitId"]
            codecommit.put_file(
                repositoryName=name,
                branchName=resource.default_branch,
                parentCommitId=tip,
                filePath=path,
                fileContent=str(ctx.resolve(text)).encode(),
                commitMessage=f"Add {path}",
            )
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: Repository, changed: frozenset[str]) -> ResourceState:
        codecommit = _CodeCommit(ctx)
        name = ctx.physical_name(resource)
        if "description" in changed:
            codecommit.update_repository_description(repositoryName=name, repositoryDescription=resource.description)
        if "default_branch" in changed:
            branches = codecommit.list_branches(repositoryName=name)["branches"]
            if resource.default_branch not in branches:
                current = codecommit.get_repository(repositoryName=name)["repositoryMetadata"]["defaultBranch"]
                tip = codecommit.get_branch(repositoryName=name, branchName=current)["branch"]["commitId"]
                codecommit.create_branch(repositoryName=name, branchName=resource.default_branch, commitId=tip)
            codecommit.update_default_branch(repositoryName=name, defaultBranchName=resource.default_branch)
        if "tags" in changed:
            arn = self.arn(ctx, resource)
            current_tags = codecommit.list_tags_for_resource(resourceArn=arn).get("tags", {})
            stale = [k for k in current_tags if k not in resource.tags]
            if stale:
                codecommit.untag_resource(resourceArn=arn, tagKeys=stale)
            if resource.tags:
                codecommit.tag_resource(resourceArn=arn, tags=dict(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Repository) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        repositories = _list_or_none(ctx, "list_repositories", "repositories")
        return [r["repositoryName"] for r in repositories if r["repositoryName"].startswith(prefix)]

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # DeleteRepository of a repository that does not exist succeeds without an id, as in CodeCommit.
        _CodeCommit(ctx).delete_repository(repositoryName=physical_id)


class ApprovalRuleTemplateHandler(Handler[ApprovalRuleTemplate]):
    resource_type = ApprovalRuleTemplate
    sweep_order = 20

    def _repositories(self, ctx: ProviderContext, resource: ApprovalRuleTemplate) -> list[str]:
        return sorted(ctx.state_of("repositories", r).physical_id for r in resource.repositories)

    def _content(self, ctx: ProviderContext, resource: ApprovalRuleTemplate) -> str:
        return resource.content(tuple(str(ctx.resolve(m)) for m in resource.approval_pool))

    def desired(self, ctx: ProviderContext, resource: ApprovalRuleTemplate) -> dict[str, Any]:
        return {
            "description": resource.description,
            "content": _canonical(self._content(ctx, resource)),
            "repositories": self._repositories(ctx, resource),
        }

    def read(self, ctx: ProviderContext, resource: ApprovalRuleTemplate) -> dict[str, Any] | None:
        codecommit = _CodeCommit(ctx)
        name = ctx.physical_name(resource)
        try:
            template = codecommit.get_approval_rule_template(approvalRuleTemplateName=name)["approvalRuleTemplate"]
        except Exception as exc:
            if error_code(exc) == "ApprovalRuleTemplateDoesNotExistException":
                return None
            raise
        repositories = codecommit.list_repositories_for_approval_rule_template(approvalRuleTemplateName=name)
        return {
            "description": template.get("approvalRuleTemplateDescription", ""),
            "content": _canonical(template["approvalRuleTemplateContent"]),
            "repositories": sorted(repositories.get("repositoryNames", [])),
        }

    def create(self, ctx: ProviderContext, resource: ApprovalRuleTemplate) -> ResourceState:
        codecommit = _CodeCommit(ctx)
        name = ctx.physical_name(resource)
        template = codecommit.create_approval_rule_template(
            approvalRuleTemplateName=name,
            approvalRuleTemplateContent=self._content(ctx, resource),
            approvalRuleTemplateDescription=resource.description,
        )["approvalRuleTemplate"]
        for repository in self._repositories(ctx, resource):
            codecommit.associate_approval_rule_template_with_repository(
                approvalRuleTemplateName=name, repositoryName=repository
            )
        return ResourceState(str(resource.address), name, "", {"id": template["approvalRuleTemplateId"]})

    def update(self, ctx: ProviderContext, resource: ApprovalRuleTemplate, changed: frozenset[str]) -> ResourceState:
        codecommit = _CodeCommit(ctx)
        name = ctx.physical_name(resource)
        if "content" in changed:
            codecommit.update_approval_rule_template_content(
                approvalRuleTemplateName=name, newRuleContent=self._content(ctx, resource)
            )
        if "description" in changed:
            codecommit.update_approval_rule_template_description(
                approvalRuleTemplateName=name, approvalRuleTemplateDescription=resource.description
            )
        if "repositories" in changed:
            current = set(
                codecommit.list_repositories_for_approval_rule_template(approvalRuleTemplateName=name)[
                    "repositoryNames"
                ]
            )
            wanted = set(self._repositories(ctx, resource))
            for repository in sorted(current - wanted):
                codecommit.disassociate_approval_rule_template_from_repository(
                    approvalRuleTemplateName=name, repositoryName=repository
                )
            for repository in sorted(wanted - current):
                codecommit.associate_approval_rule_template_with_repository(
                    approvalRuleTemplateName=name, repositoryName=repository
                )
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: ApprovalRuleTemplate) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        names = _list_or_none(ctx, "list_approval_rule_templates", "approvalRuleTemplateNames")
        return [n for n in names if n.startswith(prefix)]

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        codecommit = _CodeCommit(ctx)
        try:
            repositories = codecommit.list_repositories_for_approval_rule_template(
                approvalRuleTemplateName=physical_id
            )["repositoryNames"]
        except Exception as exc:
            if error_code(exc) == "ApprovalRuleTemplateDoesNotExistException":
                return
            raise
        # An associated template cannot be deleted (ApprovalRuleTemplateInUseException): disassociate first.
        for repository in repositories:
            codecommit.disassociate_approval_rule_template_from_repository(
                approvalRuleTemplateName=physical_id, repositoryName=repository
            )
        codecommit.delete_approval_rule_template(approvalRuleTemplateName=physical_id)


HANDLERS = (RepositoryHandler(), ApprovalRuleTemplateHandler())


# -- how the source formats spell a repository -----------------------------------------------------------------


def _initial_content(reader: Reader, draft: Draft, props: Props) -> None:
    code = props.sub("Code")
    if code is not None and code.has("S3"):
        code.raw("S3")
        reader.note(f"{code.at('S3')}: the initial content is not copied; the branch starts with one empty commit")


SCHEMA = Schema(
    Repository,
    fields=(
        Field("description", cfn="RepositoryDescription", tf="description", default=""),
        Field("default_branch", cfn="Code.BranchName", tf="default_branch", default="main"),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::CodeCommit::Repository",
        ref="{name}",
        attributes={
            "Arn": "{arn}",
            "Name": "{name}",
            "CloneUrlHttp": "https://git-codecommit.{region}.amazonaws.com/v1/repos/{name}",
            "CloneUrlSsh": "ssh://git-codecommit.{region}.amazonaws.com/v1/repos/{name}",
        },
        name="RepositoryName",
        finish=_initial_content,
    ),
    tf=Tf(
        "aws_codecommit_repository",
        name="repository_name",
        attributes={"arn": "arn", "id": "name", "repository_name": "name"},
        ignore=("clone_url_http", "clone_url_ssh", "repository_id"),
    ),
)


# A repository of another stack: its branches, approval rules and triggers are unknown.
STAND_IN = StandIn(
    Repository, fields=lambda request: {}, deployed="an empty repository", unknown=("approval_rules", "triggers")
)
