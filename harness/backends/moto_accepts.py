"""What AWS accepts and moto refuses: AWS managed policies, policies without ``Version``, and CodePipeline's check
of its role's trust policy.

Real templates rely on all three, and each refusal stopped a valid pipeline from deploying:

- **AWS managed policies** (``arn:aws:iam::aws:policy/...``) exist in every account. moto ships their documents
  but loads all of them into every account only when asked (about 0.7 s per account, paid again on every reset),
  so by default none exists and attaching one fails. Here a managed policy is made in the account the first time a
  call names it (attach, boundary, read), with its real document, so it reads back and is evaluated as AWS has it;
  a name AWS does not have is refused as AWS refuses it (``NoSuchEntity``: "... does not exist or is not
  attachable").
- **Version**: IAM accepts a policy without ``Version`` (it is then read as 2008-10-17, under which policy variables
  are literal text) and one with ``Version`` 2008-10-17; moto refuses both with "Policy document must be version
  2012-10-17 or greater". The document is stored as written, so the evaluator and the evidence see it unchanged.
- **CodePipeline's trust check**: CreatePipeline and UpdatePipeline refuse a role CodePipeline cannot assume. moto
  reads only ``Statement`` as a list and ``Principal.Service`` as one string, so a single-object ``Statement`` raised
  a TypeError and ``Service: [codepipeline.amazonaws.com]`` was refused. Here the trust policy is read as IAM reads
  it (a statement object or a list; a principal string or a list; ``Principal: "*"``).

Applies to the in-process moto and the moto server the harness starts (which runs in this process); moto's state
and classes are process-wide, so the changes are made once per process and change nothing moto already accepts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

_LOCK = threading.Lock()
_MARK = "_pipewarden_accepts"
AWS_MANAGED_PREFIXES = ("arn:aws:iam::aws:policy/", "arn:aws-us-gov:iam::aws:policy/", "arn:aws-cn:iam::aws:policy/")


def teach_moto_what_aws_accepts() -> None:
    """Make moto accept what AWS accepts (see the module note); idempotent."""
    try:
        from moto.iam.models import IAMBackend
        from moto.iam.policy_validation import BaseIAMPolicyValidator
    except ImportError:  # pragma: no cover - moto is a dependency of both moto backends
        return
    with _LOCK:
        if getattr(IAMBackend, _MARK, False):
            return
        _managed_policies_on_demand(IAMBackend)
        _version_optional(BaseIAMPolicyValidator)
        _pipeline_trust_as_iam_reads_it()
        _codebuild_values_as_aws_reads_them()
        setattr(IAMBackend, _MARK, True)


# -- AWS managed policies ---------------------------------------------------------------------------------------


@cache
def _managed_policy_data() -> Mapping[str, Mapping[str, Any]]:
    """moto's copy of the AWS managed policies, by ARN path and name (``/service-role/AWSCodeBuild...``)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return {f"{data.get('Path') or '/'}{name}": data for name, data in parsed.items()}


def aws_managed_policy_document(arn: str) -> dict[str, Any] | None:
    """The document of the AWS managed policy ``arn``, or None when AWS has no such policy."""
    data = _managed_policy_data().get(_managed_path(arn) or "")
    return json.loads(json.dumps(data["Document"])) if data is not None else None


def _managed_path(arn: str) -> str | None:
    for prefix in AWS_MANAGED_PREFIXES:
        if arn.startswith(prefix):
            return "/" + arn[len(prefix) :]
    return None


def _ensure_managed_policy(backend: Any, arn: object) -> None:
    """Make the AWS managed policy ``arn`` exist in ``backend``'s account if AWS has it (no-op otherwise)."""
    if not isinstance(arn, str) or arn in backend.managed_policies:
        return
    path_and_name = _managed_path(arn)
    data = _managed_policy_data().get(path_and_name or "")
    if data is None or path_and_name is None:
        return
    from moto.iam.models import AWSManagedPolicy

    name = path_and_name.rsplit("/", 1)[1]
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, dict(data))
    if policy.arn == arn:
        backend.managed_policies[arn] = policy


def _managed_policies_on_demand(backend_class: Any) -> None:
    # Every IAMBackend method that finds a managed policy by ARN, and the argument holding the ARN.
    by_arn = {
        "attach_role_policy": "policy_arn",
        "attach_group_policy": "policy_arn",
        "attach_user_policy": "policy_arn",
        "get_policy": "policy_arn",
        "get_policy_version": "policy_arn",
        "list_policy_versions": "policy_arn",
        "list_entities_for_policy": "policy_arn",
        "put_role_permissions_boundary": "permissions_boundary",
        "create_role": "permissions_boundary",
    }
    for method, argument in by_arn.items():
        original = getattr(backend_class, method, None)
        if original is not None:
            setattr(backend_class, method, _loading(original, argument))


def _loading(original: Callable[..., Any], argument: str) -> Callable[..., Any]:
    import inspect

    signature = inspect.signature(original)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind_partial(self, *args, **kwargs)
        except TypeError:
            return original(self, *args, **kwargs)
        _ensure_managed_policy(self, bound.arguments.get(argument))
        return original(self, *args, **kwargs)

    method.__name__ = getattr(original, "__name__", "method")
    method.__doc__ = original.__doc__
    return method


