"""One moto behaviour the runtime must switch off: its coarse bucket-policy check on object calls.

moto evaluates a bucket policy on object reads and writes but ignores conditions, so a conditional Deny such as the
usual ``DenyInsecureTransport`` (``aws:SecureTransport`` false) refuses every object call, by anyone. With IAM
enforcement on, the harness's enforcer has already evaluated the bucket policy as AWS does (conditions included)
before the call reaches moto, so while the runtime is active moto's check is made neutral. Without enforcement it is
left alone. Applies to the in-process moto and the moto server (which runs in this process); other backends are
untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from harness.acceptance import Deployment

_LOCK = threading.Lock()
# moto's state is process-wide, so the patch is too; counted, so nested deployments restore it only at the end.
_ACTIVE: dict[str, Any] = {"count": 0, "original": None}


def neutralize_bucket_policy_check(deployment: Deployment) -> None:
    """While ``deployment`` lives, let the enforcer alone judge bucket policies on moto (see the module note)."""
    if getattr(deployment, "enforcer", None) is None or deployment.backend.name not in ("moto", "moto-server"):
        return
    try:
        from moto.iam.access_control import PermissionResult
        from moto.s3.models import FakeBucket
    except ImportError:  # pragma: no cover - moto is a dependency of both backends
        return
    with _LOCK:
        if _ACTIVE["count"] == 0:
            _ACTIVE["original"] = FakeBucket.get_permission

            def neutral(self: Any, action: str, resource: str) -> Any:
                return PermissionResult.NEUTRAL

            FakeBucket.get_permission = neutral  # type: ignore[method-assign]
        _ACTIVE["count"] += 1
    deployment.cleanups.append(_restore(FakeBucket))


def _restore(bucket_class: Any) -> Callable[[], None]:
    def restore() -> None:
        with _LOCK:
            _ACTIVE["count"] -= 1
            if _ACTIVE["count"] == 0 and _ACTIVE["original"] is not None:
                bucket_class.get_permission = _ACTIVE["original"]
                _ACTIVE["original"] = None

    return restore
