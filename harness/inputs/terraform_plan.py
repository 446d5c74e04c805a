"""Terraform plan JSON (``terraform show -json``) into the resource model, rebuilding values unknown at plan time."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, get_args

from harness.errors import InputError
from harness.inputs._common import (
    UNVERIFIED,
    Assembly,
    Draft,
    NameAllocator,
    Props,
    describe,
    ref_parts,
    shell_text,
    vpc_config,
)
from harness.model.base import Resource
from harness.model.definition import Definition
from harness.provider.resources.alarm import Alarm, Comparison, MissingData
from harness.provider.resources.cloudtrail import Trail
from harness.provider.resources.codebuild_project import (
    BuildEnvironment,
    BuildLogs,
    BuildProject,
    CloudWatchLogs,
    EnvironmentVariable,
    S3Logs,
    VpcConfig,
    VpcPlacement,
)
from harness.provider.resources.codecommit import Repository
from harness.provider.resources.codepipeline import Action, ArtifactStore, Pipeline, Stage
from harness.provider.resources.ec2_common import is_raw_id
from harness.provider.resources.ec2_internet_gateway import InternetGateway
from harness.provider.resources.ec2_nat_gateway import NatGateway
from harness.provider.resources.ec2_network_acl import NaclRule, NetworkAcl
from harness.provider.resources.ec2_route_table import RouteSpec, RouteTable
from harness.provider.resources.ec2_security_group import SecurityGroup, SecurityGroupRule
from harness.provider.resources.ec2_subnet import Subnet
from harness.provider.resources.ec2_vpc import Vpc
from harness.provider.resources.ec2_vpc_endpoint import VpcEndpoint
from harness.provider.resources.ec2_vpc_peering import VpcPeering
from harness.provider.resources.iam_policy import ManagedPolicy
from harness.provider.resources.iam_role import Role
from harness.provider.resources.kms_key import KmsKey
from harness.provider.resources.log_group import LogGroup
from harness.provider.resources.metric_filter import MetricFilter
from harness.provider.resources.s3_bucket import Bucket, BucketEncryption, PublicAccessBlock
from harness.provider.resources.secrets import Secret
from harness.provider.resources.sns_topic import Topic

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


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one aws_* type maps: model class, its physical-name attribute, what each attribute refers to, mapper."""

    cls: type[Resource]
    name_attribute: str | None
    attributes: Mapping[str, str]
    mapper: Callable[[_Plan, Draft, Props, _Instance], None]
    defaults: Mapping[str, Any] = field(default_factory=dict)


class _Plan:
    """One plan being read: its instances by address, configuration, names and notes."""

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
        # (origin, subnet, field, target): route table and network ACL associations, applied once all are mapped.
        self.associations: list[tuple[str, str, str, str]] = []

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
        kind = KINDS[instance.type]
        model_attribute = kind.attributes.get(attribute or "id")
        if model_attribute is None:
            return None
        return f"${{{section}.{name}.{model_attribute}}}"

    # -- names ----------------------------------------------------------------------------------------------
    def allocate(self) -> None:
        for address, instance in self.instances.items():
            kind = KINDS.get(instance.type)
            if kind is None:
                continue
            self.logical[address] = (kind.cls.SECTION, self.names.allocate(kind.cls.SECTION, _logical(address)))

    def physical_names(self) -> list[tuple[str, str]]:
        """(pattern text, interpolation) pairs: ARNs and names the plan spells out for modelled resources."""
        pairs: list[tuple[str, str]] = []
        for address, (section, name) in self.logical.items():
            instance = self.instances[address]
            kind = KINDS[instance.type]
            physical = instance.values.get(kind.name_attribute) if kind.name_attribute else None
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
            }.get(section)
            if arn:
                pairs.append((arn, f"${{{section}.{name}.arn}}"))
            self.by_name.setdefault(section, {})[physical] = f"${{{section}.{name}.name}}"
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

    def configuration_value(self, key: str, value: str) -> str:
        """Action configuration naming a modelled resource (ProjectName, S3Bucket...) refers to it."""
        section = _CONFIGURATION_SECTIONS.get(key)
        if section is not None:
            return str(self.named(value, section))
        matches = [names[value] for names in self.by_name.values() if value in names]
        return matches[0] if len(matches) == 1 else value

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
            kind = KINDS.get(instance.type)
            if kind is None:
                continue
            props = prepared[address]
            _section, name = self.logical[address]
            draft = Draft(kind.cls, name, address, instance.line)
            if kind.name_attribute:
                props.ignore(kind.name_attribute)
            kind.mapper(self, draft, props, instance)
            self.report_unmapped(props, kind.defaults)
            self.drafts[address] = draft
            self.assembly.drafts.append(draft)
        for address, instance in self.instances.items():
            if instance.type in KINDS:
                continue
            folder = FOLDED.get(instance.type)
            if folder is not None:
                folder(self, prepared[address], instance)
                self.report_unmapped(prepared[address], {})
            elif instance.type.startswith("aws_"):
                self.note(f"{address} ({instance.type}): resource type {UNVERIFIED}")
            else:
                self.note(f"{address} ({instance.type}): not an AWS resource; ignored")
        _finish_network(self)

    def report_unmapped(self, props: Props, defaults: Mapping[str, Any]) -> None:
        for path in props.unmapped():
            key = path.rsplit(".", 1)[-1]
            value = _value_at(props, path)
            if key in _COMPUTED or _empty(value) or (key in defaults and defaults[key] == value):
                continue
            self.note(f"{path}: {UNVERIFIED}")

    def reference(self, value: Any, section: str, origin: str, *, arn_ok: bool = True) -> str | None:
        return self.assembly.reference(self.named(value, section), section, origin, arn_ok=arn_ok)

    def draft_for(self, value: Any, section: str) -> Draft | None:
        parts = ref_parts(value)
        if parts is None or parts[0] != section:
            return None
        return next((d for d in self.drafts.values() if section == d.cls.SECTION and d.name == parts[1]), None)


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


def _value_at(props: Props, path: str) -> Any:
    key = path.rsplit(".", 1)[-1]
    node = props
    for child in [props, *props.children]:
        if path.startswith(child.path + ".") and path[len(child.path) + 1 :] == key:
            node = child
    return node.values.get(key)


def _block(props: Props, key: str) -> Props | None:
    """The first of a nested block (Terraform shows blocks as lists of objects)."""
    items = props.items(key)
    return items[0] if items else None


def _tags(props: Props) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in props.mapping("tags").items()}


def _policy(plan: _Plan, props: Props, key: str, *, required: bool = False) -> dict[str, Any] | None:
    if not props.has(key):
        if required:
            plan.fail(props.at(key), f"'{key}' known at plan time", "it unknown or missing", "set the policy document")
        props.ignore(key)
        return None
    return props.doc(key)


# -- mappers ------------------------------------------------------------------------------------------------


