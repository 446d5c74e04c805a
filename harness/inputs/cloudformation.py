"""CloudFormation templates (YAML or JSON) into the resource model: linting, intrinsic functions and mapping."""

from __future__ import annotations

import base64
import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from harness.errors import InputError
from harness.inputs._cfn_parse import line_of, parse_template
from harness.inputs._common import UNVERIFIED, Assembly, NameAllocator, describe, ref_parts
from harness.model.base import GLOBAL_VARIABLES
from harness.model.definition import Definition
from harness.model.schema import CLOUDFORMATION, Draft, Origin, Props
from harness.model.walker import map_fields
from harness.provider.registry import Registry

T = TypeVar("T")

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


class _Template:
    """One template being read: its data, parameters, conditions, names and the notes found so far."""

    def __init__(self, data: Any, filename: str, stack_name: str, overrides: Mapping[str, str] | None) -> None:
        self.data = data
        self.filename = filename
        self.stack_name = stack_name
        self.overrides = dict(overrides or {})
        self.assembly = Assembly(filename)
        self.names = NameAllocator()
        self.params: dict[str, Any] = {}
        self.conditions: dict[str, bool] = {}
        self.resolving: list[str] = []
        self.resources: Mapping[str, Any] = {}
        self.registry = Registry.discover()
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
            kind = spec["Type"]
            if name in self.overrides:
                raw: Any = self.overrides[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                self.fail(
                    path,
                    "a value for the parameter",
                    "no Default and no override",
                    f"give a Default or pass the parameter ({name}=VALUE)",
                )
            if kind.startswith("AWS::SSM::Parameter::Value<"):
                self.note(
                    f"Parameters.{name}: {kind} is read from SSM Parameter Store at deploy; "
                    f"the parameter name {describe(raw)} stands in for its value"
                )
            text = _scalar_text(raw) if not isinstance(raw, list) else ",".join(map(_scalar_text, raw))
            allowed = spec.get("AllowedValues")
            if isinstance(allowed, list) and text not in [_scalar_text(a) for a in allowed]:
                self.fail(
                    path,
                    f"one of {', '.join(_scalar_text(a) for a in allowed)}",
                    repr(text),
                    "pass an allowed value or change AllowedValues",
                )
            pattern = spec.get("AllowedPattern")
            if isinstance(pattern, str) and kind == "String":
                try:
                    matches = re.fullmatch(pattern, text) is not None
                except re.error:
                    matches = True  # a pattern Python cannot read is CloudFormation's to judge
                if not matches:
                    self.fail(path, f"a value matching {pattern}", repr(text), "pass a matching value")
            if kind == "Number" or kind == "List<Number>":
                for item in text.split(",") if kind == "List<Number>" else [text]:
                    try:
                        float(item)
                    except ValueError:
                        self.fail(path, "a number", repr(item), "pass a number")
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                self.params[name] = [item.strip() for item in text.split(",")] if text else []
            else:
                self.params[name] = text

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
        schema = self.registry.cfn_schema(rtype) if isinstance(rtype, str) else None
        kind = schema.cfn if schema is not None else None
        what = "Ref" if attribute is None else f"Fn::GetAtt {logical_id}.{attribute}"
        if logical_id not in self.logical and self.resolving:
            self.fail(
                path,
                "parameters, mappings and pseudo parameters in a condition",
                f"a reference to the resource '{logical_id}'",
                "conditions are decided before resources exist; compare a parameter instead",
            )
        if schema is not None and kind is not None:
            name = self.logical[logical_id]
            section = schema.cls.SECTION
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
        elif isinstance(rtype, str) and self.registry.cfn_fold(rtype) is not None and attribute is None:
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
            schema = self.registry.cfn_schema(rtype)
            if schema is not None:
                self.logical[logical_id] = self.names.allocate(schema.cls.SECTION, _kebab(logical_id))

    def active(self, logical_id: str, spec: Mapping[str, Any]) -> bool:
        condition = spec.get("Condition")
        return condition is None or self.condition(condition, ("Resources", logical_id, "Condition"))

    def map_resources(self) -> None:
        reader = _CfnReader(self)
        for logical_id, spec in self.resources.items():
            schema = self.registry.cfn_schema(spec["Type"])
            if schema is None or schema.cfn is None or not self.active(logical_id, spec):
                continue
            base = ("Resources", logical_id, "Properties")
            props = self.props(logical_id, spec)
            draft = Draft(schema.cls, self.logical[logical_id], f"Resources.{logical_id}", line_of(self.data, base[:2]))
            name_property = schema.cfn.name
            if name_property and props.has(name_property):
                props.raw(name_property)
                self.note(
                    f"{props.at(name_property)}: the physical name is the run prefix plus "
                    f"'{draft.name}'; names spelled out elsewhere will not match"
                )
            map_fields(reader, schema, props, draft)
            self.report_unmapped(props)
            self.drafts[logical_id] = draft
            self.assembly.drafts.append(draft)
        for logical_id, spec in self.resources.items():
            rtype = spec["Type"]
            if self.registry.cfn_schema(rtype) is not None or not self.active(logical_id, spec):
                continue
            fold = self.registry.cfn_fold(rtype)
            ignored = self.registry.cfn_ignored(rtype)
            if fold is not None:
                props = self.props(logical_id, spec)
                fold.apply(reader, props, Origin(f"Resources.{logical_id}", _line(self, logical_id), logical_id))
                self.report_unmapped(props)
            elif ignored is not None or rtype in IGNORED:
                self.note(f"Resources.{logical_id} ({rtype}): {ignored.reason if ignored else IGNORED[rtype]}")
            else:
                self.note(f"Resources.{logical_id} ({rtype}): resource type {UNVERIFIED}")
        reader.finish(self.drafts.values())

    def props(self, logical_id: str, spec: Mapping[str, Any]) -> Props:
        base = ("Resources", logical_id, "Properties")
        values = self.evaluate(spec.get("Properties") or {}, base)
        return Props(values, _dotted(base), self.fail_text)

    def report_unmapped(self, props: Props) -> None:
        for path in props.unmapped():
            self.note(f"{path}: {UNVERIFIED}")


class _CfnReader:
    """The template's resources as the per-type spellings see them (see ``harness.model.schema.Reader``)."""

    format = CLOUDFORMATION
    noun = "template"

    def __init__(self, template: _Template) -> None:
        self.template = template
        self.deferred: list[Callable[[], None]] = []

    def note(self, text: str) -> None:
        self.template.note(text)

    def fail(self, path: str, expected: str, found: str, fix: str) -> NoReturn:
        self.template.fail_text(path, expected, found, fix)

    def make(self, cls: Callable[..., T], origin: str, line: int | None, **kwargs: Any) -> T:
        return self.template.assembly.make(cls, origin, line, **kwargs)

    def reference(self, value: Any, section: str, origin: str, *, arn_ok: bool = True) -> str | None:
        return self.template.assembly.reference(value, section, origin, arn_ok=arn_ok)

    def here(self, value: Any, path: str, section: str, what: str) -> str:
        # The network is analysed as declared: a rule, route or placement naming something outside the template
        # would be a hole in that analysis, so it is refused rather than dropped.
        parts = ref_parts(value)
        if parts is not None and parts[0] == section:
            return parts[1]
        self.fail(
            path,
            f"{what} of this template (!Ref or !GetAtt of its logical id)",
            describe(value),
            f"declare the {what.removeprefix('a ').removeprefix('an ')} in the template; the harness deploys and "
            "analyses only what the template declares",
        )

    def draft(self, section: str, name: str) -> Draft | None:
        return next((d for d in self.template.drafts.values() if section == d.cls.SECTION and d.name == name), None)

    def declared(self, section: str) -> list[Draft]:
        return [d for d in self.template.drafts.values() if section == d.cls.SECTION]

    def target(self, value: Any, section: str) -> Draft | None:
        parts = ref_parts(value)
        if parts is None or parts[0] != section:
            return None
        return self.draft(section, parts[1])

    def spelled(self, value: Any, section: str | None = None) -> Any:
        return value  # a template refers to its own resources with Ref and GetAtt, never by physical name

    def later(self, action: Callable[[], None]) -> None:
        self.deferred.append(action)

    def example(self, section: str) -> str:
        return "!GetAtt Role.Arn" if section == "roles" else f"!Ref or !GetAtt of a resource under {section}"

    def prefix_list(self, value: str) -> str:
        return value  # a template names managed prefix lists by id

    def finish(self, drafts: Iterable[Draft]) -> None:
        """Run the deferred completions, then each type's checks of its drafts."""
        for action in self.deferred:
            action()
        registry = self.template.registry
        for draft in list(drafts):
            for check in {s.check for s in registry.schema_of(draft.cls) if s.cfn is not None and s.check}:
                check(self, draft)


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


def _line(t: _Template, logical_id: str) -> int | None:
    return line_of(t.data, ("Resources", logical_id))


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


# -- linting ------------------------------------------------------------------------------------------------


def lint(text: str, filename: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Run cfn-lint over template text.

    Returns:
        ``(errors, warnings)``, each a list of ``(line, "RULE message")``.
    """
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    try:
        matches = cfn_lint(text, config=ManualArgs(regions=["us-east-1"]))
    except Exception as exc:  # a linter crash must not hide the template; say it was not linted
        return [], [(0, f"cfn-lint could not check the template ({type(exc).__name__})")]
    errors: list[tuple[int, str]] = []
    warnings: list[tuple[int, str]] = []
    for match in matches:
        severity = str(getattr(match.rule, "severity", "error")).lower()
        entry = (int(match.linenumber or 0), f"{match.rule.id} {match.message}")
        if severity == "error":
            errors.append(entry)
        elif severity == "warning":
            warnings.append(entry)
    return errors, warnings


# -- entry points -------------------------------------------------------------------------------------------


def parse_template_text(
    text: str,
    filename: str = "<string>",
    parameters: Mapping[str, str] | None = None,
    *,
    stack_name: str | None = None,
    lint_template: bool = True,
) -> Definition:
    """Turn CloudFormation template text into a definition.

    Args:
        text: the template, YAML (short-form tags allowed) or JSON.
        filename: used in messages and as the source.
        parameters: parameter overrides by name.
        stack_name: the value of AWS::StackName (the file's stem by default).
        lint_template: validate with cfn-lint first (errors fail, warnings become notes).

    Returns:
        The definition; ``notes`` lists unsupported types, properties and placeholders by logical id.

    Raises:
        InputError: naming file, line and template path, what was expected, found and the fix.
    """
    try:
        return _parse(text, filename, parameters, stack_name, lint_template)
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
) -> Definition:
    name = stack_name or Path(filename).stem or "stack"
    data = parse_template(text, filename)
    template = _Template(data, filename, name, parameters)
    template.sections()
    if lint_template:
        errors, warnings = lint(text, filename)
        if errors:
            listed = "; ".join(f"line {line}: {message}" for line, message in errors[:10])
            more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
            raise InputError(
                where=f"{filename}:{errors[0][0]}" if errors[0][0] else filename,
                expected="a template cfn-lint accepts",
                found=f"{len(errors)} error(s): {listed}{more}",
                fix="correct the template at those lines (the rule id names each problem)",
                file=filename,
                line=errors[0][0] or None,
            )
        for line, message in warnings:
            template.note(f"{filename}:{line}: cfn-lint {message}" if line else f"{filename}: {message}")
    template.parameters()
    for condition in template.data.get("Conditions") or {}:
        template.condition(condition, ("Conditions", condition))
    template.allocate()
    template.map_resources()
    return template.assembly.definition(name)


def load_template(
    path: str | Path, parameters: Mapping[str, str] | None = None, *, lint_template: bool = True
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
    return parse_template_text(text, str(path), parameters, lint_template=lint_template)
