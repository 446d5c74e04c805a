"""Build secrets: fetching parameter-store and secrets-manager values as the build role, and spotting secrets held
in clear: in plain environment variables, or in String parameters (which Parameter Store does not encrypt)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.provider.base import error_code
from harness.runtime.buildspec import SecretRef


@dataclass(frozen=True, slots=True)
class SecretFailure(Exception):
    """A secret could not be fetched; CodeBuild fails the build in DOWNLOAD_SOURCE with this context."""

    variable: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def fetch_parameter(deployment: Deployment, identity: Identity, variable: str, name: str) -> str:
    """The decrypted value of an SSM parameter, fetched as ``identity``.

    Raises:
        SecretFailure: "Decrypted Variables Error" with AWS's message, as CodeBuild reports it.
    """
    try:
        answer = deployment.backend.client("ssm", identity).get_parameter(Name=name, WithDecryption=True)
    except Exception as exc:
        code = error_code(exc)
        if not code:
            raise
        if code == "ParameterNotFound":
            raise SecretFailure(variable, "Decrypted Variables Error", f"parameter does not exist: {name}") from None
        raise SecretFailure(variable, "Decrypted Variables Error", f"{code}: {_message(exc)}") from None
    return str(answer["Parameter"]["Value"])


PLAIN_PARAMETER_TYPES = ("String", "StringList")


def plain_parameter(deployment: Deployment, name: str) -> str | None:
    """The value of a String or StringList parameter, read back by the harness; None for a SecureString (a
    secret) or a parameter that does not exist.

    Parameter Store keeps plain parameters in clear: configuration (an image tag), not a secret.
    """
    try:
        answer = deployment.backend.client("ssm").get_parameter(Name=name)["Parameter"]
    except Exception as exc:
        if not error_code(exc):
            raise
        return None
    return str(answer["Value"]) if answer.get("Type") in PLAIN_PARAMETER_TYPES else None


def fetch_secret(deployment: Deployment, identity: Identity, variable: str, ref: SecretRef) -> str:
    """The value a secrets-manager reference names (the whole string, or one JSON key), fetched as ``identity``.

    Raises:
        SecretFailure: "Secrets Manager Error" with AWS's message, as CodeBuild reports it.
    """
    kwargs: dict[str, str] = {"SecretId": ref.secret_id}
    if ref.version_stage:
        kwargs["VersionStage"] = ref.version_stage
    if ref.version_id:
        kwargs["VersionId"] = ref.version_id
    try:
        answer = deployment.backend.client("secretsmanager", identity).get_secret_value(**kwargs)
    except Exception as exc:
        code = error_code(exc)
        if not code:
            raise
        raise SecretFailure(variable, "Secrets Manager Error", f"{code}: {_message(exc)}") from None
    value = str(answer.get("SecretString", ""))
    if not ref.json_key:
        return value
    try:
        doc = json.loads(value)
    except ValueError:
        raise SecretFailure(
            variable, "Secrets Manager Error", f"secret {ref.secret_id} is not JSON, so it has no key {ref.json_key}"
        ) from None
    if not isinstance(doc, dict) or ref.json_key not in doc:
        raise SecretFailure(
            variable, "Secrets Manager Error", f"json key {ref.json_key} not found in secret {ref.secret_id}"
        )
    return str(doc[ref.json_key])


def _message(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Message", exc))


SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY|_KEY$|^KEY", re.I)
SECRET_VALUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Stripe key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}")),
)
# Values that are references or placeholders rather than secrets.
_NOT_A_SECRET = re.compile(r"^(|true|false|yes|no|none|null|\d+|arn:.*|/.*|\$\{.*\}|<.*>)$", re.I)


BUILD_PROJECT = "build project"
FUNCTION = "Lambda function"


@dataclass(frozen=True, slots=True)
class PlaintextSecret:
    """A variable held in clear that looks like it carries a secret: a PLAINTEXT variable of a build, a variable of a
    function's environment (all plain text), or a build variable reading a String parameter, which Parameter Store
    keeps unencrypted.

    Attributes:
        project: the logical name of what holds the variable (a build project or a function).
        variable: the variable's name.
        reason: why it looks like a secret.
        holder: what holds it, ``build project`` or ``Lambda function``.
        parameter: the String parameter the variable reads, if it reads one.
    """

    project: str
    variable: str
    reason: str
    holder: str = BUILD_PROJECT
    parameter: str = ""

    def __str__(self) -> str:
        if self.parameter:
            return (
                f"{self.holder} '{self.project}': variable {self.variable} reads the parameter {self.parameter}, "
                f"stored unencrypted as a String, but {self.reason}; store the value as an SSM SecureString or in "
                "Secrets Manager"
            )
        if self.holder == FUNCTION:
            # A function's environment has no secret-typed variables: the function reads the secret at run time.
            return (
                f"{self.holder} '{self.project}': environment variable {self.variable} is plain text but "
                f"{self.reason}; store the value in Secrets Manager or as an SSM SecureString and have the function "
                "read it at run time (name the secret in the variable instead)"
            )
        return (
            f"{self.holder} '{self.project}': variable {self.variable} is PLAINTEXT but {self.reason}; "
            "store the value in Secrets Manager or as an SSM SecureString and reference it "
            "(type SECRETS_MANAGER or PARAMETER_STORE)"
        )


def plaintext_secret(
    project: str, name: str, value: str, holder: str = BUILD_PROJECT, parameter: str = ""
) -> PlaintextSecret | None:
    """Whether one variable held in clear looks like a secret: a known token format, or a secret-like name with a
    value that is not a reference or placeholder.

    Args:
        project: the logical name of what holds the variable.
        name: the variable's name.
        value: its value in clear (a PLAINTEXT value, or the value of the String ``parameter`` it reads).
        holder: ``build project`` or ``Lambda function``, for the message.
        parameter: the String parameter the variable reads, if it reads one.
    """
    for what, pattern in SECRET_VALUES:
        if pattern.search(value):
            return PlaintextSecret(project, name, f"its value looks like {what}", holder, parameter)
    if SECRET_NAME.search(name) and not _NOT_A_SECRET.match(value.strip()):
        return PlaintextSecret(
            project, name, "its name says it holds a secret and its value is a literal", holder, parameter
        )
    return None