def _role(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["trust_policy"] = _policy(plan, p, "assume_role_policy", required=True)
    policies: dict[str, Any] = {}
    for block in p.items("inline_policy"):
        name = block.text("name")
        document = _policy(plan, block, "policy")
        if name and document:
            policies[name] = document
    d.kwargs["policies"] = policies
    managed = []
    for index, arn in enumerate(p.seq("managed_policy_arns")):
        ref = plan.reference(arn, "policies", f"{p.at('managed_policy_arns')}[{index}]")
        if ref:
            managed.append(ref)
    d.kwargs["managed_policies"] = tuple(managed)
    if p.has("permissions_boundary"):
        d.kwargs["permissions_boundary"] = plan.reference(
            p.raw("permissions_boundary"), "policies", p.at("permissions_boundary")
        )
    d.kwargs["description"] = p.text("description", "")
    d.kwargs["path"] = p.text("path", "/")
    d.kwargs["tags"] = _tags(p)


def _managed_policy(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["document"] = _policy(plan, p, "policy", required=True)
    d.kwargs["description"] = p.text("description", "")
    d.kwargs["tags"] = _tags(p)
    p.ignore("path", "policy_id", "attachment_count")


def _bucket(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["tags"] = _tags(p)
    # Since AWS provider 4, these bucket arguments are computed and set by the split aws_s3_bucket_* resources.
    p.ignore(
        "force_destroy",
        "bucket_domain_name",
        "bucket_regional_domain_name",
        "hosted_zone_id",
        "region",
        "acceleration_status",
        "request_payer",
        "server_side_encryption_configuration",
        "versioning",
        "policy",
        "acl",
        "grant",
        "object_lock_configuration",
    )


def _kms_key(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["policy"] = _policy(plan, p, "policy")
    d.kwargs["description"] = p.text("description", "")
    d.kwargs["rotation"] = bool(p.flag("enable_key_rotation", False))
    d.kwargs["tags"] = _tags(p)


def _log_group(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    retention = p.integer("retention_in_days", 0)
    d.kwargs["retention_days"] = retention or None  # 0 means never expire
    if p.has("kms_key_id"):
        d.kwargs["kms_key"] = plan.reference(p.raw("kms_key_id"), "keys", p.at("kms_key_id"))
    d.kwargs["tags"] = _tags(p)


def _build_project(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    kw["service_role"] = plan.reference(p.require("service_role"), "roles", p.at("service_role")) or ""
    if not kw["service_role"]:
        plan.fail(
            p.at("service_role"),
            "a role of this plan or a role ARN",
            describe(p.raw("service_role")),
            "use aws_iam_role.x.arn",
        )
    source = _block(p, "source")
    if source is not None:
        kind = source.text("type", "CODEPIPELINE")
        if kind != "CODEPIPELINE":
            plan.note(f"{source.at('type')}: source type {kind!r} is read as CODEPIPELINE; {UNVERIFIED}")
        if source.has("buildspec"):
            kw["buildspec"] = shell_text(source.text("buildspec"))
        source.ignore("location", "git_clone_depth", "insecure_ssl", "report_build_status")
    artifacts = _block(p, "artifacts")
    if artifacts is not None and artifacts.text("type") == "CODEPIPELINE":
        artifacts.ignore(*artifacts.values)
    env = _block(p, "environment")
    if env is not None:
        variables = tuple(
            EnvironmentVariable(
                name=v.text("name", required=True),
                value=shell_text(v.text("value", "")),
                type=_variable_type(plan, v),
            )
            for v in env.items("environment_variable")
        )
        kw["environment"] = BuildEnvironment(
            image=env.text("image", required=True),
            compute_type=env.text("compute_type", required=True),
            type=env.text("type", required=True),
            privileged_mode=bool(env.flag("privileged_mode", False)),
            variables=variables,
        )
        if env.values.get("image_pull_credentials_type") == "CODEBUILD":
            env.ignore("image_pull_credentials_type")
    logs = _block(p, "logs_config")
    if logs is not None:
        cloudwatch = s3 = None
        cw = _block(logs, "cloudwatch_logs")
        if cw is not None:
            enabled = cw.text("status", "ENABLED") == "ENABLED"
            group = plan.reference(cw.raw("group_name"), "log_groups", cw.at("group_name"), arn_ok=False)
            if group:
                cloudwatch = CloudWatchLogs(group=group, stream_prefix=cw.text("stream_name", ""), enabled=enabled)
        s3_block = _block(logs, "s3_logs")
        if s3_block is not None:
            enabled = s3_block.text("status", "DISABLED") == "ENABLED"
            location = s3_block.text("location", "")
            bucket_part, _, prefix = location.partition("/")
            bucket = plan.reference(bucket_part, "buckets", s3_block.at("location"), arn_ok=False) if location else None
            encrypted = not s3_block.flag("encryption_disabled", False)
            s3_block.ignore("bucket_owner_access")
            if bucket:
                s3 = S3Logs(bucket=bucket, prefix=prefix, enabled=enabled, encrypted=encrypted)
        kw["logs"] = BuildLogs(cloudwatch=cloudwatch, s3=s3)
    vpc = _block(p, "vpc_config")
    if vpc is not None:
        kw["vpc"] = _placement(plan, vpc)
    kw["timeout_minutes"] = p.integer("build_timeout", 60)
    if p.has("encryption_key"):
        kw["encryption_key"] = plan.reference(p.raw("encryption_key"), "keys", p.at("encryption_key"))
    kw["description"] = p.text("description", "")
    kw["tags"] = _tags(p)
    p.ignore("queued_timeout", "badge_url", "project_visibility")


def _variable_type(plan: _Plan, p: Props) -> Any:
    kind = p.text("type", "PLAINTEXT")
    if kind not in ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"):
        plan.fail(p.at("type"), "PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER", repr(kind), "use one")
    return kind


def _pipeline(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    kw["role"] = plan.reference(p.require("role_arn"), "roles", p.at("role_arn")) or ""
    if not kw["role"]:
        plan.fail(
            p.at("role_arn"), "a role of this plan or a role ARN", describe(p.raw("role_arn")), "use aws_iam_role.x.arn"
        )
    stores = p.items("artifact_store")
    if stores:
        store = stores[0]
        bucket = plan.reference(store.require("location"), "buckets", store.at("location"), arn_ok=False)
        if bucket is None:
            plan.fail(
                store.at("location"),
                "a bucket of this plan",
                describe(store.raw("location")),
                "declare the artifact bucket",
            )
        store.ignore("type", "region")
        key = None
        encryption = _block(store, "encryption_key")
        if encryption is not None:
            encryption.ignore("type")
            key = plan.reference(encryption.require("id"), "keys", encryption.at("id"))
        kw["artifact_store"] = ArtifactStore(bucket=bucket, kms_key=key)
        for extra in stores[1:]:
            plan.note(f"{extra.path}: cross-region artifact stores are not modelled")
            extra.ignore(*extra.values)
    stages = []
    for stage in p.items("stage"):
        actions = []
        for action in stage.items("action"):
            configuration = {
                str(k): plan.configuration_value(str(k), v) if isinstance(v, str) else json.dumps(v)
                for k, v in action.mapping("configuration").items()
            }
            role = (
                plan.reference(action.raw("role_arn"), "roles", action.at("role_arn"))
                if action.has("role_arn")
                else None
            )
            actions.append(
                plan.assembly.make(
                    Action,
                    action.path,
                    d.line,
                    name=action.text("name", required=True),
                    category=action.text("category", required=True),
                    provider=action.text("provider", required=True),
                    owner=action.text("owner", required=True),
                    version=action.text("version", required=True),
                    run_order=action.integer("run_order", 1),
                    configuration=configuration,
                    input_artifacts=action.strings("input_artifacts"),
                    output_artifacts=action.strings("output_artifacts"),
                    role=role,
                )
            )
        stages.append(
            plan.assembly.make(
                Stage, stage.path, d.line, name=stage.text("name", required=True), actions=tuple(actions)
            )
        )
    kw["stages"] = tuple(stages)
    kw["tags"] = _tags(p)


def _topic(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    if p.has("kms_master_key_id"):
        d.kwargs["kms_key"] = plan.reference(p.raw("kms_master_key_id"), "keys", p.at("kms_master_key_id"))
    d.kwargs["policy"] = _policy(plan, p, "policy")
    d.kwargs["tags"] = _tags(p)
    p.ignore("signature_version", "tracing_config", "beginning_archive_time", "owner")


def _trail(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    bucket = plan.reference(p.require("s3_bucket_name"), "buckets", p.at("s3_bucket_name"), arn_ok=False)
    if bucket is None:
        plan.fail(
            p.at("s3_bucket_name"), "a bucket of this plan", describe(p.raw("s3_bucket_name")), "declare the bucket"
        )
    kw["bucket"] = bucket
    kw["s3_key_prefix"] = p.text("s3_key_prefix", "")
    if p.has("cloud_watch_logs_group_arn"):
        group = p.raw("cloud_watch_logs_group_arn")
        kw["log_group"] = plan.reference(group, "log_groups", p.at("cloud_watch_logs_group_arn"), arn_ok=False)
    if p.has("cloud_watch_logs_role_arn"):
        kw["cloudwatch_role"] = plan.reference(
            p.raw("cloud_watch_logs_role_arn"), "roles", p.at("cloud_watch_logs_role_arn")
        )
    if p.has("kms_key_id"):
        kw["kms_key"] = plan.reference(p.raw("kms_key_id"), "keys", p.at("kms_key_id"))
    kw["log_file_validation"] = bool(p.flag("enable_log_file_validation", False))
    kw["multi_region"] = bool(p.flag("is_multi_region_trail", False))
    kw["include_global_events"] = bool(p.flag("include_global_service_events", True))
    kw["logging"] = bool(p.flag("enable_logging", True))
    selectors = p.items("event_selector")
    if selectors:
        first = selectors[0]
        management = first.text("read_write_type", "All") if first.flag("include_management_events", True) else "none"
        if management not in ("All", "ReadOnly", "WriteOnly", "none"):
            plan.fail(first.at("read_write_type"), "All, ReadOnly or WriteOnly", repr(management), "use one")
        kw["management_events"] = management
        data: list[str] = []
        for resource in first.items("data_resource"):
            if resource.text("type", required=True) == "AWS::S3::Object":
                data.extend(resource.strings("values"))
            else:
                plan.note(f"{resource.path}: {resource.text('type')} data events are not modelled")
                resource.ignore("values")
        kw["data_events"] = tuple(data)
        first.ignore("exclude_management_event_sources")
        for extra in selectors[1:]:
            plan.note(f"{extra.path}: only the first event selector is modelled")
            extra.ignore(*extra.values)
    kw["tags"] = _tags(p)
    p.ignore("home_region")


def _metric_filter(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    kw["log_group"] = (
        plan.reference(p.require("log_group_name"), "log_groups", p.at("log_group_name"), arn_ok=False) or ""
    )
    kw["pattern"] = p.text("pattern", "")
    transformation = _block(p, "metric_transformation")
    if transformation is None:
        plan.fail(p.at("metric_transformation"), "a metric_transformation block", "none", "add one")
    kw["metric_name"] = transformation.text("name", required=True)
    kw["namespace"] = transformation.text("namespace", required=True)
    kw["value"] = transformation.text("value", "1")
    if transformation.has("default_value"):
        kw["default_value"] = _number(plan, transformation, "default_value")
    kw["unit"] = transformation.text("unit") if transformation.values.get("unit") not in (None, "None") else None
    transformation.ignore("unit")
    kw["dimensions"] = {str(k): str(v) for k, v in transformation.mapping("dimensions").items()}


def _number(plan: _Plan, p: Props, key: str) -> float:
    value = p.raw(key)
    try:
        return float(value)
    except (TypeError, ValueError):
        plan.fail(p.at(key), "a number", describe(value), f"write '{key}' as a number")


def _alarm(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    kw["metric_name"] = p.text("metric_name", "")
    kw["namespace"] = p.text("namespace", "")
    kw["statistic"] = p.text("statistic", "Sum")
    kw["period"] = p.integer("period", 300)
    kw["evaluation_periods"] = p.integer("evaluation_periods", required=True)
    kw["datapoints_to_alarm"] = p.integer("datapoints_to_alarm")
    kw["threshold"] = _number(plan, p, "threshold") if p.has("threshold") else 1.0
    comparison = p.text("comparison_operator", required=True)
    if comparison not in get_args(Comparison):
        plan.fail(p.at("comparison_operator"), f"one of {', '.join(get_args(Comparison))}", repr(comparison), "use one")
    kw["comparison"] = comparison
    missing = p.text("treat_missing_data", "missing")
    if missing not in get_args(MissingData):
        plan.fail(p.at("treat_missing_data"), f"one of {', '.join(get_args(MissingData))}", repr(missing), "use one")
    kw["treat_missing_data"] = missing
    kw["dimensions"] = {str(k): str(v) for k, v in p.mapping("dimensions").items()}
    for key, field_name in (
        ("alarm_actions", "alarm_actions"),
        ("ok_actions", "ok_actions"),
        ("insufficient_data_actions", "insufficient_data_actions"),
    ):
        refs = [plan.reference(v, "topics", f"{p.at(key)}[{i}]") for i, v in enumerate(p.seq(key))]
        kw[field_name] = tuple(r for r in refs if r)
    kw["description"] = p.text("alarm_description", "")
    kw["tags"] = _tags(p)


def _repository(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["description"] = p.text("description", "")
    d.kwargs["default_branch"] = p.text("default_branch", "main")
    d.kwargs["tags"] = _tags(p)
    p.ignore("clone_url_http", "clone_url_ssh", "repository_id")


# -- the network and secrets --------------------------------------------------------------------------------


def _ec2_tags(plan: _Plan, p: Props) -> dict[str, str]:
    """Tags of an EC2 network resource; its Name tag is the harness's own (run prefix plus logical name)."""
    tags = _tags(p)
    if "Name" in tags:
        plan.note(
            f"{p.at('tags')}: Name {tags.pop('Name')!r} is not kept; the harness names EC2 resources after the "
            "run prefix and the logical name"
        )
    return tags


def _named_here(plan: _Plan, value: Any, path: str, section: str, what: str) -> str:
    """The model name a value refers to (``aws_vpc.prod.id`` as ``${vpcs.prod.id}``), which must be in the plan.

    The network is analysed as planned: a rule, route or placement naming something outside the plan would be a
    hole in that analysis, so it is refused rather than dropped.
    """
    parts = ref_parts(plan.named(value, section))
    if parts is not None and parts[0] == section:
        return parts[1]
    plan.fail(
        path,
        f"{what} of this plan (a reference such as {_EXAMPLES[section]})",
        describe(value),
        f"declare the {what.removeprefix('a ').removeprefix('an ')} in the configuration; the harness deploys and "
        "analyses only what the plan holds",
    )


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


def _here(plan: _Plan, p: Props, key: str, section: str, what: str, *, required: bool = True) -> str | None:
    value = p.require(key) if required else p.raw(key)
    if value is None or value == "":
        return None
    return _named_here(plan, value, p.at(key), section, what)


def _refs_here(plan: _Plan, p: Props, key: str, section: str, what: str) -> tuple[str, ...]:
    return tuple(_named_here(plan, v, f"{p.at(key)}[{i}]", section, what) for i, v in enumerate(p.seq(key)))


def _parent(plan: _Plan, p: Props, key: str, section: str, what: str) -> Draft:
    """The draft a split resource (a rule, a route, an association, a version) belongs to."""
    name = _here(plan, p, key, section, what)
    draft = next((d for d in plan.drafts.values() if section == d.cls.SECTION and d.name == name), None)
    if draft is None:
        plan.fail(p.at(key), f"{what} of this plan", describe(p.raw(key)), "declare it in the configuration")
    return draft


def _vpc(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["cidr"] = p.text("cidr_block", required=True)
    tags = _ec2_tags(plan, p)
    # The isolation scenarios read the environment from a lower-case 'environment' tag; 'Environment' is common.
    spelled = next((k for k in tags if k.lower() == "environment" and k != "environment"), None)
    if spelled is not None and "environment" not in tags:
        d.kwargs["environment"] = tags[spelled]
    d.kwargs["tags"] = tags
    p.ignore(
        "default_network_acl_id",
        "default_route_table_id",
        "default_security_group_id",
        "main_route_table_id",
        "dhcp_options_id",
        "ipv6_association_id",
        "ipv6_cidr_block_network_border_group",
    )


def _subnet(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["vpc"] = _here(plan, p, "vpc_id", "vpcs", "a VPC")
    d.kwargs["cidr"] = p.text("cidr_block", required=True)
    d.kwargs["availability_zone"] = p.text("availability_zone", "")
    d.kwargs["map_public_ip"] = bool(p.flag("map_public_ip_on_launch", False))
    d.kwargs["tags"] = _ec2_tags(plan, p)
    p.ignore("availability_zone_id", "ipv6_cidr_block_association_id")


def _route(plan: _Plan, p: Props, origin: str, line: int | None, destination_key: str) -> RouteSpec | None:
    """One route, inline (``route`` block) or an ``aws_route``; None (noted) for targets the model has no type for."""
    ipv6_key = "ipv6_cidr_block" if destination_key == "cidr_block" else "destination_ipv6_cidr_block"
    if p.text(ipv6_key):
        plan.note(f"{origin}: IPv6 routes are {UNVERIFIED.split(';')[0]}; the route is left out")
        p.ignore(*p.values)
        return None
    kw: dict[str, Any] = {
        "destination": p.text(destination_key) or None,
        "prefix_list": p.text("destination_prefix_list_id") or None,
    }
    gateway = p.text("gateway_id")
    parts = ref_parts(gateway)
    if parts is not None and parts[0] == "internet_gateways":
        kw["internet_gateway"] = parts[1]
    elif p.text("nat_gateway_id"):
        kw["nat_gateway"] = _here(plan, p, "nat_gateway_id", "nat_gateways", "a NAT gateway")
    elif p.text("vpc_peering_connection_id"):
        kw["peering"] = _here(plan, p, "vpc_peering_connection_id", "vpc_peerings", "a VPC peering connection")
    else:
        target = next((k for k, v in p.values.items() if k.endswith("_id") and v and "destination" not in k
                       and k != "route_table_id"), "no target")  # fmt: skip
        plan.note(
            f"{origin}: a route to {target} {describe(p.values.get(target))} is {UNVERIFIED.split(';')[0]}; the "
            "route is left out and paths through it are unverified"
        )
        p.ignore(*p.values)
        return None
    p.ignore(*p.values)  # the other targets are empty strings in a route block
    return plan.assembly.make(RouteSpec, origin, line, **kw)


def _route_table(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["vpc"] = _here(plan, p, "vpc_id", "vpcs", "a VPC")
    routes = [_route(plan, block, block.path, d.line, "cidr_block") for block in p.items("route")]
    d.kwargs["routes"] = tuple(r for r in routes if r is not None)
    d.kwargs["tags"] = _ec2_tags(plan, p)


def _internet_gateway(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    vpc = _here(plan, p, "vpc_id", "vpcs", "a VPC", required=False)
    if vpc:
        d.kwargs["vpc"] = vpc
    d.kwargs["tags"] = _ec2_tags(plan, p)


def _nat_gateway(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["subnet"] = _here(plan, p, "subnet_id", "subnets", "a subnet")
    connectivity = p.text("connectivity_type", "public")
    if connectivity not in ("public", "private"):
        plan.fail(p.at("connectivity_type"), "public or private", repr(connectivity), "use one")
    d.kwargs["connectivity"] = connectivity
    # A public NAT gateway gets an Elastic IP the harness allocates with it, whichever the configuration names.
    p.ignore("allocation_id", "association_id", "network_interface_id", "private_ip", "public_ip")
    d.kwargs["tags"] = _ec2_tags(plan, p)


def _peering(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["requester"] = _here(plan, p, "vpc_id", "vpcs", "a VPC")
    d.kwargs["accepter"] = _here(plan, p, "peer_vpc_id", "vpcs", "a VPC")
    for key, own in (("peer_owner_id", "${account_id}"), ("peer_region", "${region}")):
        value = p.raw(key)
        if value not in (None, "", own):
            plan.note(f"{p.at(key)}: peering with another account or region is {UNVERIFIED}")
    # Without auto_accept (or an accepter resource) the connection stays pending and carries no traffic.
    d.kwargs["accepted"] = bool(p.flag("auto_accept", False))
    d.kwargs["tags"] = _ec2_tags(plan, p)
    p.ignore("accept_status")


def _service(value: str) -> str:
    """``com.amazonaws.${region}.s3`` is the model's ``s3`` (the deploy region's service)."""
    match = re.fullmatch(r"com\.amazonaws\.\$\{region\}\.([a-z0-9.-]+)", value)
    return match.group(1) if match else value


def _vpc_endpoint(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    kw["vpc"] = _here(plan, p, "vpc_id", "vpcs", "a VPC")
    kw["service"] = _service(p.text("service_name", required=True))
    kind = p.text("vpc_endpoint_type", "Gateway")
    if kind not in ("Gateway", "Interface"):
        plan.fail(p.at("vpc_endpoint_type"), "Gateway or Interface", repr(kind), f"{kind} endpoints are not modelled")
    kw["type"] = kind
    kw["route_tables"] = _refs_here(plan, p, "route_table_ids", "route_tables", "a route table")
    kw["subnets"] = _refs_here(plan, p, "subnet_ids", "subnets", "a subnet")
    kw["security_groups"] = _refs_here(plan, p, "security_group_ids", "security_groups", "a security group")
    kw["private_dns"] = bool(p.flag("private_dns_enabled", False)) if kind == "Interface" else False
    if kind == "Gateway":
        p.ignore("private_dns_enabled")
    kw["policy"] = _policy(plan, p, "policy")
    kw["tags"] = _ec2_tags(plan, p)
    p.ignore(
        "cidr_blocks",
        "dns_entry",
        "network_interface_ids",
        "prefix_list_id",
        "requester_managed",
        "state",
        "ip_address_type",
        "dns_options",
        "auto_accept",
    )


def _prefix_list(plan: _Plan, value: str) -> str:
    """A prefix list id, or the service of a gateway endpoint of the plan whose ``prefix_list_id`` is named."""
    parts = ref_parts(value)
    if parts is None or parts[:1] != ("vpc_endpoints",):
        return value
    for address, (section, name) in plan.logical.items():
        if (section, name) == ("vpc_endpoints", parts[1]):
            service = plan.instances[address].values.get("service_name")
            if isinstance(service, str):
                return _service(plan.generalize(service))
    return value


_ALL = ("-1", "all")


def _ports(p: Props, protocol: str, kw: dict[str, Any], low: str = "from_port", high: str = "to_port") -> None:
    if protocol.lower() in _ALL:
        p.ignore(low, high)  # every port of every protocol: EC2 ignores the range
    else:
        kw["from_port"] = p.integer(low)
        kw["to_port"] = p.integer(high)


def _block_rules(plan: _Plan, p: Props, own: str, line: int | None) -> list[SecurityGroupRule]:
    """The rules of one inline ``ingress``/``egress`` block or ``aws_security_group_rule``: one per peer."""
    protocol = str(p.text("protocol", required=True))
    base: dict[str, Any] = {"protocol": protocol, "description": p.text("description", "")}
    _ports(p, protocol, base)
    peers: list[dict[str, Any]] = []
    peers += [{"cidr": c} for c in (*p.strings("cidr_blocks"), *p.strings("ipv6_cidr_blocks"))]
    peers += [{"prefix_list": _prefix_list(plan, v)} for v in p.strings("prefix_list_ids")]
    peers += [{"group": g} for g in _refs_here(plan, p, "security_groups", "security_groups", "a security group")]
    if p.has("source_security_group_id"):
        peers.append({"group": _here(plan, p, "source_security_group_id", "security_groups", "a security group")})
    if p.flag("self", False):
        peers.append({"group": own})
    if not peers:
        plan.fail(p.path, "a peer (cidr_blocks, prefix_list_ids, security_groups or self)", "none", "name one")
    return [plan.assembly.make(SecurityGroupRule, p.path, line, **base, **peer) for peer in peers]


def _security_group(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    if not p.has("vpc_id"):
        plan.fail(
            p.at("vpc_id"),
            "a vpc_id naming a VPC of this plan",
            "none (a group of the default VPC)",
            "declare the VPC and set vpc_id = aws_vpc.main.id",
        )
    kw["vpc"] = _here(plan, p, "vpc_id", "vpcs", "a VPC")
    kw["description"] = p.text("description", "Managed by Terraform")
    kw["ingress"] = tuple(r for block in p.items("ingress") for r in _block_rules(plan, block, d.name, d.line))
    # Terraform removes the allow-all egress rule EC2 gives a new group: egress is exactly what is declared.
    kw["egress"] = tuple(r for block in p.items("egress") for r in _block_rules(plan, block, d.name, d.line))
    kw["tags"] = _ec2_tags(plan, p)


def _acl_entry(
    plan: _Plan, p: Props, egress: bool, number_key: str, action_key: str, line: int | None
) -> NaclRule | None:
    if p.text("ipv6_cidr_block"):
        plan.note(f"{p.path}: IPv6 entries are {UNVERIFIED.split(';')[0]}; the entry is left out")
        p.ignore(*p.values)
        return None
    protocol = str(p.text("protocol", required=True))
    action = p.text(action_key, required=True)
    if action not in ("allow", "deny"):
        plan.fail(p.at(action_key), "allow or deny", repr(action), "use allow or deny")
    kw: dict[str, Any] = {
        "rule": p.integer(number_key, required=True),
        "action": action,
        "cidr": p.text("cidr_block", required=True),
        "egress": egress,
        "protocol": protocol,
    }
    if protocol.lower() in ("6", "17", "tcp", "udp"):
        kw["from_port"] = p.integer("from_port", required=True)
        kw["to_port"] = p.integer("to_port", required=True)
    else:
        p.ignore("from_port", "to_port")  # EC2 ignores a port range for other protocols
    if protocol.lower() in ("1", "icmp"):
        kw["icmp_type"] = p.integer("icmp_type", -1)
        kw["icmp_code"] = p.integer("icmp_code", -1)
    else:
        p.ignore("icmp_type", "icmp_code")
    return plan.assembly.make(NaclRule, p.path, line, **kw)


def _network_acl(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    d.kwargs["vpc"] = _here(plan, p, "vpc_id", "vpcs", "a VPC")
    entries = [_acl_entry(plan, b, False, "rule_no", "action", d.line) for b in p.items("ingress")]
    entries += [_acl_entry(plan, b, True, "rule_no", "action", d.line) for b in p.items("egress")]
    d.kwargs["entries"] = tuple(e for e in entries if e is not None)
    for index, value in enumerate(p.seq("subnet_ids")):
        subnet = _named_here(plan, value, f"{p.at('subnet_ids')}[{index}]", "subnets", "a subnet")
        plan.associations.append((f"{p.at('subnet_ids')}[{index}]", subnet, "network_acl", d.name))
    d.kwargs["tags"] = _ec2_tags(plan, p)


def _secret(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    kw["store"] = "secrets-manager"
    if p.has("kms_key_id"):
        kw["kms_key"] = plan.reference(p.raw("kms_key_id"), "keys", p.at("kms_key_id"))
    kw["description"] = p.text("description", "")
    kw["tags"] = _tags(p)
    p.ignore("name_prefix")


def _parameter(plan: _Plan, d: Draft, p: Props, instance: _Instance) -> None:
    kw = d.kwargs
    kind = p.text("type", required=True)
    if kind in ("String", "StringList"):
        plan.note(
            f"{p.at('type')}: {kind} is stored unencrypted in AWS; the harness holds it as a SecureString, so "
            "scenarios about how it is stored are unverified"
        )
    kw["store"] = "parameter-store"
    value = p.text("value") or p.text("insecure_value")
    if value:
        kw["value"] = value
    key = p.text("key_id")
    if key and key != "alias/aws/ssm":  # SSM's own key is what no key means
        kw["kms_key"] = plan.reference(key, "keys", p.at("key_id"))
    kw["description"] = p.text("description", "")
    kw["tags"] = _tags(p)
    p.ignore("version", "overwrite")


# -- folded network and secret types ------------------------------------------------------------------------


def _add_rule(plan: _Plan, group: Draft, direction: str, rules: list[SecurityGroupRule]) -> None:
    field_name = "egress" if direction == "egress" else "ingress"
    current = tuple(group.kwargs.get(field_name) or ())
    # An existing group shows the rules its separate rule resources manage in its own ingress/egress too.
    group.kwargs[field_name] = (*current, *(r for r in rules if r not in current))


def _fold_sg_rule(plan: _Plan, p: Props, instance: _Instance) -> None:
    direction = p.text("type", required=True)
    if direction not in ("ingress", "egress"):
        plan.fail(p.at("type"), "ingress or egress", repr(direction), "use one")
    group = _parent(plan, p, "security_group_id", "security_groups", "a security group")
    _add_rule(plan, group, direction, _block_rules(plan, p, group.name, instance.line))
    p.ignore("security_group_rule_id")


def _fold_vpc_sg_rule(direction: str) -> Callable[[_Plan, Props, _Instance], None]:
    """``aws_vpc_security_group_ingress_rule`` / ``_egress_rule``: one rule with one peer each."""

    def fold(plan: _Plan, p: Props, instance: _Instance) -> None:
        group = _parent(plan, p, "security_group_id", "security_groups", "a security group")
        protocol = str(p.text("ip_protocol", required=True))
        kw: dict[str, Any] = {"protocol": protocol, "description": p.text("description", "")}
        _ports(p, protocol, kw)
        peers = [k for k in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id") if p.has(k)]
        if len(peers) != 1:
            plan.fail(
                p.path,
                "one of cidr_ipv4, cidr_ipv6, prefix_list_id or referenced_security_group_id",
                f"{len(peers)} of them",
                "give exactly one peer per rule",
            )
        if peers[0] == "referenced_security_group_id":
            kw["group"] = _here(plan, p, peers[0], "security_groups", "a security group")
        elif peers[0] == "prefix_list_id":
            kw["prefix_list"] = _prefix_list(plan, p.text(peers[0]))
        else:
            kw["cidr"] = p.text(peers[0])
        rule = plan.assembly.make(SecurityGroupRule, p.path, instance.line, **kw)
        _add_rule(plan, group, direction, [rule])
        p.ignore("security_group_rule_id", "tags")

    return fold


def _fold_route(plan: _Plan, p: Props, instance: _Instance) -> None:
    table = _parent(plan, p, "route_table_id", "route_tables", "a route table")
    route = _route(plan, p, instance.address, instance.line, "destination_cidr_block")
    if route is not None:
        table.kwargs["routes"] = (*table.kwargs.get("routes", ()), route)


def _fold_route_association(plan: _Plan, p: Props, instance: _Instance) -> None:
    if p.has("gateway_id") and not p.has("subnet_id"):
        p.ignore(*p.values)
        plan.note(f"{instance.address}: an edge association with a gateway is {UNVERIFIED}")
        return
    subnet = _here(plan, p, "subnet_id", "subnets", "a subnet")
    table = _here(plan, p, "route_table_id", "route_tables", "a route table")
    plan.associations.append((instance.address, str(subnet), "route_table", str(table)))


def _fold_acl_association(plan: _Plan, p: Props, instance: _Instance) -> None:
    subnet = _here(plan, p, "subnet_id", "subnets", "a subnet")
    acl = _here(plan, p, "network_acl_id", "network_acls", "a network ACL")
    plan.associations.append((instance.address, str(subnet), "network_acl", str(acl)))


def _fold_acl_rule(plan: _Plan, p: Props, instance: _Instance) -> None:
    acl = _parent(plan, p, "network_acl_id", "network_acls", "a network ACL")
    entry = _acl_entry(plan, p, bool(p.flag("egress", False)), "rule_number", "rule_action", instance.line)
    if entry is not None:
        acl.kwargs["entries"] = (*acl.kwargs.get("entries", ()), entry)


def _fold_gateway_attachment(plan: _Plan, p: Props, instance: _Instance) -> None:
    gateway = _parent(plan, p, "internet_gateway_id", "internet_gateways", "an internet gateway")
    gateway.kwargs["vpc"] = _here(plan, p, "vpc_id", "vpcs", "a VPC")


def _fold_peering_accepter(plan: _Plan, p: Props, instance: _Instance) -> None:
    peering = _parent(plan, p, "vpc_peering_connection_id", "vpc_peerings", "a VPC peering connection")
    if p.flag("auto_accept", False):
        peering.kwargs["accepted"] = True
    p.ignore("accept_status", "peer_vpc_id", "vpc_id", "peer_owner_id", "peer_region", "tags")


def _fold_endpoint_route_table(plan: _Plan, p: Props, instance: _Instance) -> None:
    endpoint = _parent(plan, p, "vpc_endpoint_id", "vpc_endpoints", "a VPC endpoint")
    table = _here(plan, p, "route_table_id", "route_tables", "a route table")
    endpoint.kwargs["route_tables"] = (*endpoint.kwargs.get("route_tables", ()), table)


def _fold_endpoint_policy(plan: _Plan, p: Props, instance: _Instance) -> None:
    endpoint = _parent(plan, p, "vpc_endpoint_id", "vpc_endpoints", "a VPC endpoint")
    endpoint.kwargs["policy"] = _policy(plan, p, "policy", required=True)


def _fold_eip(plan: _Plan, p: Props, instance: _Instance) -> None:
    p.ignore(*p.values)
    plan.note(
        f"{instance.address} (aws_eip): the harness allocates one Elastic IP with each public NAT gateway; this "
        "address is not created"
    )


def _fold_secret_version(plan: _Plan, p: Props, instance: _Instance) -> None:
    secret = _parent(plan, p, "secret_id", "secrets", "a secret")
    value = p.text("secret_string")
    if p.has("secret_binary"):
        p.raw("secret_binary")
        plan.note(f"{p.at('secret_binary')}: binary secrets are held as a fixed stand-in text")
    if value:
        secret.kwargs["value"] = value
    p.ignore("version_id", "version_stages", "arn")


_STAND_IN = "pipewarden-stand-in-secret"


def _finish_network(plan: _Plan) -> None:
    """What folding must have supplied: associations on their subnets, gateways attached, secrets' values."""
    drafts = {(d.cls.SECTION, d.name): d for d in plan.drafts.values()}
    for origin, subnet, field_name, target in plan.associations:
        draft = drafts[("subnets", subnet)]
        if draft.kwargs.get(field_name) not in (None, target):
            plan.fail(
                origin,
                f"one {field_name.replace('_', ' ')} per subnet",
                f"subnet '{subnet}' associated with '{draft.kwargs[field_name]}' and '{target}'",
                "keep one association per subnet",
            )
        draft.kwargs[field_name] = target
    for address, draft in plan.drafts.items():
        if draft.cls is InternetGateway and not draft.kwargs.get("vpc"):
            plan.fail(
                address,
                "vpc_id or an aws_internet_gateway_attachment attaching it to a VPC of this plan",
                "none",
                "set vpc_id = aws_vpc.main.id or remove the gateway",
            )
        if draft.cls is Secret and not draft.kwargs.get("value"):
            plan.note(f"{address}: no secret value in the plan; a fixed stand-in value is stored")
            draft.kwargs["value"] = _STAND_IN


def _placement(plan: _Plan, vpc: Props) -> VpcPlacement | VpcConfig | None:
    """A build's VPC by the plan's VPC, subnets and groups when all of them are in the plan.

    Otherwise the literal ids are kept (a VPC outside the plan), or, when only part of the network is in the plan,
    the build runs outside a VPC with a note (see ``vpc_config``).
    """
    vpc_id = vpc.raw("vpc_id")
    subnets = vpc.strings("subnets")
    groups = vpc.strings("security_group_ids")
    wanted = [(vpc_id, "vpcs"), *((s, "subnets") for s in subnets), *((g, "security_groups") for g in groups)]
    named = [ref_parts(plan.named(value, section)) for value, section in wanted]
    if subnets and groups and all(n is not None and n[0] == s for n, (_v, s) in zip(named, wanted, strict=True)):
        names = [n[1] for n in named if n is not None]
        return plan.assembly.make(
            VpcPlacement,
            vpc.path,
            None,
            vpc=names[0],
            subnets=tuple(names[1 : 1 + len(subnets)]),
            security_groups=tuple(names[1 + len(subnets) :]),
        )
    return vpc_config(plan.assembly, vpc.path, vpc_id, subnets, groups)


# -- folded types -------------------------------------------------------------------------------------------


def _target(plan: _Plan, props: Props, key: str, section: str, kind: str) -> Draft | None:
    value = plan.named(props.require(key), section)
    parts = ref_parts(value)
    target = plan.draft_for(f"${{{section}.{parts[1]}.name}}" if parts and parts[0] == section else value, section)
    if target is None:
        plan.note(f"{props.at(key)}: {kind} for {describe(value)}, outside the definition; {UNVERIFIED}")
    return target


def _fold_role_policy(plan: _Plan, p: Props, instance: _Instance) -> None:
    role = _target(plan, p, "role", "roles", "an inline policy")
    document = _policy(plan, p, "policy")
    name = p.text("name") or instance.name
    if document is None:
        plan.note(f"{p.at('policy')}: known only after apply and not derivable from the plan; {UNVERIFIED}")
    if role is not None and document is not None:
        role.kwargs["policies"] = {**role.kwargs.get("policies", {}), name: document}


def _fold_attachment(plan: _Plan, p: Props, instance: _Instance) -> None:
    role = _target(plan, p, "role", "roles", "a policy attachment")
    policy = plan.reference(p.require("policy_arn"), "policies", p.at("policy_arn"))
    if role is not None and policy is not None:
        role.kwargs["managed_policies"] = (*role.kwargs.get("managed_policies", ()), policy)


def _fold_bucket_policy(plan: _Plan, p: Props, instance: _Instance) -> None:
    bucket = _target(plan, p, "bucket", "buckets", "a bucket policy")
    document = _policy(plan, p, "policy", required=True)
    if bucket is not None:
        bucket.kwargs["policy"] = document


def _fold_encryption(plan: _Plan, p: Props, instance: _Instance) -> None:
    bucket = _target(plan, p, "bucket", "buckets", "default encryption")
    rule = _block(p, "rule")
    if bucket is None or rule is None:
        return
    default = _block(rule, "apply_server_side_encryption_by_default")
    algorithm = default.text("sse_algorithm", "AES256") if default else "AES256"
    if algorithm not in ("AES256", "aws:kms"):
        plan.note(f"{rule.path}: sse_algorithm {algorithm!r} is read as aws:kms")
        algorithm = "aws:kms"
    key = plan.reference(default.raw("kms_master_key_id"), "keys", rule.path) if default else None
    bucket.kwargs["encryption"] = plan.assembly.make(
        BucketEncryption,
        p.path,
        instance.line,
        algorithm=algorithm,
        kms_key=key,
        bucket_key=bool(rule.flag("bucket_key_enabled", False)),
    )


def _fold_public_access_block(plan: _Plan, p: Props, instance: _Instance) -> None:
    bucket = _target(plan, p, "bucket", "buckets", "a public access block")
    block = PublicAccessBlock(
        block_public_acls=bool(p.flag("block_public_acls", False)),
        ignore_public_acls=bool(p.flag("ignore_public_acls", False)),
        block_public_policy=bool(p.flag("block_public_policy", False)),
        restrict_public_buckets=bool(p.flag("restrict_public_buckets", False)),
    )
    if bucket is not None:
        bucket.kwargs["public_access_block"] = block


def _fold_versioning(plan: _Plan, p: Props, instance: _Instance) -> None:
    bucket = _target(plan, p, "bucket", "buckets", "versioning")
    config = _block(p, "versioning_configuration")
    if bucket is not None and config is not None:
        bucket.kwargs["versioning"] = config.text("status", required=True) == "Enabled"


def _fold_topic_policy(plan: _Plan, p: Props, instance: _Instance) -> None:
    topic = _target(plan, p, "arn", "topics", "a topic policy")
    document = _policy(plan, p, "policy", required=True)
    if topic is not None:
        topic.kwargs["policy"] = document


def _fold_alias(plan: _Plan, p: Props, instance: _Instance) -> None:
    p.ignore("target_key_id", "target_key_arn")
    plan.note(
        f"{instance.address} (aws_kms_alias): {p.text('name')!r}; the harness addresses keys by its own alias "
        "(alias/<prefix><name>), so this alias is not created"
    )


_CONFIGURATION_SECTIONS = {
    "ProjectName": "build_projects",
    "S3Bucket": "buckets",
    "BucketName": "buckets",
    "RoleArn": "roles",
    "RepositoryName": "repositories",
}

_ARN_ID = {"arn": "arn", "id": "arn", "name": "name"}

KINDS: dict[str, _Kind] = {
    "aws_iam_role": _Kind(
        Role,
        "name",
        {"arn": "arn", "id": "name", "name": "name"},
        _role,
        {"max_session_duration": 3600, "force_detach_policies": False},
    ),
    "aws_iam_policy": _Kind(ManagedPolicy, "name", _ARN_ID, _managed_policy),
    "aws_s3_bucket": _Kind(
        Bucket, "bucket", {"arn": "arn", "id": "name", "bucket": "name"}, _bucket, {"object_lock_enabled": False}
    ),
    "aws_kms_key": _Kind(
        KmsKey,
        None,
        {"arn": "arn", "id": "id", "key_id": "id"},
        _kms_key,
        {
            "key_usage": "ENCRYPT_DECRYPT",
            "customer_master_key_spec": "SYMMETRIC_DEFAULT",
            "is_enabled": True,
            "multi_region": False,
            "bypass_policy_lockout_safety_check": False,
            "deletion_window_in_days": 30,
        },
    ),
    "aws_cloudwatch_log_group": _Kind(
        LogGroup,
        "name",
        {"arn": "arn", "id": "name", "name": "name"},
        _log_group,
        {"log_group_class": "STANDARD", "skip_destroy": False},
    ),
    "aws_codebuild_project": _Kind(
        BuildProject, "name", _ARN_ID, _build_project, {"badge_enabled": False, "concurrent_build_limit": 0}
    ),
    "aws_codepipeline": _Kind(
        Pipeline,
        "name",
        {"arn": "arn", "id": "name", "name": "name"},
        _pipeline,
        {"pipeline_type": "V1", "execution_mode": "SUPERSEDED"},
    ),
    "aws_cloudtrail": _Kind(Trail, "name", {"arn": "arn", "id": "name", "name": "name"}, _trail),
    "aws_cloudwatch_log_metric_filter": _Kind(MetricFilter, "name", {"id": "name", "name": "name"}, _metric_filter),
    "aws_cloudwatch_metric_alarm": _Kind(
        Alarm,
        "alarm_name",
        {"arn": "arn", "id": "name", "alarm_name": "name"},
        _alarm,
        {"actions_enabled": True, "treat_missing_data": "missing"},
    ),
    "aws_codecommit_repository": _Kind(
        Repository, "repository_name", {"arn": "arn", "id": "name", "repository_name": "name"}, _repository
    ),
    "aws_sns_topic": _Kind(Topic, "name", _ARN_ID, _topic, {"fifo_topic": False, "content_based_deduplication": False}),
    "aws_vpc": _Kind(
        Vpc,
        None,
        {"id": "id", "arn": "arn", "cidr_block": "cidr"},
        _vpc,
        {"instance_tenancy": "default", "enable_dns_support": True, "ipv6_netmask_length": 0},
    ),
    "aws_subnet": _Kind(
        Subnet,
        None,
        {"id": "id", "arn": "arn", "cidr_block": "cidr"},
        _subnet,
        {"private_dns_hostname_type_on_launch": "ip-name", "enable_lni_at_device_index": 0},
    ),
    "aws_route_table": _Kind(RouteTable, None, {"id": "id", "arn": "arn"}, _route_table),
    "aws_internet_gateway": _Kind(InternetGateway, None, {"id": "id", "arn": "arn"}, _internet_gateway),
    "aws_nat_gateway": _Kind(NatGateway, None, {"id": "id"}, _nat_gateway),
    "aws_vpc_peering_connection": _Kind(VpcPeering, None, {"id": "id"}, _peering),
    # A gateway endpoint's prefix_list_id names its service in a rule (see _prefix_list).
    "aws_vpc_endpoint": _Kind(
        VpcEndpoint, None, {"id": "id", "arn": "arn", "prefix_list_id": "prefix_list"}, _vpc_endpoint
    ),
    "aws_security_group": _Kind(
        SecurityGroup,
        "name",
        {"id": "id", "arn": "arn", "name": "name"},
        _security_group,
        {"revoke_rules_on_delete": False},
    ),
    "aws_network_acl": _Kind(NetworkAcl, None, {"id": "id", "arn": "arn"}, _network_acl),
    # A Secrets Manager secret's id is its ARN; a parameter's id is its name.
    "aws_secretsmanager_secret": _Kind(
        Secret,
        "name",
        {"id": "arn", "arn": "arn", "name": "name"},
        _secret,
        {"recovery_window_in_days": 30, "force_overwrite_replica_secret": False},
    ),
    "aws_ssm_parameter": _Kind(
        Secret,
        "name",
        {"id": "name", "arn": "arn", "name": "name"},
        _parameter,
        {"tier": "Standard", "data_type": "text"},
    ),
}
"""Supported aws_* types; adding one is one entry and one mapper. ``attributes`` maps Terraform attributes to
the model attribute a reference to them becomes (e.g. ``aws_iam_role.x.id`` is the role's name)."""

FOLDED: dict[str, Callable[[_Plan, Props, _Instance], None]] = {
    "aws_iam_role_policy": _fold_role_policy,
    "aws_iam_role_policy_attachment": _fold_attachment,
    "aws_s3_bucket_policy": _fold_bucket_policy,
    "aws_s3_bucket_server_side_encryption_configuration": _fold_encryption,
    "aws_s3_bucket_public_access_block": _fold_public_access_block,
    "aws_s3_bucket_versioning": _fold_versioning,
    "aws_sns_topic_policy": _fold_topic_policy,
    "aws_kms_alias": _fold_alias,
    "aws_route": _fold_route,
    "aws_route_table_association": _fold_route_association,
    "aws_network_acl_association": _fold_acl_association,
    "aws_network_acl_rule": _fold_acl_rule,
    "aws_internet_gateway_attachment": _fold_gateway_attachment,
    "aws_vpc_peering_connection_accepter": _fold_peering_accepter,
    "aws_vpc_endpoint_route_table_association": _fold_endpoint_route_table,
    "aws_vpc_endpoint_policy": _fold_endpoint_policy,
    "aws_security_group_rule": _fold_sg_rule,
    "aws_vpc_security_group_ingress_rule": _fold_vpc_sg_rule("ingress"),
    "aws_vpc_security_group_egress_rule": _fold_vpc_sg_rule("egress"),
    "aws_eip": _fold_eip,
    "aws_secretsmanager_secret_version": _fold_secret_version,
}
"""Types that configure another resource (Terraform's split S3 bucket resources, attachments, policies; the
network's standalone rules, routes and associations; secret versions)."""


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
    if not any(i.type in KINDS for i in plan.instances.values()):
        raise InputError(
            where=f"{filename} (planned_values)",
            expected="at least one resource of a modelled type (" + ", ".join(KINDS) + ")",
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
