"""CloudFormation templates (YAML or JSON) into the resource model: linting, intrinsic functions and mapping."""

from __future__ import annotations

import base64
import dataclasses
import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, get_args

import yaml

from harness.errors import InputError
from harness.inputs._cfn_parse import line_of, parse_template
from harness.inputs._common import (
    UNVERIFIED,
    Assembly,
    Draft,
    NameAllocator,
    Props,
    describe,
    ref_parts,
    shell_text,
    tags_from_pairs,
    vpc_config,
)
from harness.inputs.lint import lint, refusal
from harness.inputs.parameters import CHECK_OPTIONS, Declaration, ParameterOptions, Rejected, redact
from harness.model.base import GLOBAL_VARIABLES, Resource
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

__all__ = ["load_template", "parse_template_text"]

TOP_LEVEL = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
)


class _NoValue:
    """``AWS::NoValue``: the property or list item is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

# Account, region and partition are known only at deploy, so they become the model's interpolations.
PSEUDO: dict[str, Any] = {
    "AWS::AccountId": "${account_id}",
    "AWS::Region": "${region}",
    "AWS::Partition": "${partition}",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
    "AWS::NoValue": NO_VALUE,
}
_STACK_DEPENDENT = ("AWS::StackName", "AWS::StackId")


# -- the resource types ---------------------------------------------------------------------------------------

Mapper = Callable[["_Template", Draft, Props], None]


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one CloudFormation type maps: model class, what Ref and each attribute return, the property mapper.

    ``ref`` and ``attributes`` are format strings over ``{name}``, ``{arn}``, ``{id}``, ``{alias}``,
    ``{region}`` (each the model interpolation) and ``{cidr}`` (the CidrBlock the template declares, as text);
    an attribute mapped to None exists in CloudFormation but has no model counterpart.
    """

    cls: type[Resource]
    ref: str
    attributes: Mapping[str, str | None]
    mapper: Mapper
    name_property: str | None = None


