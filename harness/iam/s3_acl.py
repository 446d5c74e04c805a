"""S3 access control lists in policy terms: what a bucket's or an object's ACL grants, as the statements of a
resource-based policy, so the evaluator weighs them beside the bucket policy as S3 does.

S3 authorizes a request on the bucket owner's side with the bucket policy and the ACLs together: an ACL grant
allows like a bucket policy statement naming the grantee, and an explicit Deny in any policy still wins. The
permissions map onto actions as the S3 documentation's table of ACL permissions lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

LOG_DELIVERY_PRINCIPAL = "logging.s3.amazonaws.com"
"""The service that writes server access logs: the ACL's log delivery group, and the principal a target bucket's
policy names."""

# Who each predefined group is in a policy. Requests the harness makes are all signed, so "every authenticated
# AWS principal" and "everyone" admit the same callers.
_GROUP_PRINCIPALS: dict[str, Any] = {
    "all-users": "*",
    "authenticated-users": {"AWS": "*"},
    "log-delivery": {"Service": LOG_DELIVERY_PRINCIPAL},
}

PUBLIC_GRANTEES = frozenset({"all-users", "authenticated-users"})

_BUCKET_ACTIONS: dict[str, tuple[tuple[str, ...], bool]] = {
    # permission: (actions, on the objects rather than on the bucket)
    "READ": (("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"), False),
    "WRITE": (("s3:PutObject", "s3:DeleteObject"), True),
    "READ_ACP": (("s3:GetBucketAcl",), False),
    "WRITE_ACP": (("s3:PutBucketAcl",), False),
}
_OBJECT_ACTIONS: dict[str, tuple[str, ...]] = {
    "READ": ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"),
    "READ_ACP": ("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
    "WRITE_ACP": ("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
}

OBJECT_ACL_ACTIONS = frozenset(a for actions in _OBJECT_ACTIONS.values() for a in actions)
"""The actions an object's own ACL governs (reads of the object and of its ACL, writes of its ACL)."""


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A grant to a canonical user id that cannot be told apart from another account's: the actions it allows."""

    grantee: str
    permission: str
    actions: tuple[str, ...]


def actions_of(permission: str, level: Literal["bucket", "object"]) -> tuple[tuple[str, ...], bool]:
    """The actions an ACL permission allows, and whether they act on the bucket's objects (bucket WRITE)."""
    table = _BUCKET_ACTIONS if level == "bucket" else {k: (v, False) for k, v in _OBJECT_ACTIONS.items()}
    if permission == "FULL_CONTROL":
        actions = tuple(a for actions, _on_objects in table.values() for a in actions)
        return actions, False
    return table.get(permission, ((), False))


def acl_statements(
    bucket: str,
    grants: Iterable[tuple[str, str]],
    *,
    key: str | None = None,
    ignore_public: bool = False,
    partition: str = "aws",
) -> tuple[list[dict[str, Any]], list[Unresolved]]:
    """The policy statements a bucket ACL (``key`` None) or an object ACL stands for.

    Args:
        bucket: the bucket's name.
        grants: ``(grantee, permission)`` pairs; a grantee is ``all-users``, ``authenticated-users``,
            ``log-delivery``, ``owner`` or a canonical user id.
        key: the object's key for an object ACL.
        ignore_public: Block Public Access's IgnorePublicAcls: grants to the public groups count for nothing.
        partition: the ARN partition.

    Returns:
        The Allow statements (one per grant, Sid ``BucketAcl:<grantee>:<permission>``), and the grants to canonical
        user ids, which cannot be expressed without knowing whose account they name. Grants to the owner add
        nothing: the owner's principals are decided by their own policies.
    """
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    level: Literal["bucket", "object"] = "bucket" if key is None else "object"
    word = "BucketAcl" if key is None else "ObjectAcl"
    statements: list[dict[str, Any]] = []
    unresolved: list[Unresolved] = []
    for grantee, permission in grants:
        if grantee == "owner" or (ignore_public and grantee in PUBLIC_GRANTEES):
            continue
        if permission == "FULL_CONTROL" and key is None:
            pieces = [(p, *_BUCKET_ACTIONS[p]) for p in ("READ", "WRITE", "READ_ACP", "WRITE_ACP")]
        else:
            actions, on_objects = actions_of(permission, level)
            pieces = [(permission, actions, on_objects)] if actions else []
        for piece, actions, on_objects in pieces:
            resource = f"{bucket_arn}/*" if on_objects else (bucket_arn if key is None else f"{bucket_arn}/{key}")
            if grantee not in _GROUP_PRINCIPALS:
                unresolved.append(Unresolved(grantee, piece, actions))
                continue
            statements.append(
                {
                    "Sid": f"{word}:{grantee}:{piece}",
                    "Effect": "Allow",
                    "Principal": _GROUP_PRINCIPALS[grantee],
                    "Action": list(actions),
                    "Resource": resource,
                }
            )
    return statements, unresolved


__all__ = [
    "LOG_DELIVERY_PRINCIPAL",
    "OBJECT_ACL_ACTIONS",
    "PUBLIC_GRANTEES",
    "Unresolved",
    "acl_statements",
    "actions_of",
]
