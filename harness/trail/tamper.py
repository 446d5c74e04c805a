"""Tampering with a trail's delivered log files as the most capable principal the claim allows, and its verdict."""

from __future__ import annotations

import gzip
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import CheckFailed, Unverified
from harness.model.definition import describe_unknowns
from harness.provider.base import error_code
from harness.trail.audit import expect_validation_failure, latest_log_file, trail_name
from harness.trail.integrity import FileState, sha256_hex

if TYPE_CHECKING:
    from harness.acceptance import Deployment, NamedCheck
    from harness.backends.base import Identity
    from harness.enforce.api import CallOutcome

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMINISTRATOR = "an administrator of the account"
# What S3 answers when it refuses a request itself, after authorization: object lock retention or a legal hold,
# MFA delete. (An authorization refusal is decided by the enforcer and carries its statement.)
_SERVICE_REFUSALS = frozenset({"AccessDenied"})
_CHANGES = ("rewrite", "delete")
_SERVICE_NAMES = {"s3": "S3", "iam": "IAM", "codepipeline": "CodePipeline", "cloudtrail": "CloudTrail"}
_ORGANIZATION_LAYERS = {"scp": "service control policy", "rcp": "resource control policy"}


@dataclass(frozen=True, slots=True)
class Tampering:
    """One attempt to change or remove a delivered log file, and what came of it.

    Attributes:
        change: ``rewrite`` (the file's content replaced) or ``delete``.
        bucket, key: the log file.
        actor: how messages name who tried (``an administrator of the account``).
        outcome: the attempt as made (``harness.enforce.api.CallOutcome``): the decision, with its layer and
            statements, and what S3 answered.
        original_sha256: the hash of the file's uncompressed content before the attempt (what its digest lists).
    """

    change: str
    bucket: str
    key: str
    actor: str
    outcome: CallOutcome
    original_sha256: str

    def __post_init__(self) -> None:
        if self.change not in _CHANGES:
            raise ValueError(f"tampering: expected a change among {', '.join(_CHANGES)}, found {self.change!r}")

    @property
    def refused(self) -> bool:
        """True when a policy refused the request (the enforcer's decision) or S3 itself refused it (object lock,
        MFA delete)."""
        return self.outcome.denied or self.outcome.error_code in _SERVICE_REFUSALS


def refusal(deployment: Deployment, tampering: Tampering) -> str:
    """Why the attempt was refused, in evidence words: the decision and the statements that decided it, each with
    where it is declared, or what S3 answered when it refused after authorization; '' when it was not refused."""
    if not tampering.refused:
        return ""
    return explain_refusal(
        deployment, tampering.outcome, tampering.actor, f"{tampering.change} s3://{tampering.bucket}/{tampering.key}"
    )


def explain_refusal(deployment: Deployment, outcome: CallOutcome, actor: str, what: str) -> str:
    """Why a refused attempt (``outcome``) to do ``what`` was refused: the enforcer's decision and the statements
    that decided it, each with where it is declared, or, when it was authorized, what the service answered."""
    attempt = f"{actor} ({outcome.identity.arn})"
    focused = outcome.focused
    if focused is None or focused.allowed:
        service = _SERVICE_NAMES.get(outcome.service, outcome.service)
        return f"{attempt} was authorized to {what}, and {service} refused it: {outcome.error_code}: " + (
            outcome.error_message
        )
    decision = focused.decision
    deciding = (
        ", ".join(
            f"statement {m.statement!r} of the {_source(deployment, m.layer, m.policy)}" for m in decision.matched
        )
        or f"no {' or '.join(decision.layers)} policy allows it"
    )
    return (
        f"{attempt} was refused {focused.access.action} on {focused.access.resource} "
        f"({decision.decision.value}, {outcome.error_code}): {deciding}"
    )