class _Template:
    """One template being read: its data, parameters, conditions, names and the notes found so far."""

    def __init__(
        self,
        data: Any,
        filename: str,
        stack_name: str,
        overrides: Mapping[str, str] | None,
        options: ParameterOptions = CHECK_OPTIONS,
    ) -> None:
        self.data = data
        self.filename = filename
        self.stack_name = stack_name
        self.overrides = dict(overrides or {})
        self.options = options
        self.secrets: list[str] = []  # values of NoEcho parameters, kept out of every message and note
        self.assembly = Assembly(filename)
        self.names = NameAllocator()
        self.params: dict[str, Any] = {}
        self.conditions: dict[str, bool] = {}
        self.resolving: list[str] = []
        self.resources: Mapping[str, Any] = {}
        self.logical: dict[str, str] = {}  # logical id -> model name
        self.drafts: dict[str, Draft] = {}

    # -- errors and notes ---------------------------------------------------------------------------------
    def fail(self, path: tuple[Any, ...], expected: str, found: str, fix: str) -> NoReturn:
        line = line_of(self.data, path)
        dotted = _dotted(path)
        where = f"{self.filename}:{line}" if line else self.filename
        if dotted:
            where += f" ({dotted})"
        raise InputError(
            where=where, expected=expected, found=found, fix=fix, file=self.filename, line=line, field=dotted or None
        )

    def fail_text(self, path: str, expected: str, found: str, fix: str) -> NoReturn:
        self.fail(_undotted(path), expected, found, fix)

    def note(self, text: str) -> None:
        self.assembly.note(text)

    # -- top level ----------------------------------------------------------------------------------------
    def sections(self) -> None:
        if not isinstance(self.data, dict):
            self.fail(
                (),
                "a CloudFormation template (a mapping with 'Resources')",
                "an empty file" if self.data is None else describe(self.data),
                "start from a template with AWSTemplateFormatVersion and Resources",
            )
        for key in self.data:
            if key not in TOP_LEVEL:
                close = difflib.get_close_matches(str(key), TOP_LEVEL, n=1)
                self.fail(
                    (key,),
                    f"a template section ({', '.join(TOP_LEVEL)})",
                    f"'{key}'",
                    f"did you mean '{close[0]}'?" if close else "remove it",
                )
        resources = self.data.get("Resources")
        if not isinstance(resources, dict) or not resources:
            self.fail(
                ("Resources",) if "Resources" in self.data else (),
                "a 'Resources' section with at least one resource",
                "none" if resources is None else ("no resources" if resources == {} else describe(resources)),
                "declare the pipeline's resources under Resources",
            )
        for section in ("Parameters", "Mappings", "Conditions", "Outputs"):
            if section in self.data and not isinstance(self.data[section], dict):
                self.fail((section,), "a mapping", describe(self.data[section]), f"write '{section}' as a mapping")
        transform = self.data.get("Transform")
        if transform:
            self.note(f"Transform {describe(transform)}: macros are not expanded; resources they add are missing")
        if "Rules" in self.data:
            self.note("Rules: parameter assertions are checked by CloudFormation at deploy, not here")
        self.resources = resources

    # -- parameters ---------------------------------------------------------------------------------------
    def parameters(self) -> None:
        declared = self.data.get("Parameters") or {}
        for name in self.overrides:
            if name not in declared:
                close = difflib.get_close_matches(name, list(declared), n=1)
                raise InputError(
                    where=f"{self.filename} (parameter override '{name}')",
                    expected="the name of a declared parameter",
                    found=f"'{name}'",
                    fix=f"did you mean '{close[0]}'?" if close else "declare it under Parameters or drop it",
                    file=self.filename,
                    field=f"Parameters.{name}",
                )
        for name, spec in declared.items():
            path: tuple[Any, ...] = ("Parameters", name)
            if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
                self.fail(path, "a parameter with a Type", describe(spec), "add 'Type: String' (or another type)")
            try:
                declaration = Declaration.of(name, spec)
            except Rejected as exc:
                self.fail((*path, exc.key), exc.expected, exc.found, exc.fix)
            if name in self.overrides:
                raw: Any = self.overrides[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                self.fail(
                    path,
                    "a value for the parameter",
                    "no Default and no override",
                    f"give a Default or {self.options.missing_fix(name)}",
                )
            text = _scalar_text(raw) if not isinstance(raw, list) else ",".join(map(_scalar_text, raw))
            if declaration.no_echo:
                self.secrets += [text, *(item.strip() for item in text.split(",") if declaration.is_list)]
            note = declaration.note(text)
            if note:
                self.note(f"Parameters.{name}: {note}")
            try:
                self.params[name] = declaration.value(text)
            except Rejected as exc:
                self.fail(path, exc.expected, exc.found, exc.fix)

    def redacted(self, error: InputError) -> InputError:
        """The error with every NoEcho value replaced by ``****``."""
        if not self.secrets:
            return error
        return InputError(
            where=error.where,
            expected=redact(error.expected, self.secrets),
            found=redact(error.found, self.secrets),
            fix=redact(error.fix, self.secrets),
            file=error.file,
            line=error.line,
            field=error.field,
            column=error.column,
        )

    # -- conditions ---------------------------------------------------------------------------------------
    def condition(self, name: Any, path: tuple[Any, ...]) -> bool:
        declared = self.data.get("Conditions") or {}
        if not isinstance(name, str) or name not in declared:
            close = difflib.get_close_matches(str(name), list(declared), n=1)
            self.fail(
                path,
                "the name of a condition declared under Conditions",
                f"'{name}'" if isinstance(name, str) else describe(name),
                f"did you mean '{close[0]}'?" if close else "declare the condition under Conditions",
            )
        if name in self.conditions:
            return self.conditions[name]
        if name in self.resolving:
            self.fail(
                ("Conditions", name),
                "conditions that do not depend on themselves",
                "the cycle " + " -> ".join([*self.resolving[self.resolving.index(name) :], name]),
                "break the cycle",
            )
        self.resolving.append(name)
        value = self.boolean(declared[name], ("Conditions", name))
        self.resolving.pop()
        self.conditions[name] = value
        return value

    def boolean(self, expr: Any, path: tuple[Any, ...]) -> bool:
        if isinstance(expr, dict) and len(expr) == 1:
            ((key, arg),) = expr.items()
            here = (*path, key)
            if key == "Condition":
                return self.condition(arg, here)
            if key == "Fn::Equals":
                if not isinstance(arg, list) or len(arg) != 2:
                    self.fail(here, "a list of two values", describe(arg), "write [value1, value2]")
                left, right = (_scalar_text(self.evaluate(arg[i], (*here, i))) for i in range(2))
                deploy_time = [v for v in (left, right) if any(f"${{{g}}}" in v for g in GLOBAL_VARIABLES)]
                if deploy_time and left != right:
                    owner = f"Conditions.{self.resolving[-1]}" if self.resolving else _dotted(here)
                    self.note(f"{owner}: compares {deploy_time[0]!r}, known only at deploy; taken as not equal")
                return left == right
            if key in ("Fn::And", "Fn::Or"):
                if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
                    self.fail(here, "a list of 2 to 10 conditions", describe(arg), "list the conditions")
                results = [self.boolean(item, (*here, i)) for i, item in enumerate(arg)]
                return all(results) if key == "Fn::And" else any(results)
            if key == "Fn::Not":
                if not isinstance(arg, list) or len(arg) != 1:
                    self.fail(here, "a list of one condition", describe(arg), "write [condition]")
                return not self.boolean(arg[0], (*here, 0))
        value = self.evaluate(expr, path)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.fail(path, "a condition (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition)", describe(value), "fix it")

    # -- intrinsic functions ------------------------------------------------------------------------------
    def evaluate(self, value: Any, path: tuple[Any, ...]) -> Any:
        """Resolve every intrinsic function inside ``value``; ``NO_VALUE`` entries are removed."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(arg, (*path, key))
                if isinstance(key, str) and key.startswith("Fn::"):
                    return self.function(key, arg, (*path, key))
            out: dict[str, Any] = {}
            for key, item in value.items():
                result = self.evaluate(item, (*path, key))
                if result is not NO_VALUE:
                    out[key] = result
            return out
        if isinstance(value, list):
            items = [self.evaluate(item, (*path, i)) for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(value, str) and "{{resolve:" in value:
            self.note(f"{_dotted(path)}: dynamic reference {value!r} is resolved at deploy; {UNVERIFIED}")
        return value

    def ref(self, name: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(name, str):
            self.fail(
                path, "the name of a parameter, a resource or a pseudo parameter", describe(name), "write Ref: Name"
            )
        if name in PSEUDO:
            return PSEUDO[name]
        if name == "AWS::StackName":
            return self.stack_name
        if name == "AWS::StackId":
            return (
                f"arn:${{partition}}:cloudformation:${{region}}:${{account_id}}:stack/{self.stack_name}/"
                "00000000-0000-0000-0000-000000000000"
            )
        if name in self.params:
            return self.params[name]
        if name in self.resources:
            return self.resource_value(name, None, path)
        known = [*self.params, *self.resources]
        close = difflib.get_close_matches(name, known, n=1)
        self.fail(
            path,
            "the name of a parameter, a resource or a pseudo parameter",
            f"'{name}', which is not declared",
            f"did you mean '{close[0]}'?" if close else "declare it under Parameters or Resources",
        )

    def resource_value(self, logical_id: str, attribute: str | None, path: tuple[Any, ...]) -> Any:
        """What Ref (attribute None) or Fn::GetAtt of a resource returns, as model interpolations."""
        spec = self.resources[logical_id]
        condition = spec.get("Condition") if isinstance(spec, dict) else None
        if condition is not None and not self.condition(condition, ("Resources", logical_id, "Condition")):
            self.fail(
                path,
                "a reference to a resource that is created",
                f"'{logical_id}', which is not created because condition '{condition}' is false",
                f"guard the reference with Fn::If [{condition}, ..., !Ref AWS::NoValue]",
            )
        rtype = spec.get("Type") if isinstance(spec, dict) else None
        kind = KINDS.get(rtype) if isinstance(rtype, str) else None
        what = "Ref" if attribute is None else f"Fn::GetAtt {logical_id}.{attribute}"
        if logical_id not in self.logical and self.resolving:
            self.fail(
                path,
                "parameters, mappings and pseudo parameters in a condition",
                f"a reference to the resource '{logical_id}'",
                "conditions are decided before resources exist; compare a parameter instead",
            )
        if kind is not None:
            name = self.logical[logical_id]
            section = kind.cls.SECTION
            if attribute is None:
                template: str | None = kind.ref
            elif attribute in kind.attributes:
                template = kind.attributes[attribute]
            else:
                self.fail(
                    path,
                    f"an attribute of {rtype} ({', '.join(kind.attributes)})",
                    f"'{attribute}'",
                    "use one of the listed attributes",
                )
            if template is not None:
                values = {a: f"${{{section}.{name}.{a}}}" for a in ("name", "arn", "id", "alias")}
                if "{cidr}" in template:
                    values["cidr"] = self.cidr_of(logical_id, path)
                return template.format(**values, region="${region}")
        elif rtype == "AWS::KMS::Alias" and attribute is None:
            # Ref of an alias is its name; the model addresses a key by the alias it gives the key itself.
            target = self.evaluate((spec.get("Properties") or {}).get("TargetKeyId"), (*path, "TargetKeyId"))
            parts = ref_parts(target)
            if parts and parts[0] == "keys":
                return f"${{keys.{parts[1]}.alias}}"
        elif rtype in FOLDED and attribute is None:
            return logical_id
        elif rtype == "AWS::EC2::EIP":
            return f"${{prefix}}{logical_id}-{attribute}"  # only a NAT gateway's AllocationId names it
        self.note(
            f"{_dotted(path)}: {what} of {logical_id} ({rtype}) has no model value; a placeholder stands in "
            f"and scenarios depending on it are unverified"
        )
        if attribute is None:
            return f"${{prefix}}{logical_id}"
        if attribute.endswith("Arn") or attribute == "Arn":
            return f"arn:${{partition}}:unmodelled:${{region}}:${{account_id}}:{logical_id}"
        return f"${{prefix}}{logical_id}-{attribute}"

    def cidr_of(self, logical_id: str, path: tuple[Any, ...]) -> str:
        """A VPC's or subnet's CidrBlock as the template gives it (the model compares CIDR blocks as text)."""
        spec = self.resources[logical_id]
        raw = (spec.get("Properties") or {}).get("CidrBlock")
        value = self.evaluate(raw, ("Resources", logical_id, "Properties", "CidrBlock"))
        if not isinstance(value, str):
            self.fail(path, f"a CidrBlock on {logical_id} to refer to", describe(value), "give it a CidrBlock")
        return value

    def function(self, key: str, arg: Any, path: tuple[Any, ...]) -> Any:
        handler = _FUNCTIONS.get(key)
        if handler is None:
            close = difflib.get_close_matches(key, list(_FUNCTIONS), n=1)
            self.fail(
                path,
                "a CloudFormation intrinsic function",
                f"'{key}'",
                f"did you mean '{close[0]}'?" if close else "check the function name",
            )
        return handler(self, arg, path)

    def text(self, value: Any, path: tuple[Any, ...], what: str) -> str:
        result = self.evaluate(value, path)
        if isinstance(result, bool):
            return str(result).lower()
        if isinstance(result, int | float | str):
            return str(result)
        self.fail(path, f"a string for {what}", describe(result), "give a single value")

    def fn_get_att(self, arg: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(arg, str) and "." in arg:
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
            self.fail(
                path,
                "[LogicalId, Attribute] or LogicalId.Attribute",
                describe(arg),
                "name a resource and one of its attributes",
            )
        logical_id = arg[0]
        attribute = self.text(arg[1], (*path, 1), "the attribute")
        if logical_id not in self.resources:
            close = difflib.get_close_matches(logical_id, list(self.resources), n=1)
            self.fail(
                (*path, 0),
                "the logical id of a resource",
                f"'{logical_id}', which is not declared",
                f"did you mean '{close[0]}'?" if close else "declare the resource under Resources",
            )
        return self.resource_value(logical_id, attribute, path)

    def fn_sub(self, arg: Any, path: tuple[Any, ...]) -> Any:
        variables: dict[str, Any] = {}
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[0], str) or not isinstance(arg[1], dict):
                self.fail(path, "a string or [string, {Name: value}]", describe(arg), "use one of the two forms")
            template = arg[0]
            for name, value in arg[1].items():
                variables[name] = self.evaluate(value, (*path, 1, name))
        elif isinstance(arg, str):
            template = arg
        else:
            self.fail(path, "a string or [string, {Name: value}]", describe(arg), "use one of the two forms")

        def one(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            name = inner.strip()
            if name in variables:
                value = variables[name]
            elif name in self.params or name in PSEUDO or name in _STACK_DEPENDENT or name in self.resources:
                value = self.ref(name, path)
            elif "." in name and name.split(".", 1)[0] in self.resources:
                logical_id, attribute = name.split(".", 1)
                value = self.resource_value(logical_id, attribute, path)
            else:
                self.fail(
                    path,
                    "a parameter, resource, Resource.Attribute or pseudo parameter inside ${}",
                    f"'${{{name}}}'",
                    f"declare '{name}', pass it in the variable map, or write '${{!{name}}}' for a literal",
                )
            if isinstance(value, list | dict) or value is NO_VALUE:
                self.fail(path, f"a single value for ${{{name}}}", describe(value), "substitute single values only")
            return _scalar_text(value)

        return re.sub(r"\$\{([^}]*)\}", one, template)

    def fn_join(self, arg: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
            self.fail(path, "[delimiter, [values]]", describe(arg), "write [',', [a, b]]")
        items = self.evaluate(arg[1], (*path, 1))
        if not isinstance(items, list):
            self.fail((*path, 1), "a list of values to join", describe(items), "give a list")
        for i, item in enumerate(items):
            if isinstance(item, list | dict):
                self.fail((*path, 1, i), "a single value to join", describe(item), "join single values only")
        return arg[0].join(_scalar_text(i) for i in items)

    def fn_select(self, arg: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            self.fail(path, "[index, [values]]", describe(arg), "write [0, [a, b]]")
        index_text = self.text(arg[0], (*path, 0), "the index")
        if not index_text.isdigit():
            self.fail((*path, 0), "a whole number index", repr(index_text), "give an index from 0")
        items = self.evaluate(arg[1], (*path, 1))
        if not isinstance(items, list):
            self.fail((*path, 1), "a list to select from", describe(items), "give a list")
        index = int(index_text)
        if index >= len(items):
            self.fail(
                (*path, 0),
                f"an index below {len(items)} (the list has {len(items)} item(s))",
                str(index),
                "select an existing item",
            )
        return items[index]

    def fn_split(self, arg: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str) or not arg[0]:
            self.fail(path, "[delimiter, string]", describe(arg), "write ['|', 'a|b']")
        return self.text(arg[1], (*path, 1), "Fn::Split").split(arg[0])

    def fn_if(self, arg: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            self.fail(path, "[condition, value if true, value if false]", describe(arg), "give all three")
        chosen = 1 if self.condition(arg[0], (*path, 0)) else 2
        return self.evaluate(arg[chosen], (*path, chosen))

    def fn_find_in_map(self, arg: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(arg, list) or len(arg) not in (3, 4):
            self.fail(path, "[MapName, TopLevelKey, SecondLevelKey]", describe(arg), "give the three keys")
        mappings = self.data.get("Mappings") or {}
        keys = [self.text(arg[i], (*path, i), "a map key") for i in range(3)]
        node: Any = mappings
        trail = ["Mappings"]
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                    return self.evaluate(arg[3]["DefaultValue"], (*path, 3, "DefaultValue"))
                options = sorted(map(str, node)) if isinstance(node, dict) else []
                self.fail(
                    path,
                    f"a key of {'.'.join(trail)}" + (f" ({', '.join(options)})" if options else ""),
                    f"'{key}'",
                    "add the key to the mapping or pick an existing one",
                )
            node = node[key]
            trail.append(key)
        return self.evaluate(node, ("Mappings", *keys))

    def fn_base64(self, arg: Any, path: tuple[Any, ...]) -> Any:
        return base64.b64encode(self.text(arg, path, "Fn::Base64").encode()).decode()

    def fn_get_azs(self, arg: Any, path: tuple[Any, ...]) -> Any:
        return [f"${{region}}{zone}" for zone in "abc"]

    def fn_import_value(self, arg: Any, path: tuple[Any, ...]) -> Any:
        name = self.text(arg, path, "Fn::ImportValue")
        self.note(f"{_dotted(path)}: Fn::ImportValue {name!r} reads another stack's output; {UNVERIFIED}")
        return f"imported-{name}"

    def fn_length(self, arg: Any, path: tuple[Any, ...]) -> Any:
        items = self.evaluate(arg, path)
        if not isinstance(items, list):
            self.fail(path, "a list", describe(items), "give a list")
        return len(items)

    def fn_to_json_string(self, arg: Any, path: tuple[Any, ...]) -> Any:
        return json.dumps(self.evaluate(arg, path), separators=(",", ":"))

    def fn_cidr(self, arg: Any, path: tuple[Any, ...]) -> Any:
        self.note(f"{_dotted(path)}: Fn::Cidr is not computed; {UNVERIFIED}")
        return []

    # -- resources ----------------------------------------------------------------------------------------
    def allocate(self) -> None:
        for logical_id, spec in self.resources.items():
            path = ("Resources", logical_id)
            if not isinstance(spec, dict):
                self.fail(path, "a resource (a mapping with Type)", describe(spec), "add 'Type: AWS::...'")
            rtype = spec.get("Type")
            if not isinstance(rtype, str) or not rtype:
                self.fail(path, "a resource Type such as AWS::S3::Bucket", describe(rtype), "add 'Type'")
            for key in ("Properties", "Metadata"):
                if key in spec and spec[key] is not None and not isinstance(spec[key], dict):
                    self.fail((*path, key), "a mapping", describe(spec[key]), f"write '{key}' as key: value pairs")
            kind = KINDS.get(rtype)
            if kind is not None:
                self.logical[logical_id] = self.names.allocate(kind.cls.SECTION, _kebab(logical_id))

    def active(self, logical_id: str, spec: Mapping[str, Any]) -> bool:
        condition = spec.get("Condition")
        return condition is None or self.condition(condition, ("Resources", logical_id, "Condition"))

    def map_resources(self) -> None:
        for logical_id, spec in self.resources.items():
            rtype = spec["Type"]
            if not self.active(logical_id, spec):
                continue
            kind = KINDS.get(rtype)
            if kind is None:
                continue
            base = ("Resources", logical_id, "Properties")
            props = self.props(logical_id, spec)
            draft = Draft(kind.cls, self.logical[logical_id], f"Resources.{logical_id}", line_of(self.data, base[:2]))
            if kind.name_property and props.has(kind.name_property):
                props.raw(kind.name_property)
                self.note(
                    f"{props.at(kind.name_property)}: the physical name is the run prefix plus "
                    f"'{draft.name}'; names spelled out elsewhere will not match"
                )
            kind.mapper(self, draft, props)
            self.report_unmapped(props)
            self.drafts[logical_id] = draft
            self.assembly.drafts.append(draft)
        for logical_id, spec in self.resources.items():
            rtype = spec["Type"]
            if rtype in KINDS or not self.active(logical_id, spec):
                continue
            folder = FOLDED.get(rtype)
            if folder is not None:
                props = self.props(logical_id, spec)
                folder(self, logical_id, props)
                self.report_unmapped(props)
            elif rtype in IGNORED:
                self.note(f"Resources.{logical_id} ({rtype}): {IGNORED[rtype]}")
            else:
                self.note(f"Resources.{logical_id} ({rtype}): resource type {UNVERIFIED}")
        _check_network(self)

    def props(self, logical_id: str, spec: Mapping[str, Any]) -> Props:
        base = ("Resources", logical_id, "Properties")
        values = self.evaluate(spec.get("Properties") or {}, base)
        return Props(values, _dotted(base), self.fail_text)

    def report_unmapped(self, props: Props) -> None:
        for path in props.unmapped():
            self.note(f"{path}: {UNVERIFIED}")

    def reference(self, value: Any, section: str, origin: str, *, arn_ok: bool = True) -> str | None:
        return self.assembly.reference(value, section, origin, arn_ok=arn_ok)

    def draft_of(self, value: Any, section: str) -> Draft | None:
        parts = ref_parts(value)
        if parts is None or parts[0] != section:
            return None
        return next((d for d in self.drafts.values() if section == d.cls.SECTION and d.name == parts[1]), None)


# -- helpers ------------------------------------------------------------------------------------------------


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _kebab(logical_id: str) -> str:
    """``BuildRole`` becomes ``build-role``: readable physical names, valid for buckets too.

    The AWS CDK appends an 8-hex-digit hash to logical ids (``BuildLogGroup6F0D6E8B``); it is dropped, as
    names stay unique without it (the allocator numbers any clash).
    """
    head = re.sub(r"(?<=[a-z0-9])(?=[0-9A-F]{0,7}[0-9])[0-9A-F]{8}$", "", logical_id) or logical_id
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", head).lower()


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _undotted(text: str) -> tuple[Any, ...]:
    steps: list[Any] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        steps.append(int(index) if index else name)
    return tuple(steps)


def _tags(t: _Template, props: Props) -> dict[str, str]:
    return tags_from_pairs(props.seq("Tags"), props.at("Tags"), t.fail_text)


_CATEGORIES = ("Source", "Build", "Test", "Deploy", "Approval", "Invoke", "Compute")
_OWNERS = ("AWS", "ThirdParty", "Custom")


# -- mappers, one per type ----------------------------------------------------------------------------------


def _role(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kw["trust_policy"] = p.doc("AssumeRolePolicyDocument", required=True)
    policies: dict[str, Any] = {}
    for item in p.items("Policies"):
        policies[item.text("PolicyName", required=True)] = item.doc("PolicyDocument", required=True)
    kw["policies"] = policies
    managed = []
    for index, value in enumerate(p.seq("ManagedPolicyArns")):
        ref = t.reference(value, "policies", f"{p.at('ManagedPolicyArns')}[{index}]")
        if ref:
            managed.append(ref)
    kw["managed_policies"] = tuple(managed)
    if p.has("PermissionsBoundary"):
        kw["permissions_boundary"] = t.reference(p.raw("PermissionsBoundary"), "policies", p.at("PermissionsBoundary"))
    kw["description"] = p.text("Description", "")
    kw["path"] = p.text("Path", "/")
    kw["tags"] = _tags(t, p)


def _managed_policy(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["document"] = p.doc("PolicyDocument", required=True)
    d.kwargs["description"] = p.text("Description", "")
    for index, role in enumerate(p.seq("Roles")):
        target = t.draft_of(_role_ref(role), "roles")
        if target is None:
            t.note(f"{p.at('Roles')}[{index}]: attaches to {describe(role)}, outside the definition; {UNVERIFIED}")
            continue
        target.kwargs["managed_policies"] = (*target.kwargs.get("managed_policies", ()), d.name)
    for key in ("Users", "Groups"):
        if p.has(key):
            p.raw(key)
            t.note(f"{p.at(key)}: IAM users and groups are {UNVERIFIED}")


def _role_ref(value: Any) -> Any:
    """A role named by Ref (its name) or by GetAtt Arn, as one interpolation."""
    parts = ref_parts(value)
    return f"${{roles.{parts[1]}.name}}" if parts and parts[0] == "roles" else value


def _bucket(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    encryption = p.sub("BucketEncryption")
    if encryption is not None:
        rules = encryption.items("ServerSideEncryptionConfiguration")
        if rules:
            rule = rules[0]
            default = rule.sub("ServerSideEncryptionByDefault")
            algorithm = default.text("SSEAlgorithm", "AES256") if default else "AES256"
            key_value = default.raw("KMSMasterKeyID") if default else None
            if algorithm not in ("AES256", "aws:kms"):
                t.note(f"{rule.at('ServerSideEncryptionByDefault')}.SSEAlgorithm {algorithm!r}: read as aws:kms")
                algorithm = "aws:kms"
            kms_key = t.reference(key_value, "keys", f"{rule.path}.ServerSideEncryptionByDefault.KMSMasterKeyID")
            kw["encryption"] = t.assembly.make(
                BucketEncryption,
                rule.path,
                d.line,
                algorithm=algorithm,
                kms_key=kms_key,
                bucket_key=bool(rule.flag("BucketKeyEnabled", False)),
            )
            for extra in rules[1:]:
                t.note(f"{extra.path}: only the first encryption rule is {UNVERIFIED.split(';')[0]}")
                extra.ignore(*extra.values)
    block = p.sub("PublicAccessBlockConfiguration")
    if block is not None:
        # Settings left out of PublicAccessBlockConfiguration are false in CloudFormation.
        kw["public_access_block"] = PublicAccessBlock(
            block_public_acls=bool(block.flag("BlockPublicAcls", False)),
            ignore_public_acls=bool(block.flag("IgnorePublicAcls", False)),
            block_public_policy=bool(block.flag("BlockPublicPolicy", False)),
            restrict_public_buckets=bool(block.flag("RestrictPublicBuckets", False)),
        )
    versioning = p.sub("VersioningConfiguration")
    if versioning is not None:
        kw["versioning"] = versioning.text("Status", required=True) == "Enabled"
    kw["tags"] = _tags(t, p)


def _kms_key(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["policy"] = p.doc("KeyPolicy")
    d.kwargs["description"] = p.text("Description", "")
    # CloudFormation leaves rotation off unless EnableKeyRotation is true.
    d.kwargs["rotation"] = bool(p.flag("EnableKeyRotation", False))
    d.kwargs["tags"] = _tags(t, p)
    for key, default in (("KeySpec", "SYMMETRIC_DEFAULT"), ("KeyUsage", "ENCRYPT_DECRYPT"), ("Enabled", True)):
        if p.values.get(key) in (default, str(default).lower()):
            p.ignore(key)


def _log_group(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["retention_days"] = p.integer("RetentionInDays")
    if p.has("KmsKeyId"):
        d.kwargs["kms_key"] = t.reference(p.raw("KmsKeyId"), "keys", p.at("KmsKeyId"))
    d.kwargs["tags"] = _tags(t, p)
    if p.values.get("LogGroupClass") == "STANDARD":
        p.ignore("LogGroupClass")


def _build_project(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kw["service_role"] = t.reference(p.require("ServiceRole"), "roles", p.at("ServiceRole")) or ""
    if not kw["service_role"]:
        t.fail_text(
            p.at("ServiceRole"),
            "a role of this template or a role ARN",
            describe(p.raw("ServiceRole")),
            "use !GetAtt Role.Arn",
        )
    source = p.sub("Source")
    if source is not None:
        kind = source.text("Type", required=True)
        if kind != "CODEPIPELINE":
            t.note(f"{source.at('Type')}: source type {kind!r} is read as CODEPIPELINE; {UNVERIFIED}")
        spec = source.text("BuildSpec")
        if spec is not None:
            try:
                loaded = yaml.safe_load(spec)
            except yaml.YAMLError:
                loaded = None
            if isinstance(loaded, dict):
                kw["buildspec"] = shell_text(spec)
            else:
                t.note(f"{source.at('BuildSpec')}: {spec!r} names a file in the source; its content is {UNVERIFIED}")
                kw["buildspec"] = spec
        if kind == "CODEPIPELINE":
            source.ignore("Location")
    artifacts = p.sub("Artifacts")
    if artifacts is not None and artifacts.text("Type") == "CODEPIPELINE":
        artifacts.ignore(*artifacts.values)
    env = p.sub("Environment")
    if env is not None:
        variables = []
        for item in env.items("EnvironmentVariables"):
            kind = item.text("Type", "PLAINTEXT")
            if kind not in ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"):
                t.fail_text(item.at("Type"), "PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER", repr(kind), "use one")
            variables.append(
                EnvironmentVariable(
                    name=item.text("Name", required=True), value=shell_text(item.text("Value", "")), type=kind
                )
            )
        kw["environment"] = BuildEnvironment(
            image=env.text("Image", required=True),
            compute_type=env.text("ComputeType", required=True),
            type=env.text("Type", required=True),
            privileged_mode=bool(env.flag("PrivilegedMode", False)),
            variables=tuple(variables),
        )
        if env.values.get("ImagePullCredentialsType") == "CODEBUILD":
            env.ignore("ImagePullCredentialsType")
    logs = p.sub("LogsConfig")
    if logs is not None:
        cloudwatch = s3 = None
        cw = logs.sub("CloudWatchLogs")
        if cw is not None:
            enabled = cw.text("Status", required=True) == "ENABLED"
            group = t.reference(cw.raw("GroupName"), "log_groups", cw.at("GroupName"), arn_ok=False)
            if group:
                cloudwatch = CloudWatchLogs(group=group, stream_prefix=cw.text("StreamName", ""), enabled=enabled)
            elif enabled:
                t.note(f"{cw.path}: logs go to a group outside the definition; {UNVERIFIED}")
        s3_props = logs.sub("S3Logs")
        if s3_props is not None:
            enabled = s3_props.text("Status", required=True) == "ENABLED"
            location = s3_props.text("Location", "")
            bucket_part, _, prefix = location.partition("/")
            bucket = t.reference(bucket_part, "buckets", s3_props.at("Location"), arn_ok=False) if location else None
            if bucket:
                s3 = S3Logs(
                    bucket=bucket,
                    prefix=prefix,
                    enabled=enabled,
                    encrypted=not s3_props.flag("EncryptionDisabled", False),
                )
            else:
                s3_props.ignore("EncryptionDisabled")
        kw["logs"] = BuildLogs(cloudwatch=cloudwatch, s3=s3)
    vpc = p.sub("VpcConfig")
    if vpc is not None:
        kw["vpc"] = _placement(t, vpc.path, vpc)
    cache = p.values.get("Cache")
    if isinstance(cache, Mapping) and cache.get("Type") == "NO_CACHE" and len(cache) == 1:
        p.ignore("Cache")
    kw["timeout_minutes"] = p.integer("TimeoutInMinutes", 60)
    if p.has("EncryptionKey"):
        kw["encryption_key"] = t.reference(p.raw("EncryptionKey"), "keys", p.at("EncryptionKey"))
    kw["description"] = p.text("Description", "")
    kw["tags"] = _tags(t, p)


def _pipeline(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kw["role"] = t.reference(p.require("RoleArn"), "roles", p.at("RoleArn")) or ""
    if not kw["role"]:
        t.fail_text(
            p.at("RoleArn"), "a role of this template or a role ARN", describe(p.raw("RoleArn")), "use !GetAtt Role.Arn"
        )
    store = p.sub("ArtifactStore")
    if store is None:
        stores = p.items("ArtifactStores")
        if stores:
            store = stores[0].sub("ArtifactStore")
            stores[0].ignore("Region")
            for extra in stores[1:]:
                t.note(f"{extra.path}: cross-region artifact stores are {UNVERIFIED.split(';')[0]}")
                extra.ignore(*extra.values)
    if store is not None:
        if store.text("Type", "S3") != "S3":
            t.fail_text(store.at("Type"), "S3", repr(store.raw("Type")), "use an S3 artifact store")
        bucket = t.reference(store.require("Location"), "buckets", store.at("Location"), arn_ok=False)
        if bucket is None:
            t.fail_text(
                store.at("Location"),
                "a bucket of this template (!Ref Bucket)",
                describe(store.raw("Location")),
                "declare the artifact bucket in the template",
            )
        key = None
        encryption = store.sub("EncryptionKey")
        if encryption is not None:
            encryption.ignore("Type")
            key = t.reference(encryption.require("Id"), "keys", encryption.at("Id"))
        kw["artifact_store"] = ArtifactStore(bucket=bucket, kms_key=key)
    stages = []
    for stage in p.items("Stages"):
        actions = []
        for action in stage.items("Actions"):
            type_id = action.sub("ActionTypeId")
            if type_id is None:
                t.fail_text(
                    action.at("ActionTypeId"), "an ActionTypeId", "none", "add Category, Owner, Provider, Version"
                )
            category = type_id.text("Category", required=True)
            owner = type_id.text("Owner", required=True)
            if category not in _CATEGORIES:
                t.fail_text(type_id.at("Category"), f"one of {', '.join(_CATEGORIES)}", repr(category), "use one")
            if owner not in _OWNERS:
                t.fail_text(type_id.at("Owner"), f"one of {', '.join(_OWNERS)}", repr(owner), "use one")
            configuration = {
                str(k): v if isinstance(v, str) else (json.dumps(v) if isinstance(v, dict | list) else _scalar_text(v))
                for k, v in action.mapping("Configuration").items()
            }
            role = t.reference(action.raw("RoleArn"), "roles", action.at("RoleArn")) if action.has("RoleArn") else None
            actions.append(
                t.assembly.make(
                    Action,
                    action.path,
                    d.line,
                    name=action.text("Name", required=True),
                    category=category,
                    provider=type_id.text("Provider", required=True),
                    owner=owner,
                    version=type_id.text("Version", required=True),
                    run_order=action.integer("RunOrder", 1),
                    configuration=configuration,
                    input_artifacts=tuple(a.text("Name", required=True) for a in action.items("InputArtifacts")),
                    output_artifacts=tuple(a.text("Name", required=True) for a in action.items("OutputArtifacts")),
                    role=role,
                )
            )
        stages.append(
            t.assembly.make(Stage, stage.path, d.line, name=stage.text("Name", required=True), actions=tuple(actions))
        )
    kw["stages"] = tuple(stages)
    kw["tags"] = _tags(t, p)
    if p.values.get("RestartExecutionOnUpdate") in (False, "false"):
        p.ignore("RestartExecutionOnUpdate")


def _topic(t: _Template, d: Draft, p: Props) -> None:
    if p.has("KmsMasterKeyId"):
        d.kwargs["kms_key"] = t.reference(p.raw("KmsMasterKeyId"), "keys", p.at("KmsMasterKeyId"))
    d.kwargs["tags"] = _tags(t, p)


def _trail(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    bucket = t.reference(p.require("S3BucketName"), "buckets", p.at("S3BucketName"), arn_ok=False)
    if bucket is None:
        t.fail_text(
            p.at("S3BucketName"),
            "a bucket of this template (!Ref Bucket)",
            describe(p.raw("S3BucketName")),
            "declare the trail bucket in the template",
        )
    kw["bucket"] = bucket
    kw["s3_key_prefix"] = p.text("S3KeyPrefix", "")
    if p.has("CloudWatchLogsLogGroupArn"):
        kw["log_group"] = t.reference(
            p.raw("CloudWatchLogsLogGroupArn"), "log_groups", p.at("CloudWatchLogsLogGroupArn"), arn_ok=False
        )
    if p.has("CloudWatchLogsRoleArn"):
        kw["cloudwatch_role"] = t.reference(p.raw("CloudWatchLogsRoleArn"), "roles", p.at("CloudWatchLogsRoleArn"))
    if p.has("KMSKeyId"):
        kw["kms_key"] = t.reference(p.raw("KMSKeyId"), "keys", p.at("KMSKeyId"))
    # CloudFormation leaves log file validation and multi-region off unless asked.
    kw["log_file_validation"] = bool(p.flag("EnableLogFileValidation", False))
    kw["multi_region"] = bool(p.flag("IsMultiRegionTrail", False))
    kw["include_global_events"] = bool(p.flag("IncludeGlobalServiceEvents", True))
    kw["logging"] = bool(p.flag("IsLogging", True))
    selectors = p.items("EventSelectors")
    if selectors:
        first = selectors[0]
        management = first.text("ReadWriteType", "All") if first.flag("IncludeManagementEvents", True) else "none"
        if management not in ("All", "ReadOnly", "WriteOnly", "none"):
            t.fail_text(first.at("ReadWriteType"), "All, ReadOnly or WriteOnly", repr(management), "use one")
        kw["management_events"] = management
        data: list[str] = []
        for resource in first.items("DataResources"):
            if resource.text("Type", required=True) == "AWS::S3::Object":
                data.extend(resource.strings("Values"))
            else:
                t.note(f"{resource.path}: {resource.text('Type')} data events are {UNVERIFIED.split(';')[0]}")
                resource.ignore("Values")
        kw["data_events"] = tuple(data)
        for extra in selectors[1:]:
            t.note(f"{extra.path}: only the first event selector is modelled")
            extra.ignore(*extra.values)
    kw["tags"] = _tags(t, p)


def _metric_filter(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kw["log_group"] = t.reference(p.require("LogGroupName"), "log_groups", p.at("LogGroupName"), arn_ok=False) or ""
    kw["pattern"] = p.text("FilterPattern", "")
    transformations = p.items("MetricTransformations")
    if not transformations:
        t.fail_text(p.at("MetricTransformations"), "one metric transformation", "none", "add MetricTransformations")
    first = transformations[0]
    kw["metric_name"] = first.text("MetricName", required=True)
    kw["namespace"] = first.text("MetricNamespace", required=True)
    kw["value"] = first.text("MetricValue", "1")
    if first.has("DefaultValue"):
        kw["default_value"] = _number(t, first, "DefaultValue")
    kw["unit"] = first.text("Unit")
    kw["dimensions"] = {
        str(pair.text("Key", required=True)): str(pair.text("Value", required=True))
        for pair in first.items("Dimensions")
    }


def _number(t: _Template, p: Props, key: str) -> float:
    value = p.raw(key)
    try:
        return float(value)
    except (TypeError, ValueError):
        t.fail_text(p.at(key), "a number", describe(value), f"write '{key}' as a number")


def _alarm(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kw["metric_name"] = p.text("MetricName", "")
    kw["namespace"] = p.text("Namespace", "")
    if p.has("Metrics"):
        p.raw("Metrics")
        t.note(f"{p.at('Metrics')}: metric math alarms are {UNVERIFIED.split(';')[0]}")
    kw["statistic"] = p.text("Statistic", "Sum")
    kw["period"] = p.integer("Period", 300)
    kw["evaluation_periods"] = p.integer("EvaluationPeriods", required=True)
    kw["datapoints_to_alarm"] = p.integer("DatapointsToAlarm")
    kw["threshold"] = _number(t, p, "Threshold") if p.has("Threshold") else 1.0
    comparison = p.text("ComparisonOperator", required=True)
    if comparison not in get_args(Comparison):
        t.fail_text(
            p.at("ComparisonOperator"), f"one of {', '.join(get_args(Comparison))}", repr(comparison), "use one"
        )
    kw["comparison"] = comparison
    missing = p.text("TreatMissingData", "missing")
    if missing not in get_args(MissingData):
        t.fail_text(p.at("TreatMissingData"), f"one of {', '.join(get_args(MissingData))}", repr(missing), "use one")
    kw["treat_missing_data"] = missing
    kw["dimensions"] = {
        str(pair.text("Name", required=True)): str(pair.text("Value", required=True)) for pair in p.items("Dimensions")
    }
    for key, field_name in (
        ("AlarmActions", "alarm_actions"),
        ("OKActions", "ok_actions"),
        ("InsufficientDataActions", "insufficient_data_actions"),
    ):
        refs = [t.reference(v, "topics", f"{p.at(key)}[{i}]") for i, v in enumerate(p.seq(key))]
        kw[field_name] = tuple(r for r in refs if r)
    kw["description"] = p.text("AlarmDescription", "")
    kw["tags"] = _tags(t, p)
    if p.values.get("ActionsEnabled") in (True, "true"):
        p.ignore("ActionsEnabled")


def _repository(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["description"] = p.text("RepositoryDescription", "")
    code = p.sub("Code")
    if code is not None:
        d.kwargs["default_branch"] = code.text("BranchName", "main")
        if code.has("S3"):
            code.raw("S3")
            t.note(f"{code.at('S3')}: the initial content is not copied; the branch starts with one empty commit")
    d.kwargs["tags"] = _tags(t, p)


# -- the network and secrets --------------------------------------------------------------------------------

_RESERVED_TAG = "Name"


def _ec2_tags(t: _Template, p: Props) -> dict[str, str]:
    """Tags of an EC2 network resource; its Name tag is the harness's own (run prefix plus logical name)."""
    tags = _tags(t, p)
    if _RESERVED_TAG in tags:
        t.note(
            f"{p.at('Tags')}: Name {tags.pop(_RESERVED_TAG)!r} is not kept; the harness names EC2 resources after "
            "the run prefix and the logical name"
        )
    return tags


def _defaults(p: Props, defaults: Mapping[str, Any]) -> None:
    """Mark properties that hold their CloudFormation default as handled (nothing to model)."""
    for key, default in defaults.items():
        value = p.values.get(key)
        if value == default or (isinstance(value, str) and value.lower() == str(default).lower()):
            p.ignore(key)


def _in_template(t: _Template, p: Props, key: str, section: str, what: str, *, required: bool = True) -> str | None:
    """The model name a property refers to (``!Ref Vpc``, ``!GetAtt Group.GroupId``), which must be declared here.

    The network is analysed as declared: a rule, route or placement naming something outside the template would
    be a hole in that analysis, so it is refused rather than dropped.
    """
    value = p.require(key) if required else p.raw(key)
    if value is None:
        return None
    return _named_here(t, value, p.at(key), section, what)


def _named_here(t: _Template, value: Any, path: str, section: str, what: str) -> str:
    parts = ref_parts(value)
    if parts is not None and parts[0] == section:
        return parts[1]
    t.fail_text(
        path,
        f"{what} of this template (!Ref or !GetAtt of its logical id)",
        describe(value),
        f"declare the {what.removeprefix('a ').removeprefix('an ')} in the template; the harness deploys and "
        "analyses only what the template declares",
    )


def _parent(t: _Template, p: Props, key: str, section: str, what: str) -> Draft:
    """The draft a split resource (a rule, a route, an association) belongs to."""
    name = _in_template(t, p, key, section, what)
    draft = next((d for d in t.drafts.values() if section == d.cls.SECTION and d.name == name), None)
    if draft is None:  # a resource of another type whose Ref looks the same cannot get here; kept for mypy
        t.fail_text(p.at(key), f"{what} of this template", describe(p.raw(key)), "declare it in the template")
    return draft


def _line(t: _Template, logical_id: str) -> int | None:
    return line_of(t.data, ("Resources", logical_id))


def _vpc(t: _Template, d: Draft, p: Props) -> None:
    if not p.has("CidrBlock") and p.has("Ipv4IpamPoolId"):
        t.fail_text(
            p.at("CidrBlock"),
            "a CidrBlock",
            "an address range allocated from an IPAM pool",
            "give the VPC's CidrBlock; IPAM allocation is not modelled",
        )
    d.kwargs["cidr"] = p.text("CidrBlock", required=True)
    tags = _ec2_tags(t, p)
    # The isolation scenarios read the environment from a lower-case 'environment' tag; 'Environment' is common.
    spelled = next((k for k in tags if k.lower() == "environment" and k != "environment"), None)
    if spelled is not None and "environment" not in tags:
        d.kwargs["environment"] = tags[spelled]
    d.kwargs["tags"] = tags
    _defaults(p, {"EnableDnsSupport": True, "EnableDnsHostnames": False, "InstanceTenancy": "default"})


def _zone(t: _Template, p: Props) -> str:
    zone = str(p.text("AvailabilityZone", ""))
    if "${region}" in zone:
        # Fn::GetAZs is known only at deploy; the harness places the subnet in the region's first zone.
        if zone != "${region}a":
            t.note(f"{p.at('AvailabilityZone')}: a zone chosen at deploy; the subnet goes to the region's first zone")
        return ""
    return zone


def _subnet(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["vpc"] = _in_template(t, p, "VpcId", "vpcs", "a VPC")
    d.kwargs["cidr"] = p.text("CidrBlock", required=True)
    d.kwargs["availability_zone"] = _zone(t, p)
    d.kwargs["map_public_ip"] = bool(p.flag("MapPublicIpOnLaunch", False))
    d.kwargs["tags"] = _ec2_tags(t, p)
    _defaults(p, {"AssignIpv6AddressOnCreation": False, "EnableDns64": False})


def _route_table(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["vpc"] = _in_template(t, p, "VpcId", "vpcs", "a VPC")
    d.kwargs["tags"] = _ec2_tags(t, p)


def _internet_gateway(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["tags"] = _ec2_tags(t, p)


def _nat_gateway(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["subnet"] = _in_template(t, p, "SubnetId", "subnets", "a subnet")
    connectivity = p.text("ConnectivityType", "public")
    if connectivity not in ("public", "private"):
        t.fail_text(p.at("ConnectivityType"), "public or private", repr(connectivity), "use one")
    d.kwargs["connectivity"] = connectivity
    # A public NAT gateway gets an Elastic IP the harness allocates with it, whichever the template names.
    p.ignore("AllocationId")
    d.kwargs["tags"] = _ec2_tags(t, p)


def _peering(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["requester"] = _in_template(t, p, "VpcId", "vpcs", "a VPC")
    d.kwargs["accepter"] = _in_template(t, p, "PeerVpcId", "vpcs", "a VPC")
    for key in ("PeerOwnerId", "PeerRegion", "PeerRoleArn"):
        if p.has(key):
            value = p.raw(key)
            if value not in ("${account_id}", "${region}"):
                t.note(f"{p.at(key)}: peering with another account or region is {UNVERIFIED}")
    # Between two VPCs of one account and region, CloudFormation's request is accepted at once.
    d.kwargs["accepted"] = True
    d.kwargs["tags"] = _ec2_tags(t, p)


def _service(value: str) -> str:
    """``com.amazonaws.${region}.s3`` is the model's ``s3`` (the deploy region's service)."""
    match = re.fullmatch(r"com\.amazonaws\.\$\{region\}\.([a-z0-9.-]+)", value)
    return match.group(1) if match else value


def _refs_here(t: _Template, p: Props, key: str, section: str, what: str) -> tuple[str, ...]:
    return tuple(_named_here(t, v, f"{p.at(key)}[{i}]", section, what) for i, v in enumerate(p.seq(key)))


def _vpc_endpoint(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kw["vpc"] = _in_template(t, p, "VpcId", "vpcs", "a VPC")
    kw["service"] = _service(p.text("ServiceName", required=True))
    kind = p.text("VpcEndpointType", "Gateway")
    if kind not in ("Gateway", "Interface"):
        t.fail_text(p.at("VpcEndpointType"), "Gateway or Interface", repr(kind), f"{kind} endpoints are not modelled")
    kw["type"] = kind
    kw["route_tables"] = _refs_here(t, p, "RouteTableIds", "route_tables", "a route table")
    kw["subnets"] = _refs_here(t, p, "SubnetIds", "subnets", "a subnet")
    kw["security_groups"] = _refs_here(t, p, "SecurityGroupIds", "security_groups", "a security group")
    kw["private_dns"] = bool(p.flag("PrivateDnsEnabled", False))
    kw["policy"] = p.doc("PolicyDocument")
    kw["tags"] = _ec2_tags(t, p)


def _sg_rule(t: _Template, p: Props, egress: bool, line: int | None) -> SecurityGroupRule:
    """One ingress or egress rule, inline or standalone (the peer properties are named for the direction)."""
    protocol = p.text("IpProtocol", required=True)
    kw: dict[str, Any] = {"protocol": protocol, "description": p.text("Description", "")}
    if str(protocol).lower() in ("-1", "all"):
        p.ignore("FromPort", "ToPort")  # every port of every protocol: EC2 ignores the range
    else:
        kw["from_port"] = p.integer("FromPort")
        kw["to_port"] = p.integer("ToPort")
    peer_group = "DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"
    peer_list = "DestinationPrefixListId" if egress else "SourcePrefixListId"
    cidrs = [c for c in (p.text("CidrIp"), p.text("CidrIpv6")) if c]
    if len(cidrs) > 1:
        t.fail_text(p.path, "one of CidrIp or CidrIpv6", "both", "split the rule in two")
    kw["cidr"] = cidrs[0] if cidrs else None
    kw["prefix_list"] = p.text(peer_list)
    kw["group"] = _in_template(t, p, peer_group, "security_groups", "a security group", required=False)
    if not egress and p.has("SourceSecurityGroupName"):
        t.fail_text(
            p.at("SourceSecurityGroupName"),
            "SourceSecurityGroupId naming a group of this template",
            describe(p.raw("SourceSecurityGroupName")),
            "name the group by id (!GetAtt Group.GroupId); groups by name belong to the default VPC",
        )
    if p.has("SourceSecurityGroupOwnerId") and p.raw("SourceSecurityGroupOwnerId") != "${account_id}":
        t.note(f"{p.at('SourceSecurityGroupOwnerId')}: a group of another account is {UNVERIFIED}")
    return t.assembly.make(SecurityGroupRule, p.path, line, **kw)


def _security_group(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    if not p.has("VpcId"):
        t.fail_text(
            p.at("VpcId"),
            "a VpcId naming a VPC of this template",
            "none (a group of the default VPC)",
            "declare the VPC in the template and give VpcId: !Ref Vpc",
        )
    kw["vpc"] = _in_template(t, p, "VpcId", "vpcs", "a VPC")
    kw["description"] = p.text("GroupDescription", required=True)
    if p.has("GroupName"):
        p.raw("GroupName")
        t.note(f"{p.at('GroupName')}: the group name is the run prefix plus '{d.name}'")
    kw["ingress"] = tuple(_sg_rule(t, rule, False, d.line) for rule in p.items("SecurityGroupIngress"))
    if p.has("SecurityGroupEgress"):
        # Declaring egress rules replaces the allow-all rule EC2 gives every new group.
        kw["egress"] = tuple(_sg_rule(t, rule, True, d.line) for rule in p.items("SecurityGroupEgress"))
    kw["tags"] = _ec2_tags(t, p)


def _network_acl(t: _Template, d: Draft, p: Props) -> None:
    d.kwargs["vpc"] = _in_template(t, p, "VpcId", "vpcs", "a VPC")
    d.kwargs["entries"] = ()
    d.kwargs["tags"] = _ec2_tags(t, p)


def _secret_value(t: _Template, p: Props, key: str, generated: str | None = None) -> str:
    """The value the emulated account holds: the template's own, else a stand-in (never a real secret)."""
    value = p.text(key)
    if value:
        return str(value)
    if generated is not None and p.has(generated):
        p.raw(generated)
        t.note(f"{p.at(generated)}: a generated value; a fixed stand-in value is stored instead")
    else:
        t.note(f"{p.path}: no {key}; a fixed stand-in value is stored")
    return "pipewarden-stand-in-secret"


def _secret(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kw["store"] = "secrets-manager"
    kw["value"] = _secret_value(t, p, "SecretString", "GenerateSecretString")
    if p.has("KmsKeyId"):
        kw["kms_key"] = t.reference(p.raw("KmsKeyId"), "keys", p.at("KmsKeyId"))
    kw["description"] = p.text("Description", "")
    kw["tags"] = _tags(t, p)


def _parameter(t: _Template, d: Draft, p: Props) -> None:
    kw = d.kwargs
    kind = p.text("Type", required=True)
    if kind in ("String", "StringList"):
        # CloudFormation cannot create SecureString parameters; a plain one is held encrypted here.
        t.note(
            f"{p.at('Type')}: {kind} is stored unencrypted in AWS; the harness holds it as a SecureString, so "
            "scenarios about how it is stored are unverified"
        )
    kw["store"] = "parameter-store"
    kw["value"] = _secret_value(t, p, "Value")
    kw["description"] = p.text("Description", "")
    kw["tags"] = tags_from_pairs(p.mapping("Tags"), p.at("Tags"), t.fail_text)
    _defaults(p, {"Tier": "Standard", "DataType": "text"})


# -- folded network types ----------------------------------------------------------------------------------


def _fold_sg_rule(egress: bool) -> Callable[[_Template, str, Props], None]:
    def fold(t: _Template, logical_id: str, p: Props) -> None:
        if not egress and not p.has("GroupId") and p.has("GroupName"):
            t.fail_text(
                p.at("GroupName"),
                "GroupId naming a security group of this template",
                describe(p.raw("GroupName")),
                "use GroupId: !GetAtt Group.GroupId; groups by name belong to the default VPC",
            )
        group = _parent(t, p, "GroupId", "security_groups", "a security group")
        rule = _sg_rule(t, p, egress, _line(t, logical_id))
        if egress:
            current = group.kwargs.get("egress")
            if current is None:
                # The group kept EC2's allow-all rule; whether a separate egress rule removes it depends on the
                # order of operations, so the wider reading (both rules) is analysed.
                t.note(
                    f"Resources.{logical_id}: the group '{group.name}' declares no egress of its own; EC2's "
                    "allow-all egress rule is kept next to this one"
                )
                current = (SecurityGroupRule(protocol="-1", cidr="0.0.0.0/0"),)
            group.kwargs["egress"] = (*current, rule)
        else:
            group.kwargs["ingress"] = (*group.kwargs.get("ingress", ()), rule)

    return fold


def _fold_route(t: _Template, logical_id: str, p: Props) -> None:
    table = _parent(t, p, "RouteTableId", "route_tables", "a route table")
    kw: dict[str, Any] = {}
    if p.has("DestinationIpv6CidrBlock"):
        p.raw("DestinationIpv6CidrBlock")
        t.note(f"Resources.{logical_id}: IPv6 routes are {UNVERIFIED.split(';')[0]}; the route is left out")
        p.ignore(*p.values)
        return
    kw["destination"] = p.text("DestinationCidrBlock")
    kw["prefix_list"] = p.text("DestinationPrefixListId")
    gateway = p.raw("GatewayId")
    parts = ref_parts(gateway)
    if parts is not None and parts[0] == "internet_gateways":
        kw["internet_gateway"] = parts[1]
    elif p.has("NatGatewayId"):
        kw["nat_gateway"] = _in_template(t, p, "NatGatewayId", "nat_gateways", "a NAT gateway")
    elif p.has("VpcPeeringConnectionId"):
        kw["peering"] = _in_template(t, p, "VpcPeeringConnectionId", "vpc_peerings", "a VPC peering connection")
    else:
        target = next((k for k in p.values if k.endswith("Id") and k != "RouteTableId" and p.has(k)), "no target")
        t.note(
            f"Resources.{logical_id}: a route to {target} {describe(p.values.get(target))} is "
            f"{UNVERIFIED.split(';')[0]}; the route is left out and paths through it are unverified"
        )
        p.ignore(*p.values)
        return
    route = t.assembly.make(RouteSpec, f"Resources.{logical_id}", _line(t, logical_id), **kw)
    table.kwargs["routes"] = (*table.kwargs.get("routes", ()), route)


def _associate(t: _Template, logical_id: str, p: Props, key: str, section: str, what: str, field_name: str) -> None:
    subnet = _parent(t, p, "SubnetId", "subnets", "a subnet")
    target = _in_template(t, p, key, section, what)
    if subnet.kwargs.get(field_name) not in (None, target):
        t.fail_text(
            f"Resources.{logical_id}",
            f"one {what.removeprefix('a ')} per subnet",
            f"subnet '{subnet.name}' associated with '{subnet.kwargs[field_name]}' and '{target}'",
            "keep one association per subnet",
        )
    subnet.kwargs[field_name] = target


def _fold_route_association(t: _Template, logical_id: str, p: Props) -> None:
    _associate(t, logical_id, p, "RouteTableId", "route_tables", "a route table", "route_table")


def _fold_acl_association(t: _Template, logical_id: str, p: Props) -> None:
    _associate(t, logical_id, p, "NetworkAclId", "network_acls", "a network ACL", "network_acl")


def _fold_gateway_attachment(t: _Template, logical_id: str, p: Props) -> None:
    vpc = _in_template(t, p, "VpcId", "vpcs", "a VPC")
    if p.has("VpnGatewayId"):
        p.raw("VpnGatewayId")
        t.note(f"Resources.{logical_id}: VPN gateways are {UNVERIFIED}")
        return
    gateway = _parent(t, p, "InternetGatewayId", "internet_gateways", "an internet gateway")
    gateway.kwargs["vpc"] = vpc


def _fold_acl_entry(t: _Template, logical_id: str, p: Props) -> None:
    acl = _parent(t, p, "NetworkAclId", "network_acls", "a network ACL")
    if p.has("Ipv6CidrBlock"):
        p.raw("Ipv6CidrBlock")
        t.note(f"Resources.{logical_id}: IPv6 entries are {UNVERIFIED.split(';')[0]}; the entry is left out")
        p.ignore(*p.values)
        return
    protocol = p.text("Protocol", required=True)
    action = p.text("RuleAction", required=True)
    if action not in ("allow", "deny"):
        t.fail_text(p.at("RuleAction"), "allow or deny", repr(action), "use allow or deny")
    kw: dict[str, Any] = {
        "rule": p.integer("RuleNumber", required=True),
        "action": action,
        "cidr": p.text("CidrBlock", required=True),
        "egress": bool(p.flag("Egress", False)),
        "protocol": protocol,
    }
    ports = p.sub("PortRange")
    icmp = p.sub("Icmp")
    if ports is not None:
        if protocol in ("6", "17", "tcp", "udp"):
            kw["from_port"] = ports.integer("From", required=True)
            kw["to_port"] = ports.integer("To", required=True)
        else:
            ports.ignore(*ports.values)  # EC2 ignores a port range for other protocols
    if icmp is not None:
        if protocol in ("1", "icmp"):
            kw["icmp_type"] = icmp.integer("Type", -1)
            kw["icmp_code"] = icmp.integer("Code", -1)
        else:
            icmp.ignore(*icmp.values)
    entry = t.assembly.make(NaclRule, f"Resources.{logical_id}", _line(t, logical_id), **kw)
    acl.kwargs["entries"] = (*acl.kwargs.get("entries", ()), entry)


def _fold_eip(t: _Template, logical_id: str, p: Props) -> None:
    p.ignore(*p.values)
    t.note(
        f"Resources.{logical_id} (AWS::EC2::EIP): the harness allocates one Elastic IP with each public NAT "
        "gateway; this address is not created"
    )


def _check_network(t: _Template) -> None:
    """What folding must have supplied: every internet gateway is attached to a VPC."""
    for logical_id, draft in t.drafts.items():
        if draft.cls is InternetGateway and not draft.kwargs.get("vpc"):
            t.fail(
                ("Resources", logical_id),
                "an AWS::EC2::VPCGatewayAttachment attaching the internet gateway to a VPC of this template",
                "none",
                "attach it with AWS::EC2::VPCGatewayAttachment (VpcId, InternetGatewayId) or remove it",
            )


def _placement(t: _Template, path: str, vpc: Props) -> VpcPlacement | VpcConfig | None:
    """A build's VPC by the template's VPC, subnets and groups when all of them are declared here.

    Otherwise the literal ids are kept as they are (a VPC outside the template), or, when only part of the
    network is declared, the build runs outside a VPC with a note (see ``vpc_config``).
    """
    vpc_id = vpc.raw("VpcId")
    subnets = vpc.strings("Subnets")
    groups = vpc.strings("SecurityGroupIds")
    wanted = [(vpc_id, "vpcs"), *((s, "subnets") for s in subnets), *((g, "security_groups") for g in groups)]
    named = [ref_parts(value) for value, _section in wanted]
    if subnets and groups and all(n is not None and n[0] == s for n, (_v, s) in zip(named, wanted, strict=True)):
        names = [n[1] for n in named if n is not None]
        return t.assembly.make(
            VpcPlacement,
            path,
            None,
            vpc=names[0],
            subnets=tuple(names[1 : 1 + len(subnets)]),
            security_groups=tuple(names[1 + len(subnets) :]),
        )
    return vpc_config(t.assembly, path, vpc_id, subnets, groups)


# -- folded types: attached to another resource -------------------------------------------------------------


def _fold_iam_policy(t: _Template, logical_id: str, p: Props) -> None:
    name = p.text("PolicyName", required=True)
    document = p.doc("PolicyDocument", required=True)
    for index, role in enumerate(p.seq("Roles")):
        target = t.draft_of(_role_ref(role), "roles")
        if target is None:
            t.note(f"{p.at('Roles')}[{index}]: attaches to {describe(role)}, outside the definition; {UNVERIFIED}")
            continue
        policies = dict(target.kwargs.get("policies") or {})
        policies[name] = document
        target.kwargs["policies"] = policies
    for key in ("Users", "Groups"):
        if p.has(key):
            p.raw(key)
            t.note(f"{p.at(key)}: IAM users and groups are {UNVERIFIED}")


def _fold_bucket_policy(t: _Template, logical_id: str, p: Props) -> None:
    document = p.doc("PolicyDocument", required=True)
    bucket = p.require("Bucket")
    parts = ref_parts(bucket)
    target = t.draft_of(f"${{buckets.{parts[1]}.name}}" if parts and parts[0] == "buckets" else bucket, "buckets")
    if target is None:
        t.note(f"{p.at('Bucket')}: a policy for {describe(bucket)}, outside the definition; {UNVERIFIED}")
        return
    if target.kwargs.get("policy") is not None:
        t.note(f"Resources.{logical_id}: a second policy for bucket '{target.name}' replaces the first")
    target.kwargs["policy"] = document


def _fold_topic_policy(t: _Template, logical_id: str, p: Props) -> None:
    document = p.doc("PolicyDocument", required=True)
    for index, topic in enumerate(p.seq("Topics")):
        target = t.draft_of(topic, "topics")
        if target is None:
            t.note(f"{p.at('Topics')}[{index}]: a policy for {describe(topic)}, outside the definition; {UNVERIFIED}")
            continue
        target.kwargs["policy"] = document


def _fold_alias(t: _Template, logical_id: str, p: Props) -> None:
    alias = p.text("AliasName", required=True)
    target = p.require("TargetKeyId")
    parts = ref_parts(target)
    key = parts[1] if parts and parts[0] == "keys" else describe(target)
    t.note(
        f"Resources.{logical_id} (AWS::KMS::Alias): {alias!r} for key {key}; the harness addresses keys by its "
        "own alias (alias/<prefix><name>), so this alias is not created"
    )


KINDS: dict[str, _Kind] = {
    "AWS::IAM::Role": _Kind(Role, "{name}", {"Arn": "{arn}", "RoleId": None}, _role, "RoleName"),
    "AWS::IAM::ManagedPolicy": _Kind(
        ManagedPolicy, "{arn}", {"PolicyArn": "{arn}", "PolicyId": None}, _managed_policy, "ManagedPolicyName"
    ),
    "AWS::S3::Bucket": _Kind(
        Bucket,
        "{name}",
        {
            "Arn": "{arn}",
            "DomainName": "{name}.s3.amazonaws.com",
            "RegionalDomainName": "{name}.s3.{region}.amazonaws.com",
            "DualStackDomainName": "{name}.s3.dualstack.{region}.amazonaws.com",
            "WebsiteURL": "http://{name}.s3-website-{region}.amazonaws.com",
        },
        _bucket,
        "BucketName",
    ),
    "AWS::KMS::Key": _Kind(KmsKey, "{id}", {"Arn": "{arn}", "KeyId": "{id}"}, _kms_key),
    # A log group's Arn attribute ends in ':*'; the model's ARN does not.
    "AWS::Logs::LogGroup": _Kind(LogGroup, "{name}", {"Arn": "{arn}:*"}, _log_group, "LogGroupName"),
    "AWS::CodeBuild::Project": _Kind(BuildProject, "{name}", {"Arn": "{arn}"}, _build_project, "Name"),
    "AWS::CodePipeline::Pipeline": _Kind(Pipeline, "{name}", {"Version": None}, _pipeline, "Name"),
    "AWS::SNS::Topic": _Kind(Topic, "{arn}", {"TopicArn": "{arn}", "TopicName": "{name}"}, _topic, "TopicName"),
    "AWS::CloudTrail::Trail": _Kind(Trail, "{name}", {"Arn": "{arn}", "SnsTopicArn": None}, _trail, "TrailName"),
    "AWS::Logs::MetricFilter": _Kind(MetricFilter, "{name}", {}, _metric_filter, "FilterName"),
    "AWS::CloudWatch::Alarm": _Kind(Alarm, "{name}", {"Arn": "{arn}"}, _alarm, "AlarmName"),
    "AWS::CodeCommit::Repository": _Kind(
        Repository,
        "{name}",
        {
            "Arn": "{arn}",
            "Name": "{name}",
            "CloneUrlHttp": "https://git-codecommit.{region}.amazonaws.com/v1/repos/{name}",
            "CloneUrlSsh": "ssh://git-codecommit.{region}.amazonaws.com/v1/repos/{name}",
        },
        _repository,
        "RepositoryName",
    ),
    "AWS::EC2::VPC": _Kind(
        Vpc,
        "{id}",
        {
            "VpcId": "{id}",
            "CidrBlock": "{cidr}",
            "CidrBlockAssociations": None,
            "DefaultNetworkAcl": None,
            "DefaultSecurityGroup": None,
            "Ipv6CidrBlocks": None,
        },
        _vpc,
    ),
    "AWS::EC2::Subnet": _Kind(
        Subnet,
        "{id}",
        {
            "SubnetId": "{id}",
            "CidrBlock": "{cidr}",
            "AvailabilityZone": None,
            "AvailabilityZoneId": None,
            "Ipv6CidrBlocks": None,
            "NetworkAclAssociationId": None,
            "OutpostArn": None,
            "VpcId": None,
        },
        _subnet,
    ),
    "AWS::EC2::RouteTable": _Kind(RouteTable, "{id}", {"RouteTableId": "{id}"}, _route_table),
    "AWS::EC2::InternetGateway": _Kind(InternetGateway, "{id}", {"InternetGatewayId": "{id}"}, _internet_gateway),
    "AWS::EC2::NatGateway": _Kind(NatGateway, "{id}", {"NatGatewayId": "{id}"}, _nat_gateway),
    "AWS::EC2::VPCPeeringConnection": _Kind(VpcPeering, "{id}", {"Id": "{id}"}, _peering),
    "AWS::EC2::VPCEndpoint": _Kind(
        VpcEndpoint,
        "{id}",
        {"Id": "{id}", "CreationTimestamp": None, "DnsEntries": None, "NetworkInterfaceIds": None},
        _vpc_endpoint,
    ),
    "AWS::EC2::SecurityGroup": _Kind(SecurityGroup, "{id}", {"GroupId": "{id}", "VpcId": None}, _security_group),
    "AWS::EC2::NetworkAcl": _Kind(NetworkAcl, "{id}", {"Id": "{id}"}, _network_acl),
    # A secret's Ref is its ARN, a parameter's Ref its name.
    "AWS::SecretsManager::Secret": _Kind(Secret, "{arn}", {"Id": "{arn}"}, _secret, "Name"),
    "AWS::SSM::Parameter": _Kind(Secret, "{name}", {"Type": None, "Value": None}, _parameter, "Name"),
}
"""Supported types; adding one is one entry and one mapper."""

FOLDED: dict[str, Callable[[_Template, str, Props], None]] = {
    "AWS::IAM::Policy": _fold_iam_policy,
    "AWS::S3::BucketPolicy": _fold_bucket_policy,
    "AWS::SNS::TopicPolicy": _fold_topic_policy,
    "AWS::KMS::Alias": _fold_alias,
    "AWS::EC2::Route": _fold_route,
    "AWS::EC2::SubnetRouteTableAssociation": _fold_route_association,
    "AWS::EC2::SubnetNetworkAclAssociation": _fold_acl_association,
    "AWS::EC2::VPCGatewayAttachment": _fold_gateway_attachment,
    "AWS::EC2::SecurityGroupIngress": _fold_sg_rule(False),
    "AWS::EC2::SecurityGroupEgress": _fold_sg_rule(True),
    "AWS::EC2::NetworkAclEntry": _fold_acl_entry,
    "AWS::EC2::EIP": _fold_eip,
}
"""Types that become part of another resource (a policy attached to a role, bucket or topic; a rule, route or
association of the network)."""

IGNORED: dict[str, str] = {"AWS::CDK::Metadata": "CDK version reporting; nothing to test"}

_FUNCTIONS: dict[str, Callable[[_Template, Any, tuple[Any, ...]], Any]] = {
    "Fn::GetAtt": _Template.fn_get_att,
    "Fn::Sub": _Template.fn_sub,
    "Fn::Join": _Template.fn_join,
    "Fn::Select": _Template.fn_select,
    "Fn::Split": _Template.fn_split,
    "Fn::If": _Template.fn_if,
    "Fn::FindInMap": _Template.fn_find_in_map,
    "Fn::Base64": _Template.fn_base64,
    "Fn::GetAZs": _Template.fn_get_azs,
    "Fn::ImportValue": _Template.fn_import_value,
    "Fn::Length": _Template.fn_length,
    "Fn::ToJsonString": _Template.fn_to_json_string,
    "Fn::Cidr": _Template.fn_cidr,
    "Fn::Equals": lambda t, arg, path: t.boolean({"Fn::Equals": arg}, path[:-1]),
    "Fn::And": lambda t, arg, path: t.boolean({"Fn::And": arg}, path[:-1]),
    "Fn::Or": lambda t, arg, path: t.boolean({"Fn::Or": arg}, path[:-1]),
    "Fn::Not": lambda t, arg, path: t.boolean({"Fn::Not": arg}, path[:-1]),
}


# -- entry points -------------------------------------------------------------------------------------------


def parse_template_text(
    text: str,
    filename: str = "<string>",
    parameters: Mapping[str, str] | None = None,
    *,
    stack_name: str | None = None,
    lint_template: bool = True,
    lint_ignore: Sequence[str] = (),
    options: ParameterOptions = CHECK_OPTIONS,
) -> Definition:
    """Turn CloudFormation template text into a definition.

    Args:
        text: the template, YAML (short-form tags allowed) or JSON.
        filename: used in messages and as the source.
        parameters: parameter values by name (they replace the declared defaults).
        stack_name: the value of AWS::StackName (the file's stem by default).
        lint_template: validate with cfn-lint first (findings become notes; see ``harness.inputs.lint``).
        lint_ignore: cfn-lint rule ids or prefixes whose findings are left out.
        options: how the interface in use takes parameters, named in the fix of a missing value.

    Returns:
        The definition; ``notes`` lists cfn-lint's findings in line order, then unsupported types, properties and
        placeholders by logical id. A NoEcho parameter's value appears in none of them.

    Raises:
        InputError: naming file, line and template path, what was expected, found and the fix.
    """
    try:
        return _parse(text, filename, parameters, stack_name, lint_template, lint_ignore, options)
    except RecursionError:
        raise InputError(
            where=filename,
            expected="a CloudFormation template",
            found="values nested too deeply to read",
            fix="check the file is a template",
            file=filename,
        ) from None


def _parse(
    text: str,
    filename: str,
    parameters: Mapping[str, str] | None,
    stack_name: str | None,
    lint_template: bool,
    lint_ignore: Sequence[str],
    options: ParameterOptions,
) -> Definition:
    name = stack_name or Path(filename).stem or "stack"
    data = parse_template(text, filename)
    template = _Template(data, filename, name, parameters, options)
    template.sections()
    if lint_template:
        findings = lint(text, lint_ignore)
        fatal = [finding for finding in findings if finding.fatal]
        if fatal:
            raise refusal(filename, fatal)
        for finding in findings:
            template.note(finding.note)
    try:
        template.parameters()
        for condition in template.data.get("Conditions") or {}:
            template.condition(condition, ("Conditions", condition))
        template.allocate()
        template.map_resources()
        definition = template.assembly.definition(name)
    except InputError as exc:
        raise template.redacted(exc) from None
    if template.secrets:
        notes = tuple(redact(note, template.secrets) for note in definition.notes)
        if notes != definition.notes:
            definition = dataclasses.replace(definition, notes=notes)
    return definition


def load_template(
    path: str | Path,
    parameters: Mapping[str, str] | None = None,
    *,
    lint_template: bool = True,
    lint_ignore: Sequence[str] = (),
    options: ParameterOptions = CHECK_OPTIONS,
) -> Definition:
    """Load a CloudFormation template file (see ``parse_template_text``).

    Raises:
        InputError: when the file cannot be read or the template is invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            where=str(path),
            expected="a readable CloudFormation template",
            found=getattr(exc, "strerror", None) or str(exc),
            fix="check the path",
            file=str(path),
        ) from None
    return parse_template_text(
        text, str(path), parameters, lint_template=lint_template, lint_ignore=lint_ignore, options=options
    )
