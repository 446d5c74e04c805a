"""Terraform plan JSON (``terraform show -json``) into the resource model, rebuilding values unknown at plan time."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from harness.errors import InputError
from harness.inputs._common import UNVERIFIED, Assembly, NameAllocator, describe, ref_parts
from harness.inputs.text import read_text
from harness.model.definition import Definition
from harness.model.schema import TERRAFORM, Draft, Origin, Props
from harness.model.walker import map_fields
from harness.provider.registry import Registry
from harness.provider.resources.ec2_common import is_raw_id

T = TypeVar("T")

__all__ = ["load_plan", "parse_plan_text"]

# Plan JSON format versions: 0.1 (Terraform 0.12 to 0.14), 0.2 (0.15 to 1.0), 1.x (1.1 and later).
SUPPORTED_FORMATS = re.compile(r"0\.[12]|1\.\d+")

# References to Terraform's own values, not to resources: they say which instance, not what value.
_META_REFERENCES = ("count.", "each.", "path.", "terraform.", "self.")

_EC2_SECTIONS = frozenset(
    {
        "vpcs",
        "subnets",
        "route_tables",
        "internet_gateways",
        "nat_gateways",
        "vpc_peerings",
        "vpc_endpoints",
        "security_groups",
        "network_acls",
    }
)

# Attributes holding lists of references, which one configuration expression fills as a whole.
_LIST_ATTRIBUTES = frozenset(
    {"subnets", "subnet_ids", "security_group_ids", "security_groups", "route_table_ids", "prefix_list_ids"}
)

# Attributes Terraform computes or fills with defaults; never reported as unmapped.
_COMPUTED = frozenset({"id", "arn", "tags_all", "unique_id", "create_date", "name_prefix", "owner_id", "key_id"})


@dataclass
class _Instance:
    """One resource instance of the plan: its address, type, values and what is unknown until apply."""

    address: str
    module: str
    type: str
    name: str
    index: Any
    values: dict[str, Any]
    unknown: Any = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None


def _built_from(expr: Any, module: str) -> str:
    """`` (built from module.ci.aws_iam_role.build, var.bucket_arn)``: what the configuration builds a value from."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for reference in node.get("references", ()) or ():
                if isinstance(reference, str) and reference not in found:
                    found.append(reference)
            for key, value in node.items():
                if key != "references":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(expr)
    sources = [r for r in found if not r.startswith(("local.", *_META_REFERENCES))]
    sources = [r for r in sources if not any(r.startswith(other + ".") for other in sources)]
    if module:
        sources = [r if r.startswith("var.") else f"{module}.{r}" for r in sources]
    return f" (built from {', '.join(sources)})" if sources else ""


def _empty_references(values: Any, unknown: Any, expressions: Any) -> Any:
    """``after_unknown`` with an empty value that the configuration builds from a resource taken as unknown too.

    Some plans (Terraform 0.12 among them) show an attribute set from another resource being created as ``""``
    instead of marking it unknown; its reference says what it will be.
    """
    if not isinstance(values, dict) or not isinstance(expressions, dict):
        return unknown
    marked = dict(unknown) if isinstance(unknown, dict) else {}
    for key, value in values.items():
        expr = expressions.get(key)
        if value != "" or marked.get(key) or not isinstance(expr, dict):
            continue
        references = expr.get("references") or []
        if any(isinstance(r, str) and not r.startswith(("var.", "local.", *_META_REFERENCES)) for r in references):
            marked[key] = True
    return marked


# Attributes AWS refuses empty: a plan that shows one as "" (a redacted or hand-made plan) does not say what will be
# applied, so the value is taken as unknown, like one known only at apply.
_REQUIRED_NONEMPTY = {
    "aws_security_group": ("description",),
    "aws_iam_policy": ("policy",),
    "aws_iam_role": ("assume_role_policy",),
    "aws_iam_role_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
    "aws_iam_role_policy_attachment": ("policy_arn",),
    "aws_iam_user_policy_attachment": ("policy_arn",),
    "aws_iam_group_policy_attachment": ("policy_arn",),
    "aws_iam_policy_attachment": ("policy_arn",),
}


UNVERIFIED_LEFT_OUT = "and scenarios that depend on it are unverified"

_UNDERIVABLE = "and not derivable from the plan; scenarios that depend on it are unverified"