def _source(deployment: Deployment, layer: str, policy: str) -> str:
    """``resource policy 'bucket policy' of arn:aws:s3:::b (file:line (buckets.trail))``, else the layer and the
    policy's name (``service control policy 'scp[0][0]'``)."""
    from harness.enforce.api import enforcer_of

    found = enforcer_of(deployment).reader.source_of(policy)
    if found is None:
        return f"{_ORGANIZATION_LAYERS.get(layer, layer + ' policy')} {policy!r}"
    text = found.describe()
    definition = deployment.definition
    if definition is not None:
        address = next((a for a, st in deployment.provider.state.items() if st.arn == found.owner_arn), None)
        if address is not None:
            text += f" ({definition.where(address)})"
    return text


@contextmanager
def account_administrator(deployment: Deployment) -> Iterator[Identity]:
    """A session of a role of the account with AdministratorAccess, for the length of the block.

    The role (``<run prefix>account-admin``, trusting the account, with the AWS managed policy AdministratorAccess
    attached) is created before the block and deleted after it, as the harness and outside the trail's record; its
    session's calls are decided by the enforcer like any other principal's: the bucket's policy, a key's policy and
    any SCP still apply. The session carries no MFA.

    Raises:
        Unverified: when the backend refuses to create the role, or the account's SCPs refuse the session (the
            tampering cannot be tried).
    """
    from harness.enforce.api import principals_of
    from harness.enforce.principals import AssumeRoleDenied, SessionRequest

    principals = principals_of(deployment)
    admin = deployment.backend.admin
    name = f"{deployment.prefix}account-admin"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": admin.arn}, "Action": "sts:AssumeRole"}],
    }
    iam = deployment.backend.client("iam")
    with deployment.trail.recorder.suspended():
        try:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            iam.attach_role_policy(RoleName=name, PolicyArn=ADMINISTRATOR_ACCESS)
        except Exception as exc:
            if not error_code(exc):
                raise
            _delete_role(deployment, name)
            raise Unverified(
                f"the backend refused to create role {name} with AdministratorAccess ({exc}); the tampering cannot "
                "be tried as an administrator of the account"
            ) from None
    try:
        try:
            session = principals.assume_role(
                admin, SessionRequest(arn, f"pipewarden-admin-{secrets.token_hex(4)}"), label=ADMINISTRATOR
            )
        except AssumeRoleDenied as exc:
            # The account's guard rails refuse the harness's way in (an SCP on sts:AssumeRole), not the tampering.
            raise Unverified(
                f"role {name}: the account refuses the harness a session of its administrator role ({exc}); the "
                "tampering cannot be tried as an administrator of the account"
            ) from None
        yield session
    finally:
        _delete_role(deployment, name)


def _delete_role(deployment: Deployment, name: str) -> None:
    iam = deployment.backend.client("iam")
    with deployment.trail.recorder.suspended():
        for call, params in (
            (iam.detach_role_policy, {"RoleName": name, "PolicyArn": ADMINISTRATOR_ACCESS}),
            (iam.delete_role, {"RoleName": name}),
        ):
            try:
                call(**params)
            except Exception as exc:
                # Gone already, or never made: the sweeper finds anything else by the run prefix.
                if not error_code(exc):
                    raise


