"""Role sessions for the services that act on a pipeline's behalf (CodeBuild, CodePipeline)."""

from __future__ import annotations

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.backends.safety import Credentials


def service_session(deployment: Deployment, role_arn: str, session_name: str, label: str) -> Identity:
    """The identity a service gets when it assumes ``role_arn`` (as CodeBuild assumes a project's service role).

    The session is obtained from the backend's STS by the harness, as the service would; the calls made with it
    then carry the role's own permissions (once enforcement is on) and appear as that role in the trail.

    Args:
        deployment: the deployment the role belongs to.
        role_arn: the role's ARN.
        session_name: the role session name the service uses (``AWSCodeBuild-<build uuid>`` for CodeBuild).
        label: how messages and reports name the caller.

    Returns:
        An ``AssumedRole`` identity with the session's credentials.
    """
    answer = deployment.backend.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)
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