class _Plan:
    """One plan being read: its instances by address, configuration, names and notes.

    It is also the reader the per-type spellings see (``harness.model.schema.Reader``).
    """

    format = TERRAFORM
    noun = "plan"

    def __init__(self, data: Mapping[str, Any], filename: str, text: str) -> None:
        self.data = data
        self.filename = filename
        self.text = text
        self.names = NameAllocator()
        self.registry = Registry.discover()
        self.assembly = Assembly(filename, self.names, self.registry)
        self.assembly.reader = self
        self.unknown_paths: dict[str, str] = {}  # property path -> why it is unknown (or only approximate)
        self.data_values: dict[str, dict[str, Any]] = {}  # data sources read at plan time, by address
        # Attributes that hold policy documents, which a reference to a resource never fills.
        self.documents = frozenset(
            {"policy", "assume_role_policy"}
            | {f.tf.rsplit(".", 1)[-1] for sc in self.registry.schemas for f in sc.fields if f.tf and f.read == "doc"}
        )
        self.instances: dict[str, _Instance] = {}
        self.logical: dict[str, tuple[str, str]] = {}  # address -> (section, name)
        self.drafts: dict[str, Draft] = {}
        self.globals: list[tuple[str, str]] = []
        self.by_name: dict[str, dict[str, str]] = {}
        self.deferred: list[Callable[[], None]] = []

    # -- errors ---------------------------------------------------------------------------------------------
    def fail(self, path: str, expected: str, found: str, fix: str) -> NoReturn:
        owners = [a for a in self.instances if path == a or path.startswith(a + ".") or path.startswith(a + "[")]
        line = self.instances[max(owners, key=len)].line if owners else None
        where = f"{self.filename}:{line} ({path})" if line else f"{self.filename} ({path})"
        raise InputError(
            where=where, expected=expected, found=found, fix=fix, file=self.filename, line=line, field=path
        )

    def line_of(self, address: str) -> int | None:
        """The line where the plan first mentions an address (JSON keeps no positions otherwise)."""
        needle = json.dumps(address)
        for pattern in (f'"address": {needle}', f'"address":{needle}'):
            at = self.text.find(pattern)
            if at >= 0:
                return self.text.count("\n", 0, at) + 1
        return None

    def note(self, text: str) -> None:
        self.assembly.note(text)

    # -- structure ------------------------------------------------------------------------------------------
    def check_format(self) -> None:
        if not isinstance(self.data, dict):
            raise InputError(
                where=self.filename,
                expected="a Terraform plan (a JSON object from 'terraform show -json PLANFILE')",
                found=describe(self.data),
                fix="run 'terraform show -json plan.out > plan.json'",
                file=self.filename,
            )
        version = self.data.get("format_version")
        if not isinstance(version, str) or not SUPPORTED_FORMATS.fullmatch(version):
            raise InputError(
                where=(
                    f"{self.filename}:{self.line_of_key('format_version')} (format_version)"
                    if version is not None and self.line_of_key("format_version")
                    else f"{self.filename} (format_version)"
                ),
                expected="a plan in JSON format version 0.1, 0.2 or 1.x (Terraform 0.12 or later)",
                found=describe(version) if version is not None else "none",
                fix="produce the plan with 'terraform show -json plan.out'",
                file=self.filename,
                field="format_version",
            )
        planned = self.data.get("planned_values")
        if not isinstance(planned, dict) or not isinstance(planned.get("root_module"), dict):
            kind = "a state" if "values" in self.data else "no planned_values"
            raise InputError(
                where=f"{self.filename} (planned_values)",
                expected="a plan with planned_values.root_module",
                found=kind if planned is None else describe(planned),
                fix="show a saved plan, not the state: 'terraform plan -out plan.out && terraform show -json plan.out'",
                file=self.filename,
                field="planned_values",
            )

    def line_of_key(self, key: str) -> int | None:
        at = self.text.find(json.dumps(key))
        return self.text.count("\n", 0, at) + 1 if at >= 0 else None

    def collect(self) -> None:
        changes: dict[str, Mapping[str, Any]] = {}
        for index, change in enumerate(_list(self.data.get("resource_changes"))):
            if not isinstance(change, dict) or not isinstance(change.get("address"), str):
                self.fail(f"resource_changes[{index}]", "a change with an address", describe(change), "regenerate it")
            changes[change["address"]] = change
        for module in _modules(self.data["planned_values"]["root_module"], self):
            for index, item in enumerate(_list(module.get("resources"))):
                where = f"{module.get('address') or 'root_module'}.resources[{index}]"
                if not isinstance(item, dict):
                    self.fail(where, "a resource object", describe(item), "regenerate the plan")
                if item.get("mode", "managed") != "managed":
                    continue
                for key in ("address", "type", "name"):
                    if not isinstance(item.get(key), str):
                        self.fail(f"{where}.{key}", f"'{key}' as a string", describe(item.get(key)), "regenerate it")
                values = item.get("values")
                if values is not None and not isinstance(values, dict):
                    self.fail(f"{item['address']}.values", "an object of values", describe(values), "regenerate it")
                change = changes.get(item["address"], {})
                detail = change.get("change") if isinstance(change, dict) else None
                detail = detail if isinstance(detail, dict) else {}
                actions = detail.get("actions") or []
                if actions == ["delete"]:
                    continue
                after = detail.get("after")
                if values is None and not isinstance(after, dict):
                    self.note(f"{item['address']}: the plan holds no values for it; left out, {UNVERIFIED_LEFT_OUT}")
                    continue
                merged = dict(values or {})
                if isinstance(after, dict):
                    merged = {**after, **merged}
                address = item["address"]
                module_address = address[: -len(_local(address))].rstrip(".")
                self.instances[address] = _Instance(
                    address=address,
                    module=module_address,
                    type=item["type"],
                    name=item["name"],
                    index=item.get("index"),
                    values=merged,
                    unknown=detail.get("after_unknown") or {},
                    config=self.config_of(module_address, item["type"], item["name"]),
                    line=self.line_of(address),
                )

    def config_of(self, module_address: str, rtype: str, name: str) -> Mapping[str, Any]:
        module = self.module_config(module_address)
        for resource in _list(module.get("resources")):
            if (
                isinstance(resource, dict)
                and (resource.get("type"), resource.get("name")) == (rtype, name)
                and resource.get("mode", "managed") == "managed"
            ):
                return resource
        return {}

    def module_config(self, module_address: str) -> Mapping[str, Any]:
        """The configuration block of a module, by its address without instance keys."""
        configuration = self.data.get("configuration")
        node: Any = configuration.get("root_module") if isinstance(configuration, dict) else None
        if not isinstance(node, dict):
            return {}
        for call in re.findall(r"module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?", module_address):
            calls = node.get("module_calls")
            target = calls.get(call) if isinstance(calls, dict) else None
            node = target.get("module") if isinstance(target, dict) else None
            if not isinstance(node, dict):
                return {}
        return node

    # -- deploy-time values ---------------------------------------------------------------------------------
    def discover_globals(self) -> None:
        """Account, region and partition read by data sources at plan time become deploy-time values.

        Every data source read at plan time is kept by address, for references to its attributes.
        """
        found: dict[str, str] = {}
        for source in (self.data.get("prior_state"), self.data.get("planned_values")):
            values = source.get("values") if isinstance(source, dict) and "values" in source else source
            root = values.get("root_module") if isinstance(values, dict) else None
            if not isinstance(root, dict):
                continue
            for module in _modules(root, None):
                for item in _list(module.get("resources")):
                    if not isinstance(item, dict) or item.get("mode") != "data":
                        continue
                    raw = item.get("values")
                    vals: dict[str, Any] = raw if isinstance(raw, dict) else {}
                    if isinstance(item.get("address"), str) and vals:
                        self.data_values.setdefault(item["address"], vals)
                    if item.get("type") == "aws_caller_identity" and isinstance(vals.get("account_id"), str):
                        found["account_id"] = vals["account_id"]
                    if item.get("type") == "aws_region":
                        region = vals.get("name") or vals.get("region")
                        if isinstance(region, str):
                            found["region"] = region
                    if item.get("type") == "aws_partition" and isinstance(vals.get("partition"), str):
                        found["partition"] = vals["partition"]
        if "account_id" not in found:
            # Without aws_caller_identity, the account most ARNs in the plan name is the deploying account.
            accounts = Counter(re.findall(r"arn:[a-z-]+:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):", self.text))
            if accounts:
                found["account_id"] = accounts.most_common(1)[0][0]
        if "region" not in found:
            config = self.data.get("configuration")
            providers = config.get("provider_config") if isinstance(config, dict) else None
            aws = providers.get("aws") if isinstance(providers, dict) else None
            region = aws.get("expressions", {}).get("region", {}) if isinstance(aws, dict) else {}
            if isinstance(region, dict) and isinstance(region.get("constant_value"), str):
                found["region"] = region["constant_value"]
        self.globals = [(value, name) for name, value in found.items()]

    def generalize(self, text: str) -> str:
        """Replace the plan's account id, region and partition with the model's deploy-time values."""
        for value, name in self.globals:
            if name == "partition":
                text = text.replace(f"arn:{value}:", "arn:${partition}:")
            elif name == "account_id":
                text = re.sub(rf"(?<![0-9]){re.escape(value)}(?![0-9])", "${account_id}", text)
            else:
                text = re.sub(rf"(?<=[:.]){re.escape(value)}(?=[:.])", "${region}", text)
        if "arn:aws:" in text:
            text = text.replace("arn:aws:", "arn:${partition}:")
        return text

    def blank_required(self, instance: _Instance, values: Any, address: str) -> Any:
        """``values`` with each attribute AWS refuses empty that the plan shows as ``""`` taken as unknown: left out
        (so what the resource type does without it applies), noted, and recorded as unknown."""
        blank = [
            k for k in _REQUIRED_NONEMPTY.get(instance.type, ()) if isinstance(values, dict) and values.get(k) == ""
        ]
        if not blank:
            return values
        out = dict(values)
        for key in blank:
            path = f"{address}.{key}"
            out.pop(key)
            self.note(f"{path}: empty in the plan, which AWS refuses; taken as unknown, {_UNDERIVABLE}")
            self.unknown_paths[path] = f"{path} is empty in the plan (AWS refuses an empty value)"
        return out

    def resolve_unknown(self, instance: _Instance, values: Any, unknown: Any, expr: Any, path: str) -> Any:
        """Fill values unknown until apply from the configuration's references (e.g. ``aws_iam_role.build.arn``)."""
        if unknown is True:
            if not isinstance(expr, dict):
                if expr:  # a configured block as a whole known only after apply
                    built = _built_from(expr, instance.module)
                    self.note(f"{path}: known only after apply{built}, {_UNDERIVABLE}")
                    self.unknown_paths[path] = f"{path} is known only after apply{built}"
                return values  # otherwise computed by the provider (arn, id...), not configured
            if path.rsplit(".", 1)[-1] in _LIST_ATTRIBUTES:
                many = self.list_from_expression(instance, expr)
                if many:
                    self.note(f"{path}: known only after apply; taken as {many} from the configuration's references")
                    return many
            resolved = self.from_expression(instance, expr, path)
            if resolved is None:
                built = _built_from(expr, instance.module)
                self.note(f"{path}: known only after apply{built}, {_UNDERIVABLE}")
                self.unknown_paths[path] = f"{path} is known only after apply{built}"
            elif not resolved.startswith("{"):  # a rebuilt policy document notes itself
                self.note(f"{path}: known only after apply; taken as {resolved} from the configuration's reference")
            return resolved
        if isinstance(unknown, dict):
            out = dict(values) if isinstance(values, dict) else {}
            # A map attribute written as one object ({ RoleArn = aws_iam_role.deploy.arn, ... }) has one
            # expression for the whole map: its references stand for the unknown keys (when they name one resource).
            whole = isinstance(expr, dict) and ("references" in expr or "constant_value" in expr)
            for key, sub in unknown.items():
                if sub is False:
                    continue
                sub_expr = expr if whole else expr.get(key) if isinstance(expr, dict) else None
                out[key] = self.resolve_unknown(instance, out.get(key), sub, sub_expr, f"{path}.{key}")
            return out
        if isinstance(unknown, list):
            items = list(values) if isinstance(values, list) else []
            known = len(items)
            while len(items) < len(unknown):
                items.append(None)
            many = self.list_from_expression(instance, expr, path) if isinstance(expr, dict) else []
            if many and len(many) == len(items):
                # One expression for the whole list ([aws_subnet.a.id, aws_subnet.b.id]): its references in order.
                items = [many[i] if sub is not False else items[i] for i, sub in enumerate(unknown)]
                self.note(f"{path}: known only after apply; taken as {many} from the configuration's references")
                return items
            for index, sub in enumerate(unknown):
                if sub is False:
                    continue
                sub_expr = None
                if isinstance(expr, list) and expr:
                    sub_expr = expr[index] if index < len(expr) else expr[0]
                items[index] = self.resolve_unknown(instance, items[index], sub, sub_expr, f"{path}[{index}]")
            # Positions known to be absent (false in after_unknown past the known values) are not items.
            return [item for i, item in enumerate(items) if i < known or unknown[i] is not False]
        return values

    def list_from_expression(self, instance: _Instance, expr: Any, path: str = "") -> list[str]:
        """The resources a list expression refers to, in order, as interpolations; [] when one cannot be followed.

        Terraform lists each reference followed by its prefixes (``aws_subnet.a.id``, ``aws_subnet.a``); before
        Terraform 0.13 only the resource is listed, and the attribute follows from what the list holds.
        """
        if not isinstance(expr, dict) or "constant_value" in expr:
            return []
        order: list[str] = []
        best: dict[str, str | None] = {}
        for ref in _list(expr.get("references")):
            if str(ref).startswith(_META_REFERENCES):
                continue
            found = self.follow(instance.module, ref, instance)
            if found is None:
                return []
            address, attribute = found
            if address not in best:
                order.append(address)
                best[address] = attribute
            elif len(attribute or "") > len(best[address] or ""):
                best[address] = attribute
        out = [self.interpolation(address, best[address] or _implied(path)) for address in order]
        return [o for o in out if o is not None] if all(out) else []

    def from_expression(self, instance: _Instance, expr: Any, path: str) -> str | None:
        """A value known only at apply, from its configuration expression, or None when it cannot be told.

        A plan's configuration lists the references an expression makes, not how it combines them: a value is
        taken from a reference only when every reference leads to the same resource (``aws_iam_role.build.arn``)
        or data source (``data.aws_iam_policy_document.trust.json``). A reference to anything else (a local, a
        variable of the root module, another data source) makes the value one the plan cannot tell.
        """
        if not isinstance(expr, dict):
            return None
        if "constant_value" in expr and isinstance(expr["constant_value"], str):
            return self.generalize(expr["constant_value"])
        refs = _references(expr)
        if not refs:
            return None
        data = {_data_address(r) for r in refs}
        if all(str(r).startswith("data.") for r in refs) and len(data) == 1:
            return self.data_value(instance, max(refs, key=len), path)
        targets = [self.follow(instance.module, ref, instance) for ref in refs]
        if any(t is None for t in targets):
            return None
        if path.rsplit(".", 1)[-1] in self.documents:
            return None  # a policy document is never a resource's name or ARN: it is built around them
        picked = _pick(set(targets))
        return self.interpolation(picked[0], picked[1] or _implied(path)) if picked else None

    def data_value(self, instance: _Instance, reference: str, path: str) -> str | None:
        """An attribute of a data source: as read at plan time, or a policy document rebuilt from its configuration."""
        base = _data_address(reference)
        attribute = reference[len(base) :].lstrip(".").split(".")[0].split("[")[0]
        if not attribute and base.startswith("data.aws_iam_policy_document."):
            attribute = "json"  # a whole policy document named where a document goes (a Terraform 0.12 plan)
        address = f"{instance.module + '.' if instance.module else ''}{base}"
        read = self.data_values.get(address) or self.data_values.get(address + "[0]")
        if read is not None and isinstance(read.get(attribute or "id"), str) and read.get(attribute or "id"):
            return self.generalize(str(read[attribute or "id"]))
        if base.startswith("data.aws_iam_policy_document.") and attribute in ("json", "minified_json"):
            built = self.policy_document(instance, base.split(".")[2], path)
            return json.dumps(built) if built is not None else None
        return None

    def policy_document(self, instance: _Instance, name: str, path: str) -> dict[str, Any] | None:
        """A ``data.aws_iam_policy_document`` rebuilt from its configuration (it is read only at apply).

        Constant values are exact; a reference is taken as the whole value of its field, which is what a plan
        can tell. When a reference may have been part of a longer value (a resource ARN followed by ``/*``), the
        document is noted as approximate: decisions that depend on it are unverified.
        """
        config = next(
            (
                r
                for r in _list(self.module_config(instance.module).get("resources"))
                if isinstance(r, dict)
                and (r.get("mode"), r.get("type"), r.get("name")) == ("data", "aws_iam_policy_document", name)
            ),
            None,
        )
        expressions = config.get("expressions") if isinstance(config, dict) else None
        if not isinstance(expressions, dict):
            return None
        approximate: list[str] = []
        statements = []
        for index, block in enumerate(_list(expressions.get("statement"))):
            if not isinstance(block, dict):
                continue
            statement = self.document_statement(instance, block, f"statement[{index}]", approximate)
            if statement is None:
                return None
            statements.append(statement)
        if not statements:
            return None
        document: dict[str, Any] = {"Version": "2012-10-17", "Statement": statements}
        where = f"data.aws_iam_policy_document.{name}"
        self.note(f"{path}: known only after apply; rebuilt from the configuration of {where}")
        if approximate:
            self.unknown_paths[path] = (
                f"{where} is read only at apply; rebuilt from its configuration, which does not show how "
                f"{', '.join(approximate)} combine their references"
            )
        return document

    def document_statement(
        self, instance: _Instance, block: Mapping[str, Any], where: str, approximate: list[str]
    ) -> dict[str, Any] | None:
        """One statement block of a policy document's configuration, or None when a value cannot be told."""

        def value(key: str, many: bool) -> Any:
            expr = block.get(key)
            if not isinstance(expr, dict):
                return None
            if "constant_value" in expr:
                constant = expr["constant_value"]
                return self.generalize_all(constant)
            values = self.list_from_expression(instance, expr, f"{where}.{key}")
            if not values:
                raise _Untold
            approximate.append(f"{where}.{key}")
            return values if many else values[0]

        try:
            statement: dict[str, Any] = {}
            for key, spelled, many in (
                ("sid", "Sid", False),
                ("effect", "Effect", False),
                ("actions", "Action", True),
                ("not_actions", "NotAction", True),
                ("resources", "Resource", True),
                ("not_resources", "NotResource", True),
            ):
                found = value(key, many)
                if found not in (None, "", []):
                    statement[spelled] = found
            statement.setdefault("Effect", "Allow")
            for key, spelled in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
                principals: dict[str, list[str]] = {}
                for sub in _list(block.get(key)):
                    kind = self.generalize_all((sub.get("type") or {}).get("constant_value"))
                    ids = value_of(sub, "identifiers", self, instance, where, approximate)
                    if isinstance(kind, str) and ids:
                        principals.setdefault(kind, []).extend(ids)
                if principals:
                    statement[spelled] = {k: v if len(v) > 1 else v[0] for k, v in principals.items()}
            conditions: dict[str, dict[str, Any]] = {}
            for sub in _list(block.get("condition")):
                test = self.generalize_all((sub.get("test") or {}).get("constant_value"))
                variable = self.generalize_all((sub.get("variable") or {}).get("constant_value"))
                values = value_of(sub, "values", self, instance, where, approximate)
                if isinstance(test, str) and isinstance(variable, str) and values:
                    conditions.setdefault(test, {})[variable] = values if len(values) > 1 else values[0]
            if conditions:
                statement["Condition"] = conditions
        except _Untold:
            return None
        return statement

    def generalize_all(self, value: Any) -> Any:
        """``generalize`` every string inside a constant value."""
        if isinstance(value, str):
            return self.generalize(value)
        if isinstance(value, list):
            return [self.generalize_all(v) for v in value]
        return value

    def follow(self, module: str, reference: Any, instance: _Instance) -> tuple[str, str | None] | None:
        """The resource instance address and attribute a configuration reference points at."""
        if not isinstance(reference, str):
            return None
        if reference.startswith("var."):
            return self.follow_variable(module, reference[4:].split(".")[0], instance)
        if reference.startswith("module."):
            match = re.match(r"module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.([A-Za-z0-9_-]+)", reference)
            if match is None:
                return None
            child = f"{module + '.' if module else ''}module.{match.group(1)}"
            output = self.module_config(child).get("outputs", {}).get(match.group(2), {})
            refs = _list(output.get("expression", {}).get("references")) if isinstance(output, dict) else []
            found = {self.follow(child, r, instance) for r in refs} - {None}
            return _pick(found)
        match = re.match(r"(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)((?:\[[^\]]*\])?)(?:\.([a-z0-9_]+))?", reference)
        if match is None:
            return None
        rtype, name, key, attribute = match.groups()
        base = f"{module + '.' if module else ''}{rtype}.{name}"
        candidates = [a for a in self.instances if a == base or a.startswith(base + "[")]
        if key and base + key in self.instances:
            return base + key, attribute
        if base in self.instances:
            return base, attribute
        # count/for_each: the instance with the referrer's own key, else the only one.
        own = f"{base}[{json.dumps(instance.index)}]" if instance.index is not None else None
        if own in self.instances:
            return own, attribute
        if len(candidates) == 1:
            return candidates[0], attribute
        return None

    def follow_variable(self, module: str, variable: str, instance: _Instance) -> tuple[str, str | None] | None:
        if not module:
            return None
        parent, _, call = module.rpartition(".module.") if ".module." in module else ("", "", module[7:])
        call = re.sub(r"\[[^\]]*\]$", "", call)
        calls = self.module_config(parent).get("module_calls", {})
        expr = calls.get(call, {}).get("expressions", {}).get(variable) if isinstance(calls, dict) else None
        refs = _list(expr.get("references")) if isinstance(expr, dict) else []
        found = {self.follow(parent, r, instance) for r in refs} - {None}
        return _pick(found)

    def interpolation(self, address: str, attribute: str | None) -> str | None:
        instance = self.instances.get(address)
        if instance is None or address not in self.logical:
            return None
        section, name = self.logical[address]
        schema = self.registry.tf_schema(instance.type, instance.values)
        if schema is None or schema.tf is None:
            return None
        model_attribute = schema.tf.attributes.get(attribute or "id")
        if model_attribute is None:
            return None
        if model_attribute == "cidr":
            # The model compares address ranges as the text the source gives them.
            cidr = instance.values.get(attribute or "cidr_block")
            return self.generalize(cidr) if isinstance(cidr, str) and cidr else None
        return f"${{{section}.{name}.{model_attribute}}}"

    # -- names ----------------------------------------------------------------------------------------------
    def allocate(self) -> None:
        for address, instance in self.instances.items():
            schema = self.registry.tf_schema(instance.type, instance.values)
            if schema is None:
                continue
            self.logical[address] = (schema.cls.SECTION, self.names.allocate(schema.cls.SECTION, _logical(address)))

    def physical_names(self) -> list[tuple[str, str]]:
        """(pattern text, interpolation) pairs: ARNs and names the plan spells out for modelled resources."""
        pairs: list[tuple[str, str]] = []
        for address, (section, name) in self.logical.items():
            instance = self.instances[address]
            spelling = self.registry.tf_schema(instance.type, instance.values)
            name_attribute = spelling.tf.name if spelling is not None and spelling.tf is not None else None
            physical = instance.values.get(name_attribute) if name_attribute else None
            if not isinstance(physical, str) or not physical:
                continue
            self.assembly.declared_names[f"{section}.{name}"] = self.generalize(physical)
            path = instance.values.get("path") if isinstance(instance.values.get("path"), str) else "/"
            arn = {
                "roles": f"arn:${{partition}}:iam::${{account_id}}:role{path}{physical}",
                "policies": f"arn:${{partition}}:iam::${{account_id}}:policy{path}{physical}",
                "buckets": f"arn:${{partition}}:s3:::{physical}",
                "log_groups": f"arn:${{partition}}:logs:${{region}}:${{account_id}}:log-group:{physical}",
                "build_projects": f"arn:${{partition}}:codebuild:${{region}}:${{account_id}}:project/{physical}",
                "pipelines": f"arn:${{partition}}:codepipeline:${{region}}:${{account_id}}:{physical}",
                "topics": f"arn:${{partition}}:sns:${{region}}:${{account_id}}:{physical}",
                "repositories": f"arn:${{partition}}:codecommit:${{region}}:${{account_id}}:{physical}",
                "trails": f"arn:${{partition}}:cloudtrail:${{region}}:${{account_id}}:trail/{physical}",
                "alarms": f"arn:${{partition}}:cloudwatch:${{region}}:${{account_id}}:alarm:{physical}",
                "ecr_repositories": f"arn:${{partition}}:ecr:${{region}}:${{account_id}}:repository/{physical}",
                "functions": f"arn:${{partition}}:lambda:${{region}}:${{account_id}}:function:{physical}",
                "event_rules": f"arn:${{partition}}:events:${{region}}:${{account_id}}:rule/{physical}",
                "users": f"arn:${{partition}}:iam::${{account_id}}:user{path}{physical}",
                "groups": f"arn:${{partition}}:iam::${{account_id}}:group{path}{physical}",
                "instance_profiles": f"arn:${{partition}}:iam::${{account_id}}:instance-profile{path}{physical}",
                "saml_providers": f"arn:${{partition}}:iam::${{account_id}}:saml-provider/{physical}",
                # An OIDC provider's ARN is made of its URL without the scheme.
                "oidc_providers": f"arn:${{partition}}:iam::${{account_id}}:oidc-provider/"
                f"{physical.removeprefix('https://')}",
            }.get(section)
            if arn:
                pairs.append((arn, f"${{{section}.{name}.arn}}"))
            names = self.by_name.setdefault(section, {})
            # Values are generalized before they are looked up: a name holding the account id (``123456789012-ci``)
            # is spelled ``${account_id}-ci`` by then.
            names[physical] = names[self.generalize(physical)] = f"${{{section}.{name}.name}}"
        for address, (section, name) in self.logical.items():
            # Resources that already exist (no-op or update) show their ARN and id in the plan.
            values = self.instances[address].values
            if isinstance(values.get("arn"), str) and values["arn"].startswith("arn:"):
                pairs.append((self.generalize(values["arn"]), f"${{{section}.{name}.arn}}"))
            if section == "keys" and isinstance(values.get("key_id"), str) and values["key_id"]:
                self.by_name.setdefault("keys", {})[values["key_id"]] = f"${{keys.{name}.id}}"
            # EC2 ids (vpc-..., sg-..., vpce-...) of existing network resources, and a gateway endpoint's prefix
            # list, stand for the resource wherever the plan spells them (a subnet's vpc_id, a bucket policy).
            for attribute, model_attribute in (("id", "id"), ("prefix_list_id", "prefix_list")):
                ec2_id = values.get(attribute)
                if section in _EC2_SECTIONS and isinstance(ec2_id, str) and is_raw_id(ec2_id):
                    pairs.append((ec2_id, f"${{{section}.{name}.{model_attribute}}}"))
        for instance in self.instances.values():
            if instance.type == "aws_kms_alias" and isinstance(instance.values.get("name"), str):
                target = self.follow(instance.module, _first_ref(instance.config, "target_key_id"), instance)
                if target and target[0] in self.logical:
                    alias = f"${{keys.{self.logical[target[0]][1]}.alias}}"
                    self.by_name.setdefault("keys", {})[instance.values["name"]] = alias
        return sorted(pairs, key=lambda p: -len(p[0]))

    def named(self, value: Any, section: str) -> Any:
        """A physical name the plan spells out for a modelled resource of ``section``, as its interpolation."""
        if isinstance(value, str):
            return self.by_name.get(section, {}).get(value, value)
        return value

    def rewrite(self, value: Any, pairs: list[tuple[str, str]], arn_pattern: re.Pattern[str] | None) -> Any:
        if isinstance(value, str):
            text = self.generalize(value)
            if arn_pattern is not None:
                lookup = dict(pairs)
                text = arn_pattern.sub(lambda m: lookup[m.group(1)], text)
            return text
        if isinstance(value, dict):
            return {k: self.rewrite(v, pairs, arn_pattern) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v, pairs, arn_pattern) for v in value]
        return value

    # -- mapping --------------------------------------------------------------------------------------------
    def map_resources(self) -> None:
        pairs = self.physical_names()
        arns = [p for p, _i in pairs if p.startswith("arn:") or is_raw_id(p)]
        arn_pattern = re.compile("(" + "|".join(re.escape(a) for a in arns) + r")(?=$|[/:\"*,\s])") if arns else None
        prepared: dict[str, Props] = {}
        for address, instance in self.instances.items():
            expressions = instance.config.get("expressions")
            unknown = _empty_references(instance.values, instance.unknown, expressions)
            values = self.resolve_unknown(instance, instance.values, unknown, expressions, address)
            values = self.blank_required(instance, values, address)
            values = self.rewrite(values, pairs, arn_pattern)
            if not isinstance(values, dict):
                self.fail(address, "an object of values (and after_unknown)", describe(values), "regenerate the plan")
            prepared[address] = Props(values, address, self.fail)
        for address, instance in self.instances.items():
            schema = self.registry.tf_schema(instance.type, instance.values)
            if schema is None or schema.tf is None:
                continue
            props = prepared[address]
            _section, name = self.logical[address]
            draft = Draft(schema.cls, name, address, instance.line)
            if schema.tf.name:
                props.ignore(schema.tf.name)
            map_fields(self, schema, props, draft)
            self.report_unmapped(props)
            self.drafts[address] = draft
            self.assembly.drafts.append(draft)
        for address, instance in self.instances.items():
            if self.registry.tf_schema(instance.type, instance.values) is not None:
                continue
            fold = self.registry.tf_fold(instance.type)
            ignored = self.registry.tf_ignored(instance.type)
            if fold is not None:
                fold.apply(self, prepared[address], Origin(address, instance.line, instance.name))
                self.report_unmapped(prepared[address])
            elif ignored is not None:
                self.note(f"{address} ({instance.type}): {ignored.reason}")
            elif instance.type.startswith("aws_"):
                self.note(f"{address} ({instance.type}): resource type {UNVERIFIED}")
            else:
                self.note(f"{address} ({instance.type}): not an AWS resource; ignored")
        for action in self.deferred:
            action()
        for draft in list(self.drafts.values()):
            for check in {s.check for s in self.registry.schema_of(draft.cls) if s.tf is not None and s.check}:
                check(self, draft)

    def report_unmapped(self, props: Props) -> None:
        # A plan shows every attribute of a type; empty ones are simply not set.
        for path in props.unmapped():
            key = path.rsplit(".", 1)[-1]
            if key in _COMPUTED or _empty(props.value_at(path)):
                continue
            self.note(f"{path}: {UNVERIFIED}")

    # -- the reader contract of the per-type spellings (harness.model.schema.Reader) -------------------------
    def example(self, section: str) -> str:
        return {"roles": "aws_iam_role.x.arn"}.get(section, _EXAMPLES.get(section, f"a reference to the {section}"))

    def make(self, cls: Callable[..., T], origin: str, line: int | None, **kwargs: Any) -> T:
        return self.assembly.make(cls, origin, line, **kwargs)

    def reference(
        self, value: Any, section: str, origin: str, *, arn_ok: bool = True, crosses: bool = False
    ) -> str | None:
        return self.assembly.reference(self.named(value, section), section, origin, arn_ok=arn_ok, crosses=crosses)

    def stand_in(self, section: str, identifier: str, origin: str, reason: str) -> str | None:
        return self.assembly.stand_in(section, identifier, origin, reason)

    def unknown_at(self, path: str) -> str | None:
        return self.unknown_paths.get(path)

    def unknown(self, address: str, aspect: str, reason: str) -> None:
        self.assembly.unknown(address, aspect, reason)

    def here(self, value: Any, path: str, section: str, what: str) -> str:
        # The network is analysed as planned: a rule, route or placement naming something outside the plan would
        # be a hole in that analysis, so it is refused rather than dropped.
        parts = ref_parts(self.named(value, section))
        if parts is not None and parts[0] == section:
            return parts[1]
        if isinstance(value, str) and value and ref_parts(value) is None:
            # An existing network resource named by id is stood in for, and the analysis of a network that holds
            # stand-ins is unverified.
            reason = f"{path} names {describe(value)}, which the plan does not declare"
            found = self.stand_in(section, value, path, reason)
            if found is not None:
                return found
        self.fail(
            path,
            f"{what} of this plan (a reference such as {_EXAMPLES.get(section, section)})",
            describe(value),
            f"declare the {what.removeprefix('a ').removeprefix('an ')} in the configuration; the harness deploys "
            "and analyses only what the plan holds",
        )

    def draft(self, section: str, name: str) -> Draft | None:
        drafts = self.assembly.drafts  # declared resources and stand-ins
        return next((d for d in drafts if section == d.cls.SECTION and d.name == name), None)

    def declared(self, section: str) -> list[Draft]:
        return self.assembly.declared(section)

    def target(self, value: Any, section: str) -> Draft | None:
        parts = ref_parts(self.named(value, section))
        if parts is None or parts[0] != section:
            return self.assembly.existing(section, value)
        return self.draft(section, parts[1])

    def spelled(self, value: Any, section: str | None = None) -> Any:
        if section is not None:
            return self.named(value, section)
        matches = [names[value] for names in self.by_name.values() if isinstance(value, str) and value in names]
        return matches[0] if len(matches) == 1 else value

    def later(self, action: Callable[[], None]) -> None:
        self.deferred.append(action)

    def prefix_list(self, value: str) -> str:
        parts = ref_parts(value)
        if parts is None or parts[:1] != ("vpc_endpoints",):
            return value
        for address, (section, name) in self.logical.items():
            if (section, name) == ("vpc_endpoints", parts[1]):
                service = self.instances[address].values.get("service_name")
                if isinstance(service, str):
                    match = re.fullmatch(r"com\.amazonaws\.\$\{region\}\.([a-z0-9.-]+)", self.generalize(service))
                    return match.group(1) if match else self.generalize(service)
        return value