def rewrite_log_file(deployment: Deployment, trail: str | None = None) -> Tampering:
    """An administrator of the account rewrites the trail's newest log file in place (its first record's
    ``eventName`` becomes ``TamperedEvent``).

    The principal is the most capable one the claim "a log file changed after delivery is detected" allows: a
    principal of the trail's account with AdministratorAccess, calling over TLS, its request decided by the
    enforcer against the bucket's policy, the key's policy and any SCP as AWS decides it. It replaces the file
    with ``s3:PutObject`` as CloudTrail wrote it (the ACL ``bucket-owner-full-control`` and the file's own
    encryption), so a policy that only asks for those does not stop it. It makes one request: it does not first
    change a bucket policy or an SCP that refuses it (that is a change of policy, recorded by the trail as a
    management event, and another claim). The new content is derived from the file as delivered, read by the
    harness: replacing a file needs no right to read it.

    Returns:
        The attempt: refused (the refusal and the deciding statement are the evidence) or made.

    Raises:
        CheckFailed: when the trail has delivered no log file.
        Unverified: when the attempt fails for another reason than a refusal (the claim cannot be tried), or the
            deployment runs without IAM enforcement.
    """
    from harness.enforce.api import attempt

    bucket, key = latest_log_file(deployment, trail)
    content, head = _read(deployment, bucket, key)
    body = json.loads(content)
    body["Records"][0]["eventName"] = "TamperedEvent"
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "Body": gzip.compress(json.dumps(body).encode()),
        "ACL": "bucket-owner-full-control",
    }
    if head.get("ServerSideEncryption"):
        params["ServerSideEncryption"] = head["ServerSideEncryption"]
    if head.get("SSEKMSKeyId"):
        params["SSEKMSKeyId"] = head["SSEKMSKeyId"]
    _neutral_bucket_policy_check(deployment)
    with account_administrator(deployment) as identity:
        outcome = attempt(deployment, identity, "s3", "PutObject", actor=ADMINISTRATOR, focus="s3:PutObject", **params)
    return _made(deployment, Tampering("rewrite", bucket, key, ADMINISTRATOR, outcome, sha256_hex(content)))


def delete_log_file(deployment: Deployment, trail: str | None = None) -> Tampering:
    """An administrator of the account deletes the trail's newest log file.

    The principal is the most capable one the claim "a log file deleted after delivery is reported" allows: a
    principal of the trail's account with AdministratorAccess, calling over TLS, its ``s3:DeleteObject`` decided by
    the enforcer against the bucket's policy and any SCP as AWS decides it; S3 then applies object lock and MFA
    delete. It makes one request, on the file's key (on a versioned bucket that leaves a delete marker, and
    validation, which reads the current version, reports the file deleted); it does not first change a policy that
    refuses it (a change of policy is recorded by the trail, and another claim).

    Returns:
        The attempt: refused (the refusal and the deciding statement are the evidence) or made.

    Raises:
        CheckFailed: when the trail has delivered no log file.
        Unverified: when the attempt fails for another reason than a refusal (the claim cannot be tried), or the
            deployment runs without IAM enforcement.
    """
    from harness.enforce.api import attempt

    bucket, key = latest_log_file(deployment, trail)
    content, _ = _read(deployment, bucket, key)
    _neutral_bucket_policy_check(deployment)
    with account_administrator(deployment) as identity:
        outcome = attempt(
            deployment,
            identity,
            "s3",
            "DeleteObject",
            actor=ADMINISTRATOR,
            focus="s3:DeleteObject",
            Bucket=bucket,
            Key=key,
        )
    return _made(deployment, Tampering("delete", bucket, key, ADMINISTRATOR, outcome, sha256_hex(content)))


def _neutral_bucket_policy_check(deployment: Deployment) -> None:
    """moto applies a bucket policy's Deny statements to every caller without their conditions; the enforcer has
    decided the request as AWS does before it reaches moto, so moto's own check is switched off."""
    from harness.runtime.moto_compat import neutralize_bucket_policy_check

    neutralize_bucket_policy_check(deployment)


def _read(deployment: Deployment, bucket: str, key: str) -> tuple[bytes, dict[str, Any]]:
    """The uncompressed content of a log file and its metadata, read as the harness.

    Raises:
        Unverified: when the backend refuses the harness the read.
    """
    s3 = deployment.backend.client("s3")
    with deployment.trail.recorder.suspended():
        try:
            found = s3.get_object(Bucket=bucket, Key=key)
            return gzip.decompress(found["Body"].read()), found
        except Exception as exc:
            if not error_code(exc):
                raise
            raise Unverified(
                f"log file s3://{bucket}/{key}: the harness could not read it ({exc}), so a change to it cannot be "
                "told from its state before"
            ) from None


