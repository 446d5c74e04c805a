"""Role sessions for the services that act on a pipeline's behalf (CodeBuild, CodePipeline, EventBridge)."""

from __future__ import annotations

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.backends.safety import Credentials
from harness.model.base import Resource
from harness.model.definition import references_of

# The definition section holding the resources each service assumes roles for: their ARNs are the
# ``aws:SourceArn`` the service sends.
_ACTS_FOR = {
    "codebuild.amazonaws.com": "build_projects",
    "codepipeline.amazonaws.com": "pipelines",
    "events.amazonaws.com": "event_rules",
    "cloudtrail.amazonaws.com": "trails",
}


def acting_for(deployment: Deployment, role: Resource, service: str) -> str | None:
    """The ARN of the resource ``service`` assumes ``role`` for: the first build project, pipeline, rule or trail
    of the definition that names the role, as deployed; None when none does.
    """
    section = _ACTS_FOR.get(service)
    definition = deployment.definition
    if section is None or definition is None:
        return None
    for resource in definition.resources:
        if section != resource.SECTION:
            continue
        if any(ref[:2] == ("roles", role.name) for ref in references_of(resource)):
            state = deployment.provider.state.get(str(resource.address))
            if state is not None and state.arn:
                return state.arn
    return None


def service_session(
    deployment: Deployment,
    role_arn: str,
    session_name: str,
    label: str,
    service: str = "codebuild.amazonaws.com",
    *,
    source_arn: str | None = None,
) -> Identity:
    """The identity a service gets when it assumes ``role_arn`` (as CodeBuild assumes a project's service role).

    With IAM enforcement the session is issued by the deployment's principals, so the role's trust policy must
    let ``service`` assume it, as STS requires, with the context AWS sends (``aws:SourceArn`` the resource the
    service acts for, ``aws:SourceAccount``, ``aws:PrincipalServiceName``...); without, the backend's STS issues it.
    The calls made with it then carry the role's own permissions and appear as that role in the trail.

    Args:
        deployment: the deployment the role belongs to.
        role_arn: the role's ARN.
        session_name: the role session name the service uses (``AWSCodeBuild-<build uuid>`` for CodeBuild).
        label: how messages and reports name the caller.
        service: the service principal that assumes the role.
        source_arn: the resource the service acts for (the project, pipeline or rule), its ``aws:SourceArn``.

    Returns:
        An ``AssumedRole`` identity with the session's credentials.

    Raises:
        CheckFailed: when the trust policy refuses the service (with enforcement).
    """
    principals = getattr(deployment, "principals", None)
    if principals is not None:
        from harness.enforce.principals import SessionRequest

        issued: Identity = principals.assume_role(
            principals.service(service, source_arn=source_arn), SessionRequest(role_arn, session_name[:64]), label=label
        )
        return issued
    answer = deployment.backend.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])
    creds = answer["Credentials"]
    user = answer["AssumedRoleUser"]
    account = role_arn.split(":")[4]
    return Identity(
        label=label,
        arn=user["Arn"],
        credentials=Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken")),
        kind="AssumedRole",
        principal_id=user["AssumedRoleId"],
        account_id=account,
        attributes=(("session_issuer", role_arn), ("session_name", session_name)),
    )
