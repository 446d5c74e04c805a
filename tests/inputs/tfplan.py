"""Builds Terraform plan JSON (``terraform show -json`` format 1.x) for the plan loader tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PROVIDER = "registry.terraform.io/hashicorp/aws"


@dataclass
class R:
    """One resource instance: its type and name, values known at plan time, unknown ones and expressions."""

    type: str
    name: str
    values: dict[str, Any]
    unknown: dict[str, Any] = field(default_factory=dict)
    expressions: dict[str, Any] = field(default_factory=dict)
    module: str = ""
    index: Any = None
    actions: tuple[str, ...] = ("create",)

    @property
    def address(self) -> str:
        local = f"{self.type}.{self.name}" + (f"[{json.dumps(self.index)}]" if self.index is not None else "")
        return f"{self.module}.{local}" if self.module else local


def ref(*references: str) -> dict[str, Any]:
    """A configuration expression made of references."""
    return {"references": list(references)}


def trust(service: str = "codebuild.amazonaws.com") -> str:
    """A trust policy document as Terraform shows it (JSON text)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def doc(action: str = "s3:GetObject", resource: str = "*") -> str:
    """A one-statement Allow policy as JSON text."""
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


def plan(
    *resources: R,
    module_calls: dict[str, Any] | None = None,
    data: list[dict[str, Any]] | None = None,
    version: str = "1.2",
    configured: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A plan holding ``resources``; modules come from each resource's ``module`` address.

    ``data`` are data sources read at plan time (in prior_state); ``configured`` are further configuration
    blocks of the root module (data sources read only at apply, such as a policy document).
    """
    modules: dict[str, list[dict[str, Any]]] = {}
    configs: dict[str, list[dict[str, Any]]] = {}
    changes = []
    for r in resources:
        entry: dict[str, Any] = {"address": r.address, "mode": "managed", "type": r.type, "name": r.name}
        if r.index is not None:
            entry["index"] = r.index
        entry.update({"provider_name": PROVIDER, "schema_version": 0, "values": r.values, "sensitive_values": {}})
        if r.actions != ("delete",):
            modules.setdefault(r.module, []).append(entry)
        change = {
            "address": r.address,
            "mode": "managed",
            "type": r.type,
            "name": r.name,
            "provider_name": PROVIDER,
            "change": {"actions": list(r.actions), "before": None, "after": r.values, "after_unknown": r.unknown},
        }
        if r.module:
            change["module_address"] = r.module
        changes.append(change)
        local = f"{r.type}.{r.name}"
        config_list = configs.setdefault(r.module, [])
        if not any(c["address"] == local for c in config_list):
            config_list.append(
                {"address": local, "mode": "managed", "type": r.type, "name": r.name, "expressions": r.expressions}
            )
    root: dict[str, Any] = {"resources": modules.get("", [])}
    children = [{"address": m, "resources": rs} for m, rs in modules.items() if m]
    if children:
        root["child_modules"] = children
    config_root: dict[str, Any] = {"resources": [*configs.get("", []), *(configured or [])]}
    for module, rs in configs.items():
        if not module:
            continue
        # module.a.module.b -> configuration.root_module.module_calls.a.module.module_calls.b.module
        node = config_root
        names = [n for i, n in enumerate(module.split(".")) if i % 2 == 1]
        for depth, name in enumerate(names):
            calls = node.setdefault("module_calls", {})
            if name not in calls:
                call = dict((module_calls or {}).get(name, {})) if depth == 0 else {}
                call.setdefault("source", f"./modules/{name}")
                call["module"] = dict(call.get("module", {}))
                calls[name] = call
            node = calls[name]["module"]
        node["resources"] = [*node.get("resources", []), *rs]
    return {
        "format_version": version,
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": root},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": data or []}}},
        "configuration": {"root_module": config_root},
    }


def caller(account: str = "111122223333", region: str = "eu-west-1") -> list[dict[str, Any]]:
    """Data sources for the account and region, as read at plan time."""
    return [
        {
            "address": "data.aws_caller_identity.me",
            "mode": "data",
            "type": "aws_caller_identity",
            "name": "me",
            "values": {"account_id": account},
        },
        {
            "address": "data.aws_region.here",
            "mode": "data",
            "type": "aws_region",
            "name": "here",
            "values": {"name": region},
        },
    ]


def role(name: str = "build", **kw: Any) -> R:
    """An aws_iam_role with a CodeBuild trust policy."""
    values = {"name": f"acme-{name}", "assume_role_policy": trust(), "path": "/", "description": "", "tags": None}
    values.update(kw.pop("values", {}))
    return R("aws_iam_role", name, values, unknown={"arn": True, "id": True, "unique_id": True}, **kw)