# -- helpers ------------------------------------------------------------------------------------------------


class _Untold(Exception):
    """A value a plan's configuration does not tell."""


def value_of(
    block: Mapping[str, Any], key: str, plan: _Plan, instance: _Instance, where: str, approximate: list[str]
) -> list[Any]:
    """A list value of a nested block of a policy document's configuration (identifiers, condition values)."""
    expr = block.get(key)
    if not isinstance(expr, dict):
        return []
    if "constant_value" in expr:
        constant = plan.generalize_all(expr["constant_value"])
        return constant if isinstance(constant, list) else [constant]
    values = plan.list_from_expression(instance, expr, f"{where}.{key}")
    if not values:
        raise _Untold
    approximate.append(f"{where}.{key}")
    return values


def _implied(path: str) -> str:
    """The attribute a reference to a whole resource stands for, from what the referring attribute holds.

    Plans of Terraform 0.12 list only the resource a reference names (``aws_vpc.main`` for
    ``aws_vpc.main.cidr_block``): a ``cidr_blocks`` list holds CIDR blocks, an ``..._arn`` attribute ARNs, and
    anything else takes the resource's id.
    """
    key = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
    if "cidr" in key:
        return "cidr_block"
    if key in ("arn", "resources", "not_resources", "identifiers") or key.endswith(("_arn", "_arns")):
        return "arn"
    return "id"