# -- Version ----------------------------------------------------------------------------------------------------


def _version_optional(validator_class: Any) -> None:
    def validate_version(self: Any) -> None:
        # IAM reads a missing Version as 2008-10-17 and accepts it; the syntax check has already refused any
        # Version that is neither date.
        version = self._policy_json.get("Version", "2008-10-17")
        assert version in ("2008-10-17", "2012-10-17")

    validator_class._validate_version = validate_version


# -- CodePipeline's trust check ---------------------------------------------------------------------------------


def trusts_service(document: object, service: str) -> bool:
    """Whether a trust policy has an Allow statement letting ``service`` call ``sts:AssumeRole``.

    Read as IAM reads it: ``Statement`` one object or a list, ``Action`` and principals a string or a list, a
    ``*`` principal or action pattern matching. Conditions are not decided here: CodePipeline's check at creation
    is only that the service is trusted; what a condition allows is decided when the service assumes the role.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return False
    if not isinstance(document, Mapping):
        return False
    for statement in _listed(document.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = [a for a in _listed(statement.get("Action")) if isinstance(a, str)]
        if not any(_action_matches(a, "sts:AssumeRole") for a in actions):
            continue
        principal = statement.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, Mapping):
            services = _listed(principal.get("Service"))
            if service in services or "*" in _listed(principal.get("AWS")):
                return True
    return False


def _listed(value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _action_matches(pattern: str, action: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _pipeline_trust_as_iam_reads_it() -> None:
    try:
        from moto.codepipeline.models import CodePipelineBackend
    except ImportError:  # pragma: no cover
        return
    for name in ("create_pipeline", "update_pipeline"):
        original = getattr(CodePipelineBackend, name, None)
        if original is not None:
            setattr(CodePipelineBackend, name, _checking_trust(original))


_TRUSTED_FOR_MOTO = json.dumps({"Statement": [{"Principal": {"Service": "codepipeline.amazonaws.com"}}]})


def _checking_trust(original: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Any, pipeline: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        from moto.codepipeline.exceptions import InvalidStructureException
        from moto.iam.exceptions import NotFoundException as IAMNotFoundException

        try:
            role = self.iam_backend.get_role_by_arn(pipeline["roleArn"])
        except (IAMNotFoundException, KeyError):
            return original(self, pipeline, *args, **kwargs)
        if not trusts_service(role.assume_role_policy_document, "codepipeline.amazonaws.com"):
            raise InvalidStructureException(
                f"CodePipeline is not authorized to perform AssumeRole on role {pipeline['roleArn']}"
            )
        # The role is trusted as IAM reads its policy: let moto's own, narrower reading see a form it understands
        # for the length of the call, and give the role its document back as written.
        written = role.assume_role_policy_document
        role.assume_role_policy_document = _TRUSTED_FOR_MOTO
        try:
            return original(self, pipeline, *args, **kwargs)
        finally:
            role.assume_role_policy_document = written

    method.__name__ = getattr(original, "__name__", "method")
    return method


# -- CodeBuild's enumerations ------------------------------------------------------------------------------------


@cache
def _codebuild_enum(shape: str) -> tuple[str, ...]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("codebuild")
    return tuple(model.shape_for(shape).enum)


def _spelling(value: object) -> str:
    return str(value).replace("_", "").lower()


def codebuild_value(value: object, shape: str) -> str | None:
    """The CodeBuild enumeration value ``value`` spells (``linuxContainer`` is LINUX_CONTAINER), or None.

    CodeBuild still accepts the camel-case spellings of its early documentation, which public templates keep using;
    the value is matched without case or underscores against the API's enumeration ``shape``.
    """
    wanted = _spelling(value)
    return next((v for v in _codebuild_enum(shape) if _spelling(v) == wanted), None)


def _codebuild_values_as_aws_reads_them() -> None:
    try:
        from moto.codebuild import responses
        from moto.codebuild.exceptions import InvalidInputException
    except ImportError:  # pragma: no cover
        return

    def environment(environment: dict[str, Any]) -> None:
        if codebuild_value(environment.get("type"), "EnvironmentType") is None:
            raise InvalidInputException(f"Invalid type provided: {environment.get('type')}")
        if codebuild_value(environment.get("computeType"), "ComputeType") is None:
            raise InvalidInputException(f"Invalid compute type provided: {environment.get('computeType')}")

    def source(source: dict[str, Any]) -> None:
        kind = codebuild_value(source.get("type"), "SourceType")
        if kind is None:
            raise InvalidInputException("Invalid type provided: Project source type")
        # CodeBuild needs a location only where it fetches the source itself.
        if kind not in ("NO_SOURCE", "CODEPIPELINE") and not source.get("location"):
            raise InvalidInputException("Project source location is required")

    responses._validate_required_params_environment = environment
    responses._validate_required_params_source = source


__all__ = [
    "AWS_MANAGED_PREFIXES",
    "aws_managed_policy_document",
    "codebuild_value",
    "teach_moto_what_aws_accepts",
    "trusts_service",
]