def _made(deployment: Deployment, tampering: Tampering) -> Tampering:
    """Record the attempt in the evidence; an error that is not a refusal leaves the claim untried."""
    outcome = tampering.outcome
    where = f"s3://{tampering.bucket}/{tampering.key}"
    refused = refusal(deployment, tampering)
    deployment.evidence.current().data["tampering"] = {
        "change": tampering.change,
        "file": where,
        "principal": outcome.identity.arn,
        "refused": refused,
    }
    if refused:
        deployment.evidence.note(f"tampering refused: {refused}")
        return tampering
    if outcome.error_code:
        raise Unverified(
            f"log file {where}: {tampering.actor} tried to {tampering.change} it and S3 answered "
            f"{outcome.error_code}: {outcome.error_message}, which is neither a refusal nor the change; whether "
            "the trail shows the change cannot be tried",
            code=outcome.error_code,
        )
    done = {"rewrite": "rewrote", "delete": "deleted"}[tampering.change]
    deployment.evidence.note(f"{tampering.actor} ({outcome.identity.arn}) {done} log file {where}")
    return tampering


def expect_tampering_reported(tampering: Tampering, state: FileState, trail: str | None = None) -> NamedCheck:
    """The tampering did not go unnoticed: it was refused and the log file is as delivered (prevention, the
    stronger outcome: the refusal and its deciding statement are the evidence), or validation reports the file in
    ``state``.

    Raises:
        CheckFailed: (when run) the file changed and validation does not report it (validation off, or the file
            not in ``state``).
        Unverified: (when run) the verdict depends on what the definition does not say: a refusal or a change
            decided without a policy the definition only names.
    """
    from harness.acceptance import NamedCheck

    def run(deployment: Deployment) -> None:
        unknowns = tampering.outcome.unknowns
        if tampering.refused and _unchanged(deployment, tampering):
            if unknowns:
                raise _unknown(deployment, tampering, unknowns, "refused", trail)
            refused = refusal(deployment, tampering)
            deployment.evidence.current().data["tampering-refused"] = refused
            deployment.evidence.note(
                f"log file s3://{tampering.bucket}/{tampering.key} is as delivered: the {tampering.change} was "
                f"prevented ({refused}), so there is nothing for validation to report"
            )
            return
        try:
            expect_validation_failure(state, "log", key=tampering.key, trail=trail)(deployment)
        except CheckFailed:
            if unknowns:
                raise _unknown(deployment, tampering, unknowns, "made", trail) from None
            raise

    return NamedCheck(f"expect_tampering_reported({tampering.change!r}, {state.value!r})", run)


def _unchanged(deployment: Deployment, tampering: Tampering) -> bool:
    """True when the log file is still there with the content it was delivered with."""
    s3 = deployment.backend.client("s3")
    with deployment.trail.recorder.suspended():
        try:
            content = gzip.decompress(s3.get_object(Bucket=tampering.bucket, Key=tampering.key)["Body"].read())
        except Exception as exc:
            if not error_code(exc):
                raise
            return False
    return sha256_hex(content) == tampering.original_sha256


def _unknown(deployment: Deployment, tampering: Tampering, unknowns: Any, what: str, trail: str | None) -> Unverified:
    name = trail_name(deployment, trail)
    return Unverified(
        f"trail '{name}': the {tampering.change} of log file {tampering.key} by {tampering.actor} was {what} on a "
        f"decision that depends on what the definition does not say: {describe_unknowns(unknowns)}; give the "
        "template or plan that declares it too (--baseline FILE; under pytest --pw-baseline FILE), or declare it here",
        unknowns=[str(u) for u in unknowns],
    )


__all__ = [
    "ADMINISTRATOR_ACCESS",
    "Tampering",
    "account_administrator",
    "delete_log_file",
    "expect_tampering_reported",
    "refusal",
    "rewrite_log_file",
]