def _references(expr: Mapping[str, Any]) -> list[str]:
    """An expression's references to values: without Terraform's own (``count.index``) and without the prefixes
    Terraform lists after each reference (``aws_iam_role.build`` after ``aws_iam_role.build.arn``)."""
    refs = [str(r) for r in _list(expr.get("references")) if not str(r).startswith(_META_REFERENCES)]
    return [r for r in refs if not any(o != r and (o.startswith(r + ".") or o.startswith(r + "[")) for o in refs)]


def _data_address(reference: Any) -> str:
    """``data.aws_iam_policy_document.trust.json`` -> ``data.aws_iam_policy_document.trust``."""
    match = re.match(r"data\.[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?", str(reference))
    return match.group(0) if match else str(reference)


def _pick(found: set[tuple[str, str | None] | None]) -> tuple[str, str | None] | None:
    """The one resource a set of followed references points at, with its most specific attribute, else None.

    Terraform lists a reference and its prefixes (``aws_iam_role.build.arn``, ``aws_iam_role.build``).
    """
    targets = [t for t in found if t is not None]
    if len({address for address, _attribute in targets}) != 1:
        return None
    return max(targets, key=lambda t: len(t[1] or ""))


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _modules(root: Mapping[str, Any], plan: _Plan | None) -> Iterator[Mapping[str, Any]]:
    stack = [root]
    while stack:
        module = stack.pop(0)
        yield module
        children = module.get("child_modules")
        if children is not None and not isinstance(children, list) and plan is not None:
            plan.fail(
                f"{module.get('address') or 'root_module'}.child_modules", "a list", describe(children), "regenerate it"
            )
        stack.extend(c for c in _list(children) if isinstance(c, dict))


