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
)
from harness.provider.resources.codecommit import Repository
from harness.provider.resources.codepipeline import Action, ArtifactStore, Pipeline, Stage
from harness.provider.resources.iam_policy import ManagedPolicy
from harness.provider.resources.iam_role import Role
from harness.provider.resources.kms_key import KmsKey
from harness.provider.resources.log_group import LogGroup
from harness.provider.resources.metric_filter import MetricFilter
from harness.provider.resources.s3_bucket import Bucket, BucketEncryption, PublicAccessBlock
from harness.provider.resources.sns_topic import Topic

__all__ = ["load_plan", "parse_plan_text"]

SUPPORTED_MAJOR = "1"

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
            for index, sub in enumerate(unknown):
                if sub is False:
                    continue
                sub_expr = None
                if isinstance(expr, list) and expr:
                    sub_expr = expr[index] if index < len(expr) else expr[0]
                items[index] = self.resolve_unknown(instance, items[index], sub, sub_expr, f"{path}[{index}]")
            return items
        return values

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
        arns = [p for p, _i in pairs if p.startswith("arn:")]
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
        kw["vpc"] = vpc_config(
            plan.assembly, vpc.path, vpc.raw("vpc_id"), vpc.strings("subnets"), vpc.strings("security_group_ids")
        )
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
}
"""Types that configure another resource (Terraform's split S3 bucket resources, attachments, policies)."""


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
