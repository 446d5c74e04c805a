"""One moto behaviour the runtime must switch off: its coarse bucket-policy check on object calls.

moto evaluates a bucket policy on object reads and writes but ignores conditions, so a conditional Deny such as the
usual ``DenyInsecureTransport`` (``aws:SecureTransport`` false) refuses every object call, by anyone. With IAM
enforcement on, the harness's enforcer has already evaluated the bucket policy as AWS does (conditions included)
before the call reaches moto, so while the runtime is active moto's check is made neutral. Without enforcement it is
left alone. Applies to the in-process moto and the moto server (which runs in this process); other backends are
untouched. See :mod:`harness.backends.moto_bucket_policy`.
"""

from __future__ import annotations

from harness.acceptance import Deployment
from harness.backends.moto_bucket_policy import MOTO_BACKENDS, hold_neutral


def neutralize_bucket_policy_check(deployment: Deployment) -> None:
    """While ``deployment`` lives, let the enforcer alone judge bucket policies on moto (see the module note)."""
    if getattr(deployment, "enforcer", None) is None or deployment.backend.name not in MOTO_BACKENDS:
        return
    deployment.cleanups.append(hold_neutral())