def _local(address: str) -> str:
    """``module.ci.aws_iam_role.build[0]`` -> ``aws_iam_role.build[0]``."""
    match = re.search(r"(?:^|\.)((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)$", address)
    return match.group(1) if match else address


def _logical(address: str) -> str:
    """A readable logical name from an address: modules, resource name and instance key; the type is the section."""
    modules = re.findall(r"module\.([A-Za-z0-9_-]+)(?:\[\"?([^\]\"]*)\"?\])?\.", address)
    local = _local(address)
    resource = re.match(r"[a-z0-9_]+\.([A-Za-z0-9_-]+)(?:\[\"?([^\]\"]*)\"?\])?", local)
    parts: list[str] = []
    for name, key in modules:
        parts.extend([name, key] if key else [name])
    if resource:
        parts.append(resource.group(1))
        if resource.group(2):
            parts.append(resource.group(2))
    return "-".join(parts).replace("_", "-") or address


def _first_ref(config: Mapping[str, Any], attribute: str) -> str | None:
    expr = config.get("expressions", {}).get(attribute) if isinstance(config.get("expressions"), dict) else None
    refs = _list(expr.get("references")) if isinstance(expr, dict) else []
    return refs[0] if refs else None


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


_EXAMPLES = {
    "vpcs": "aws_vpc.main.id",
    "subnets": "aws_subnet.build.id",
    "route_tables": "aws_route_table.private.id",
    "internet_gateways": "aws_internet_gateway.main.id",
    "nat_gateways": "aws_nat_gateway.main.id",
    "vpc_peerings": "aws_vpc_peering_connection.peer.id",
    "vpc_endpoints": "aws_vpc_endpoint.s3.id",
    "security_groups": "aws_security_group.build.id",
    "network_acls": "aws_network_acl.data.id",
    "secrets": "aws_secretsmanager_secret.token.id",
}


