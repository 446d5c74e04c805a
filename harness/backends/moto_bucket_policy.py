"""moto's bucket-policy check on object calls, and how the harness takes it over.

moto evaluates a bucket policy on object reads and writes but not as AWS does: it knows no principal but ``*`` and no
request context, and a statement whose condition it cannot match refuses the call whatever its effect. The usual
``DenyInsecureTransport`` (``aws:SecureTransport`` false) therefore refuses every object call, by anyone, though no
call the harness makes is over plain HTTP as far as policies can tell. Two ways out, both process-wide because
moto's state is (applies to the in-process moto and the moto server the harness starts, which runs in this
process; other backends are untouched):

- :func:`hold_neutral`: while IAM enforcement has already decided each call with the bucket policy (conditions
  included) before it reaches moto, moto's own check says nothing.
- :func:`delegate`: the harness writing on a service's behalf (CloudTrail delivering log files, S3 delivering access
  logs) has moto's check decide with the judgement the caller gives, which evaluates the bucket policy for that
  service principal with the context AWS sends. A policy that refuses the service still refuses the write.
- :func:`judge_signer`: the calls signed with one access key (the harness's administrator, the account's root) are
  decided with the judgement given, so an explicit Deny that applies to the root over TLS still refuses them.

The first that applies decides, in that order; otherwise moto's own check does.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MOTO_BACKENDS = frozenset({"moto", "moto-server"})

# A judgement of one object call: (action ``s3:PutObject``, object ARN, the bucket policy's JSON, the bucket's
# account) to the evaluation's outcome, ``Allowed``, ``ExplicitDeny`` or ``ImplicitDeny`` (see
# :func:`harness.iam.evaluator.resource_policy_judge`).
Judge = Callable[[str, str, str, str], str]
# In moto's words: a policy that does not speak of the call leaves it to the caller's own permissions.
_VERDICTS = {"Allowed": "PERMITTED", "ExplicitDeny": "DENIED", "ImplicitDeny": "NEUTRAL"}


@dataclass(frozen=True, slots=True)
class _Delegation:
    bucket: str
    key_prefix: str
    judge: Judge

    def covers(self, bucket: str, key: str) -> bool:
        return bucket == self.bucket and key.startswith(self.key_prefix)


_LOCK = threading.Lock()
_IDS = itertools.count(1)
# Counted, so nested holders restore moto's check only when the last one lets go.
_STATE: dict[str, Any] = {"neutral": 0, "original": None, "delegations": {}, "signers": {}, "setup": None}
# The access key that signed the S3 request this thread is answering (moto answers in the caller's thread
# in-process, and in one server thread per request for the moto server).
_SIGNER = threading.local()
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


def hold_neutral() -> Callable[[], None]:
    """Keep moto's bucket-policy check neutral until the returned function is called (once)."""
    with _LOCK:
        _install()
        _STATE["neutral"] += 1

    released = threading.Event()

    def release() -> None:
        with _LOCK:
            if released.is_set():
                return
            released.set()
            _STATE["neutral"] -= 1
            _uninstall_if_idle()

    return release


def judge_signer(backend_name: str, access_key: str, judge: Judge) -> Callable[[], None]:
    """Decide the object calls signed with ``access_key`` with ``judge`` until the returned function is called.

    A no-op on backends other than moto's.
    """
    if backend_name not in MOTO_BACKENDS:
        return lambda: None
    with _LOCK:
        _install()
        token = next(_IDS)
        _STATE["signers"][token] = (access_key, judge)
    released = threading.Event()

    def release() -> None:
        with _LOCK:
            if released.is_set():
                return
            released.set()
            del _STATE["signers"][token]
            _uninstall_if_idle()

    return release


@contextmanager
def delegate(backend_name: str, bucket: str, key_prefix: str, judge: Judge) -> Iterator[None]:
    """While the block runs, moto decides object calls on ``bucket`` under ``key_prefix`` with ``judge``.

    A no-op on backends other than moto's (they apply bucket policies themselves, or do not at all).

    Args:
        backend_name: the backend's name (``moto``, ``moto-server``, ...).
        bucket: the bucket written to.
        key_prefix: the keys the service writes (``AWSLogs/123456789012/`` for CloudTrail).
        judge: decides one object call from the bucket policy.
    """
    if backend_name not in MOTO_BACKENDS:
        yield
        return
    with _LOCK:
        _install()
        token = next(_IDS)
        _STATE["delegations"][token] = _Delegation(bucket, key_prefix, judge)
    try:
        yield
    finally:
        with _LOCK:
            del _STATE["delegations"][token]
            _uninstall_if_idle()


def _judged(original: Callable[..., Any]) -> Callable[..., Any]:
    from moto.iam.access_control import PermissionResult

    def get_permission(self: Any, action: str, resource: str) -> Any:
        bucket, _, key = resource.partition(":::")[2].partition("/")
        signer = getattr(_SIGNER, "key", "")
        with _LOCK:
            found = [d.judge for d in _STATE["delegations"].values() if d.covers(bucket, key)]
            neutral = _STATE["neutral"] > 0
            signed = [judge for access_key, judge in _STATE["signers"].values() if access_key == signer]
        judge = found[-1] if found else None if neutral else signed[-1] if signed else None
        if judge is None:
            return PermissionResult.NEUTRAL if neutral else original(self, action, resource)
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = self.policy.decode() if isinstance(self.policy, bytes) else str(self.policy)
        return PermissionResult[_VERDICTS[judge(action, resource, policy, str(self.account_id))]]

    return get_permission


def _install() -> None:
    """Put the harness's check in moto's place (under the lock; idempotent)."""
    if _STATE["original"] is not None:
        return
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    _STATE["original"] = FakeBucket.get_permission
    FakeBucket.get_permission = _judged(FakeBucket.get_permission)  # type: ignore[method-assign]
    _STATE["setup"] = S3Response.setup_class
    S3Response.setup_class = _noting_signer(S3Response.setup_class)  # type: ignore[method-assign]


def _noting_signer(setup: Callable[..., Any]) -> Callable[..., Any]:
    def setup_class(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        headers = getattr(request, "headers", None) or {}
        found = _CREDENTIAL.search(str(headers.get("Authorization", "")))
        if found is None:  # a presigned URL carries the credential in its query
            found = re.search(r"X-Amz-Credential=([A-Z0-9]+)(?:/|%2F)", str(getattr(request, "url", "")))
        _SIGNER.key = found.group(1) if found else ""
        return setup(self, request, *args, **kwargs)

    return setup_class


def _uninstall_if_idle() -> None:
    """Give moto its own check back once nothing holds it (under the lock)."""
    if _STATE["neutral"] or _STATE["delegations"] or _STATE["signers"] or _STATE["original"] is None:
        return
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    FakeBucket.get_permission = _STATE["original"]  # type: ignore[method-assign]
    S3Response.setup_class = _STATE["setup"]  # type: ignore[method-assign]
    _STATE["original"] = _STATE["setup"] = None


__all__ = ["MOTO_BACKENDS", "Judge", "delegate", "hold_neutral", "judge_signer"]
