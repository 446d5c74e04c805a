"""What IAM roles, users and groups share: inline and managed policies, in the source formats and in the backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import Draft, FoldFn, Origin, Props, Reader, attached
from harness.provider.base import ProviderContext


def policy_arn(ctx: ProviderContext, ref: str) -> str:
    """The ARN of a managed policy reference: a literal ARN, or a policy of the definition."""
    if ref.startswith("arn:"):
        return ref
    return ctx.state_of("policies", ref).arn


def add_inline(draft: Draft, name: str, document: Any) -> None:
    """Add an inline policy to a role's, user's or group's draft (a separately declared policy resource)."""
    draft.kwargs["policies"] = {**(draft.kwargs.get("policies") or {}), name: document}


def add_managed(draft: Draft, policy: str) -> None:
    """Attach a managed policy (a logical name or an ARN) to a role's, user's or group's draft."""
    managed = tuple(draft.kwargs.get("managed_policies", ()))
    if policy not in managed:
        draft.kwargs["managed_policies"] = (*managed, policy)


def cfn_inline_policies(reader: Reader, props: Props, draft: Draft) -> Any:
    """``Policies`` of AWS::IAM::Role, User and Group: a list of ``{PolicyName, PolicyDocument}``."""
    return {
        item.text("PolicyName", required=True): item.doc("PolicyDocument", required=True)
        for item in props.items("Policies")
    }


def inline_fold(key: str, section: str) -> FoldFn:
    """The fold of ``aws_iam_<kind>_policy``: an inline policy of the role, user or group named by ``key``."""

    def fold(reader: Reader, props: Props, origin: Origin) -> None:
        owner = attached(reader, props.require(key), section, props.at(key), "an inline policy for")
        # An existing principal may show an inline policy managed elsewhere with an empty document.
        document = props.doc("policy") if props.values.get("policy") else None
        props.ignore("policy")
        name = props.text("name") or origin.name
        reason = reader.unknown_at(props.at("policy"))  # known only at apply, or rebuilt approximately
        if document is None and reason is None:  # a value known only at apply is noted where it is read
            reason = f"{props.at('policy')} is not in the plan"
            reader.note(f"{props.at('policy')}: not in the plan; scenarios that depend on it are unverified")
        if owner is not None and reason is not None:
            reader.unknown(owner.address, "policies", reason)
        if owner is not None and document is not None:
            add_inline(owner, name, document)

    return fold


def attachment_fold(key: str, section: str) -> FoldFn:
    """The fold of ``aws_iam_<kind>_policy_attachment``: a managed policy attached to the role, user or group."""

    def fold(reader: Reader, props: Props, origin: Origin) -> None:
        owner = attached(reader, props.require(key), section, props.at(key), "a policy attachment for")
        reason = reader.unknown_at(props.at("policy_arn"))  # which policy is attached is not in the source
        if reason is not None:
            if owner is not None:
                reader.unknown(owner.address, "policies", reason)
            return
        policy = reader.reference(props.require("policy_arn"), "policies", props.at("policy_arn"))
        if owner is not None and policy is not None:
            add_managed(owner, policy)

    return fold


# -- in the backend --------------------------------------------------------------------------------------------


class PolicyApi:
    """The inline and attached policy calls of one kind of IAM principal (``User``, ``Group``; roles keep theirs).

    Args:
        kind: ``User`` or ``Group``, as the IAM operation names spell it (``PutUserPolicy``).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.key = f"{kind}Name"
        self.snake = kind.lower()

    def _call(self, iam: Any, operation: str, **kwargs: Any) -> Any:
        method: Callable[..., Any] = getattr(iam, operation.format(kind=self.snake))
        return method(**kwargs)

    def inline(self, iam: Any, name: str) -> dict[str, Any]:
        """The inline policies, canonical, by name."""
        found = {}
        for policy in self._call(iam, "list_{kind}_policies", **{self.key: name})["PolicyNames"]:
            document = self._call(iam, "get_{kind}_policy", **{self.key: name, "PolicyName": policy})["PolicyDocument"]
            found[policy] = canonical_policy(load_policy(document))
        return dict(sorted(found.items()))

    def attached(self, iam: Any, name: str) -> list[str]:
        """The ARNs of the attached managed policies, sorted."""
        listed = self._call(iam, "list_attached_{kind}_policies", **{self.key: name})["AttachedPolicies"]
        return sorted(p["PolicyArn"] for p in listed)

    def put_inline(self, ctx: ProviderContext, name: str, policies: dict[str, Any], *, replace: bool) -> None:
        """Write the inline policies; with ``replace``, delete the ones not given first."""
        iam = ctx.clients("iam")
        if replace:
            current = set(self._call(iam, "list_{kind}_policies", **{self.key: name})["PolicyNames"])
            for stale in sorted(current - set(policies)):
                self._call(iam, "delete_{kind}_policy", **{self.key: name, "PolicyName": stale})
        for policy, document in policies.items():
            text = policy_json(ctx.resolve(document))
            self._call(iam, "put_{kind}_policy", **{self.key: name, "PolicyName": policy, "PolicyDocument": text})

    def attach(self, ctx: ProviderContext, name: str, wanted: set[str]) -> None:
        """Attach exactly the managed policies ``wanted`` (ARNs)."""
        iam = ctx.clients("iam")
        have = set(self.attached(iam, name))
        for arn in sorted(have - wanted):
            self._call(iam, "detach_{kind}_policy", **{self.key: name, "PolicyArn": arn})
        for arn in sorted(wanted - have):
            self._call(iam, "attach_{kind}_policy", **{self.key: name, "PolicyArn": arn})

    def clear(self, iam: Any, name: str) -> None:
        """Delete every inline policy and detach every managed one (IAM refuses to delete what still has them)."""
        for policy in self._call(iam, "list_{kind}_policies", **{self.key: name})["PolicyNames"]:
            self._call(iam, "delete_{kind}_policy", **{self.key: name, "PolicyName": policy})
        for arn in self.attached(iam, name):
            self._call(iam, "detach_{kind}_policy", **{self.key: name, "PolicyArn": arn})