# -- entry points -------------------------------------------------------------------------------------------


def parse_plan_text(text: str, filename: str = "<string>") -> Definition:
    """Turn ``terraform show -json`` plan output into a definition.

    Args:
        text: the plan JSON (format_version 1.x).
        filename: used in messages and as the source.

    Returns:
        The definition; ``notes`` lists unsupported types and attributes by address, and values known only
        after apply that the plan cannot supply.

    Raises:
        InputError: naming the file, the line of the resource and its address, what was expected, found, fix.
    """
    text = text.removeprefix("\ufeff")  # a byte order mark left by an editor
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            where=f"{filename}:{exc.lineno}",
            expected="valid JSON",
            found=f"a syntax error ({exc.msg} at column {exc.colno})",
            fix="regenerate the plan with 'terraform show -json plan.out'",
            file=filename,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except RecursionError:
        raise InputError(
            where=filename,
            expected="a Terraform plan",
            found="JSON nested too deeply",
            fix="check the file",
            file=filename,
        ) from None
    try:
        return _build(data, filename, text)
    except RecursionError:
        raise InputError(
            where=filename,
            expected="a Terraform plan",
            found="values nested too deeply",
            fix="check the file",
            file=filename,
        ) from None


def _build(data: Any, filename: str, text: str) -> Definition:
    plan = _Plan(data, filename, text)
    plan.check_format()
    plan.discover_globals()
    plan.collect()
    if not any(plan.registry.tf_schema(i.type, i.values) is not None for i in plan.instances.values()):
        raise InputError(
            where=f"{filename} (planned_values)",
            expected="at least one resource of a modelled type ("
            + ", ".join(sorted({s.tf.type for s in plan.registry.schemas if s.tf is not None}))
            + ")",
            found=f"{len(plan.instances)} resource(s) of other types",
            fix="plan the pipeline's resources",
            file=filename,
        )
    plan.allocate()
    plan.map_resources()
    return plan.assembly.definition(Path(filename).stem or "plan")


def load_plan(path: str | Path) -> Definition:
    """Load a Terraform plan JSON file (see ``parse_plan_text``).

    Raises:
        InputError: when the file cannot be read or the plan is invalid.
    """
    path = Path(path)
    text = read_text(path, "a Terraform plan JSON file")
    return parse_plan_text(text, str(path))
