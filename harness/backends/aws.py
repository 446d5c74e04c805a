"""Real AWS, only behind an explicit gate: PIPEWARDEN_ACC=1 and the account in PIPEWARDEN_ACC_ACCOUNTS."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from harness.backends.base import DEFAULT_REGION, Backend, Identity
from harness.backends.safety import Credentials
from harness.errors import SafetyError

GATE = "PIPEWARDEN_ACC"
ALLOWLIST = "PIPEWARDEN_ACC_ACCOUNTS"


def check_gate(environ: Mapping[str, str], account_id: str | None = None) -> list[str]:
    """Check the real-AWS gate before any call is made.

    Args:
        environ: the environment to read the gate from.
        account_id: the account the credentials belong to, once known; None before it is looked up.

    Returns:
        The allowed account ids.

    Raises:
        SafetyError: when the gate is closed, the allowlist is empty or the account is not on it.
    """
    if environ.get(GATE) != "1":
        raise SafetyError(
            f"aws backend: expected {GATE}=1 to run against real AWS, found it "
            + (f"set to {environ[GATE]!r}" if GATE in environ else "unset")
            + f"; set {GATE}=1 and list the account in {ALLOWLIST}, or use --pw-backend moto"
        )
    allowed = [a.strip() for a in environ.get(ALLOWLIST, "").split(",") if a.strip()]
    if not allowed:
        raise SafetyError(
            f"aws backend: expected {ALLOWLIST} to list the accounts pipewarden may use, found it empty; "
            f"set {ALLOWLIST}=<12-digit account id>[,...]"
        )
    if account_id is not None and account_id not in allowed:
        raise SafetyError(
            f"aws backend: expected the credentials' account to be one of {', '.join(allowed)}, found "
            f"{account_id}; add it to {ALLOWLIST} only if it is a disposable test account"
        )
    return allowed


class AwsBackend(Backend):
    """Real AWS with the caller's own credentials, after the gate has been checked twice: before any call, and
    again once STS says which account the credentials belong to."""

    name = "aws"

    def __init__(
        self,
        region: str = DEFAULT_REGION,
        environ: Mapping[str, str] | None = None,
        identify: Callable[[], str] | None = None,
        credentials: Callable[[], Credentials] | None = None,
    ) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        check_gate(self._environ)
        self._identify = identify
        self._credentials = credentials
        super().__init__("000000000000", region)

    def open(self) -> None:
        account = self._identify() if self._identify else self._caller_account()
        check_gate(self._environ, account)
        self.account_id = account
        # Every other backend signs with fake keys; this one must sign with the caller's own, and only now that
        # the gate has let the account through.
        creds = self._credentials() if self._credentials else self._caller_credentials()
        self.admin = Identity("harness", f"arn:aws:iam::{account}:root", credentials=creds, account_id=account)
        self._clients.clear()

    def _caller_account(self) -> str:  # pragma: no cover - needs real AWS
        import boto3

        return str(boto3.client("sts", region_name=self.region).get_caller_identity()["Account"])

    def _caller_credentials(self) -> Credentials:  # pragma: no cover - needs real AWS
        import boto3

        found = boto3.session.Session().get_credentials()
        if found is None:
            raise SafetyError(
                "aws backend: expected credentials for the allowed account, found none; "
                "configure them as for the AWS CLI (AWS_PROFILE or the usual variables)"
            )
        frozen = found.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def reset(self) -> None:
        # Real accounts are never reset: scenarios clean up with destroy and the sweeper instead.
        return None
