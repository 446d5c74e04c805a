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
from harness.model.definition import Definition
from harness.model.schema import TERRAFORM, Draft, Origin, Props
from harness.model.walker import map_fields
from harness.provider.registry import Registry
from harness.provider.resources.ec2_common import is_raw_id

T = TypeVar("T")

__all__ = ["load_plan", "parse_plan_text"]

SUPPORTED_MAJOR = "1"

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
        self.assembly = Assembly(filename)
        self.names = NameAllocator()
        self.instances: dict[str, _Instance] = {}
        self.logical: dict[str, tuple[str, str]] = {}  # address -> (section, name)
        self.drafts: dict[str, Draft] = {}
        self.globals: list[tuple[str, str]] = []
        self.by_name: dict[str, dict[str, str]] = {}
        self.registry = Registry.discover()
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
        if not isinstance(version, str) or version.split(".")[0] != SUPPORTED_MAJOR:
            raise InputError(
                where=(
                    f"{self.filename}:{self.line_of_key('format_version')} (format_version)"
                    if version is not None and self.line_of_key("format_version")
                    else f"{self.filename} (format_version)"
                ),
                expected=f"a plan in JSON format version {SUPPORTED_MAJOR}.x",
                found=describe(version) if version is not None else "none",
                fix="produce the plan with Terraform 1.x: 'terraform show -json plan.out'",
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
        """Account, region and partition read by data sources at plan time become deploy-time values."""
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

    def resolve_unknown(self, instance: _Instance, values: Any, unknown: Any, expr: Any, path: str) -> Any:
        """Fill values unknown until apply from the configuration's references (e.g. ``aws_iam_role.build.arn``)."""
        if unknown is True:
            if not isinstance(expr, dict):
                if expr:  # a configured block as a whole known only after apply
                    self.note(f"{path}: known only after apply and not derivable from the plan; {UNVERIFIED}")
                return values  # otherwise computed by the provider (arn, id...), not configured
            if path.rsplit(".", 1)[-1] in _LIST_ATTRIBUTES:
                many = self.list_from_expression(instance, expr)
                if many:
                    self.note(f"{path}: known only after apply; taken as {many} from the configuration's references")
                    return many
            resolved = self.from_expression(instance, expr, path)
            if resolved is None:
                self.note(f"{path}: known only after apply and not derivable from the plan; {UNVERIFIED}")
            else:
                self.note(f"{path}: known only after apply; taken as {resolved} from the configuration's reference")
            return resolved
        if isinstance(unknown, dict):
            out = dict(values) if isinstance(values, dict) else {}
            for key, sub in unknown.items():
                if sub is False:
                    continue
                sub_expr = expr.get(key) if isinstance(expr, dict) else None
                out[key] = self.resolve_unknown(instance, out.get(key), sub, sub_expr, f"{path}.{key}")
            return out
        if isinstance(unknown, list):
            items = list(values) if isinstance(values, list) else []
            while len(items) < len(unknown):
                items.append(None)
            many = self.list_from_expression(instance, expr) if isinstance(expr, dict) else []
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
            return items
        return values

    def list_from_expression(self, instance: _Instance, expr: Any) -> list[str]:
        """The resources a list expression refers to, in order, as interpolations; [] when one cannot be followed.

        Terraform lists each reference followed by its prefixes (``aws_subnet.a.id``, ``aws_subnet.a``).
        """
        if not isinstance(expr, dict) or "constant_value" in expr:
            return []
        order: list[str] = []
        best: dict[str, str | None] = {}
        for ref in _list(expr.get("references")):
            found = self.follow(instance.module, ref, instance)
            if found is None:
                return []
            address, attribute = found
            if address not in best:
                order.append(address)
                best[address] = attribute
            elif len(attribute or "") > len(best[address] or ""):
                best[address] = attribute
        out = [self.interpolation(address, best[address]) for address in order]
        return [o for o in out if o is not None] if all(out) else []

    def from_expression(self, instance: _Instance, expr: Any, path: str) -> str | None:
        if not isinstance(expr, dict):
            return None
        if "constant_value" in expr and isinstance(expr["constant_value"], str):
            return self.generalize(expr["constant_value"])
        targets = {self.follow(instance.module, ref, instance) for ref in _list(expr.get("references"))}
        targets.discard(None)
        # Several resources feed the value (a policy built with jsonencode): it cannot be rebuilt from the plan.
        picked = _pick(targets)
        return self.interpolation(*picked) if picked else None

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
        schema = self.registry.tf_schema(instance.type)
        if schema is None or schema.tf is None:
            return None
        model_attribute = schema.tf.attributes.get(attribute or "id")
        if model_attribute is None:
            return None
        return f"${{{section}.{name}.{model_attribute}}}"

    # -- names ----------------------------------------------------------------------------------------------
    def allocate(self) -> None:
        for address, instance in self.instances.items():
            schema = self.registry.tf_schema(instance.type)
            if schema is None:
                continue
            self.logical[address] = (schema.cls.SECTION, self.names.allocate(schema.cls.SECTION, _logical(address)))

    def physical_names(self) -> list[tuple[str, str]]:
        """(pattern text, interpolation) pairs: ARNs and names the plan spells out for modelled resources."""
        pairs: list[tuple[str, str]] = []
        for address, (section, name) in self.logical.items():
            instance = self.instances[address]
            spelling = self.registry.tf_schema(instance.type)
            name_attribute = spelling.tf.name if spelling is not None and spelling.tf is not None else None
            physical = instance.values.get(name_attribute) if name_attribute else None
            if not isinstance(physical, str) or not physical:
                continue
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
            values = self.resolve_unknown(
                instance, instance.values, instance.unknown, instance.config.get("expressions"), address
            )
            values = self.rewrite(values, pairs, arn_pattern)
            if not isinstance(values, dict):
                self.fail(address, "an object of values (and after_unknown)", describe(values), "regenerate the plan")
            prepared[address] = Props(values, address, self.fail)
        for address, instance in self.instances.items():
            schema = self.registry.tf_schema(instance.type)
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
            if self.registry.tf_schema(instance.type) is not None:
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

    def reference(self, value: Any, section: str, origin: str, *, arn_ok: bool = True) -> str | None:
        return self.assembly.reference(self.named(value, section), section, origin, arn_ok=arn_ok)

    def here(self, value: Any, path: str, section: str, what: str) -> str:
        # The network is analysed as planned: a rule, route or placement naming something outside the plan would
        # be a hole in that analysis, so it is refused rather than dropped.
        parts = ref_parts(self.named(value, section))
        if parts is not None and parts[0] == section:
            return parts[1]
        self.fail(
            path,
            f"{what} of this plan (a reference such as {_EXAMPLES.get(section, section)})",
            describe(value),
            f"declare the {what.removeprefix('a ').removeprefix('an ')} in the configuration; the harness deploys "
            "and analyses only what the plan holds",
        )

    def draft(self, section: str, name: str) -> Draft | None:
        return next((d for d in self.drafts.values() if section == d.cls.SECTION and d.name == name), None)

    def declared(self, section: str) -> list[Draft]:
        return [d for d in self.drafts.values() if section == d.cls.SECTION]

    def target(self, value: Any, section: str) -> Draft | None:
        parts = ref_parts(self.named(value, section))
        if parts is None or parts[0] != section:
            return None
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
    if not any(plan.registry.tf_schema(i.type) is not None for i in plan.instances.values()):
        raise InputError(
            where=f"{filename} (planned_values)",
            expected="at least one resource of a modelled type ("
            + ", ".join(sorted(s.tf.type for s in plan.registry.schemas if s.tf is not None))
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
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            where=str(path),
            expected="a readable Terraform plan JSON file",
            found=getattr(exc, "strerror", None) or str(exc),
            fix="check the path",
            file=str(path),
        ) from None
    return parse_plan_text(text, str(path))
