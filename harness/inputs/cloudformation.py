"""CloudFormation templates (YAML or JSON) into the resource model: linting, intrinsic functions and mapping."""

from __future__ import annotations

import base64
import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from harness.errors import InputError
from harness.inputs._cfn_parse import line_of, parse_template
from harness.inputs._common import DEPLOY_VALUES, UNVERIFIED, Assembly, NameAllocator, describe, ref_parts
from harness.inputs.lint import lint, refusal
from harness.inputs.parameters import CHECK_OPTIONS, Declaration, ParameterOptions, Rejected, redact
from harness.inputs.text import read_text
from harness.model.base import GLOBAL_VARIABLES
from harness.model.definition import Definition
from harness.model.schema import CLOUDFORMATION, Draft, Origin, Props
from harness.model.walker import map_fields
from harness.provider.registry import Registry

T = TypeVar("T")

__all__ = ["load_template", "load_templates", "parse_template_text", "parse_templates"]

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


class _Stacks:
    """What templates given together share: one assembly of drafts and notes, and the exports by name."""

    def __init__(self, filename: str) -> None:
        self.assembly = Assembly(filename, NameAllocator(), Registry.discover())
        self.exports: dict[str, tuple[_Template, str]] = {}
        self.resolving: list[tuple[int, str]] = []
        self.several = False  # with several templates, a parameter need only be declared by one of them


class _Template:
    """One template being read: its data, parameters, conditions, names and the notes found so far."""

    def __init__(
        self,
        data: Any,
        filename: str,
        stack_name: str,
        overrides: Mapping[str, str] | None,
        options: ParameterOptions = CHECK_OPTIONS,
        stacks: _Stacks | None = None,
    ) -> None:
        self.data = data
        self.filename = filename
        self.stack_name = stack_name
        self.overrides = dict(overrides or {})
        self.options = options
        self.secrets: list[str] = []  # values of NoEcho parameters, kept out of every message and note
        # Templates given together share names, drafts and notes, and see each other's exports.
        self.stacks = stacks or _Stacks(filename)
        self.names = self.stacks.assembly.names
        self.registry = self.stacks.assembly.registry
        self.assembly = self.stacks.assembly
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
        for name in self.overrides if not self.stacks.several else ():
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
        return unmodelled_value(rtype, logical_id, attribute)

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
        export = self.stacks.exports.get(name)
        if export is None:
            # Another stack's output: what names a resource becomes a stand-in named after the export.
            self.note(
                f"{_dotted(path)}: Fn::ImportValue {name!r} reads an output of a stack none of the given templates "
                "declares; give that template too to have it resolved"
            )
            return name
        owner, logical_id = export
        if (id(owner), logical_id) in self.stacks.resolving:
            self.fail(path, "exports that do not depend on themselves", f"'{name}' imported in a cycle", "break it")
        self.stacks.resolving.append((id(owner), logical_id))
        try:
            return owner.evaluate(owner.data["Outputs"][logical_id]["Value"], ("Outputs", logical_id, "Value"))
        finally:
            self.stacks.resolving.pop()

    def exports(self) -> dict[str, tuple[_Template, str]]:
        """This template's exported outputs by export name (their values are evaluated where imported)."""
        found: dict[str, tuple[_Template, str]] = {}
        for logical_id, output in (self.data.get("Outputs") or {}).items():
            export = output.get("Export") if isinstance(output, dict) else None
            if not isinstance(export, dict) or "Name" not in export:
                continue
            if "Condition" in output and not self.condition(output["Condition"], ("Outputs", logical_id, "Condition")):
                continue
            path = ("Outputs", logical_id, "Export", "Name")
            name = self.text(export["Name"], path, "an export name")
            if name in found:
                self.fail(
                    path,
                    "export names unique across the templates, as CloudFormation requires in a region",
                    f"'{name}' exported by {self.filename} too",
                    "rename one of the exports",
                )
            found[name] = (self, logical_id)
        return found

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

    def record_names(self) -> None:
        """Remember the physical names the template gives its resources (``Name: !Ref ProjectName``)."""
        for logical_id, name in self.logical.items():
            spec = self.resources[logical_id]
            schema = self.registry.cfn_schema(spec["Type"])
            prop = schema.cfn.name if schema is not None and schema.cfn is not None else None
            raw = (spec.get("Properties") or {}).get(prop) if prop else None
            if raw is None or not self.active(logical_id, spec):
                continue
            physical = self.evaluate(raw, ("Resources", logical_id, "Properties", prop))
            if isinstance(physical, str) and physical and "${" not in physical.replace("${account_id}", ""):
                self.assembly.physical.setdefault((schema.cls.SECTION, physical), name)  # type: ignore[union-attr]
            if isinstance(physical, str) and physical and "${" not in DEPLOY_VALUES.sub("", physical):
                self.assembly.declared_names[f"{schema.cls.SECTION}.{name}"] = physical  # type: ignore[union-attr]

    def active(self, logical_id: str, spec: Mapping[str, Any]) -> bool:
        condition = spec.get("Condition")
        return condition is None or self.condition(condition, ("Resources", logical_id, "Condition"))

    def map_resources(self) -> None:
        reader = _CfnReader(self)
        self.assembly.reader = reader
        for logical_id, spec in self.resources.items():
            schema = self.registry.cfn_schema(spec["Type"])
            if schema is None or schema.cfn is None or not self.active(logical_id, spec):
                continue
            base = ("Resources", logical_id, "Properties")
            props = self.props(logical_id, spec)
            draft = Draft(
                schema.cls,
                self.logical[logical_id],
                f"Resources.{logical_id}",
                line_of(self.data, base[:2]),
                file=self.filename,
            )
            name_property = schema.cfn.name
            if name_property and props.has(name_property):
                props.raw(name_property)
                if f"{schema.cls.SECTION}.{draft.name}" not in self.assembly.declared_names:
                    self.note(
                        f"{props.at(name_property)}: the physical name is known only at deploy; the run prefix "
                        f"plus '{draft.name}' stands in, so names spelled out elsewhere will not match"
                    )
            map_fields(reader, schema, props, draft)
            self.report_unmapped(props)
            self.drafts[logical_id] = draft
            if spec.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
                # Deleting the stack leaves the resource in the account, outside any stack.
                where = f"Resources.{logical_id}.DeletionPolicy"
                self.assembly.retained[f"{schema.cls.SECTION}.{draft.name}"] = where
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

    def reference(
        self, value: Any, section: str, origin: str, *, arn_ok: bool = True, crosses: bool = False
    ) -> str | None:
        return self.template.assembly.reference(value, section, origin, arn_ok=arn_ok, crosses=crosses)

    def stand_in(self, section: str, identifier: str, origin: str, reason: str) -> str | None:
        return self.template.assembly.stand_in(section, identifier, origin, reason)

    def unknown_at(self, path: str) -> str | None:
        return None  # a template's values are all known once parameters are given

    def unknown(self, address: str, aspect: str, reason: str) -> None:
        self.template.assembly.unknown(address, aspect, reason)

    def here(self, value: Any, path: str, section: str, what: str) -> str:
        # The network is analysed as declared: a rule, route or placement naming something outside the template
        # would be a hole in that analysis, so it is refused rather than dropped.
        parts = ref_parts(value)
        if parts is not None and parts[0] == section:
            return parts[1]
        if isinstance(value, str) and value and parts is None:
            # An existing network resource named by id (a parameter, a literal) is stood in for, and the analysis
            # of a network that holds stand-ins is unverified.
            reason = f"{path} names {describe(value)}, which the template does not declare"
            found = self.stand_in(section, value, path, reason)
            if found is not None:
                return found
        self.fail(
            path,
            f"{what} of this template (!Ref or !GetAtt of its logical id)",
            describe(value),
            f"declare the {what.removeprefix('a ').removeprefix('an ')} in the template; the harness deploys and "
            "analyses only what the template declares",
        )

    def draft(self, section: str, name: str) -> Draft | None:
        drafts = self.template.assembly.drafts  # declared resources and stand-ins
        return next((d for d in drafts if section == d.cls.SECTION and d.name == name), None)

    def declared(self, section: str) -> list[Draft]:
        return self.template.assembly.declared(section)

    def target(self, value: Any, section: str) -> Draft | None:
        parts = ref_parts(value)
        if parts is None or parts[0] != section:
            return self.template.assembly.existing(section, value)
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


def unmodelled_value(rtype: object, logical_id: str, attribute: str | None) -> str:
    """What ``Ref`` or ``Fn::GetAtt`` of a resource of a type pipewarden does not model stands for.

    CloudFormation documents, per type, whether ``Ref`` gives a name, an ARN or a URL: it is the type's primary
    identifier (the first, for a compound one). A placeholder of the same kind stands in, so a policy naming the
    resource still reads as an ARN where AWS gives one (IAM refuses a ``Resource`` that is neither an ARN nor
    ``*``). An attribute named ``Arn`` (or ending in it) is an ARN; anything else is a name.
    """
    kind = _identifier_kind(rtype) if attribute is None else ("arn" if attribute.lower().endswith("arn") else "name")
    parts = rtype.split("::") if isinstance(rtype, str) else []
    service = parts[1].lower() if len(parts) == 3 else "unmodelled"
    noun = parts[2].lower() if len(parts) == 3 else "resource"
    name = f"${{prefix}}{logical_id}" + (f"-{attribute}" if attribute and kind == "name" else "")
    if kind == "arn":
        return f"arn:${{partition}}:{service}:${{region}}:${{account_id}}:{noun}/${{prefix}}{logical_id}"
    if kind == "url":
        return f"https://{service}.${{region}}.amazonaws.com/${{account_id}}/${{prefix}}{logical_id}"
    return name


@functools.cache
def _identifier_kind(rtype: object) -> str:
    """``arn``, ``url`` or ``name``: what the type's ``Ref`` returns, from its CloudFormation resource schema."""
    if not isinstance(rtype, str):
        return "name"
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", rtype).schema
    except Exception:  # a type unknown to the schemas (a registry extension) has a name
        return "name"
    identifiers = schema.get("primaryIdentifier") or []
    first = str(identifiers[0]).rsplit("/", 1)[-1].lower() if identifiers else ""
    if first.endswith("arn"):
        return "arn"
    if first.endswith("url"):
        return "url"
    return "name"


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
    return _parse_all([(text, filename)], parameters, stack_name, lint_template, lint_ignore, options)


def _parse_all(
    sources: Sequence[tuple[str, str]],
    parameters: Mapping[str, str] | None,
    stack_name: str | None,
    lint_template: bool,
    lint_ignore: Sequence[str],
    options: ParameterOptions,
) -> Definition:
    """Read templates given together (a pipeline and its companion stacks) into one definition."""
    first = sources[0][1]
    stacks = _Stacks(first)
    stacks.several = len(sources) > 1
    templates: list[_Template] = []
    for text, filename in sources:
        name = (stack_name if len(sources) == 1 else None) or Path(filename).stem or "stack"
        data = parse_template(text, filename)
        template = _Template(data, filename, name, parameters, options, stacks)
        template.sections()
        if lint_template:
            findings = lint(text, lint_ignore)
            fatal = [finding for finding in findings if finding.fatal]
            if fatal:
                raise refusal(filename, fatal)
            for finding in findings:
                template.note(finding.note if len(sources) == 1 else f"{filename}: {finding.note}")
        templates.append(template)
    secrets: list[str] = []
    current = templates[0]
    try:
        if stacks.several:
            _every_parameter_declared(templates, parameters or {}, first)
        for current in templates:
            current.parameters()
            secrets += current.secrets
            for condition in current.data.get("Conditions") or {}:
                current.condition(condition, ("Conditions", condition))
            current.allocate()
        for current in templates:
            current.record_names()
        for current in templates:
            for export, owner in current.exports().items():
                if export in stacks.exports:
                    current.fail(
                        ("Outputs", owner[1], "Export", "Name"),
                        "export names unique across the templates, as CloudFormation requires in a region",
                        f"'{export}' exported by {stacks.exports[export][0].filename} too",
                        "rename one of the exports",
                    )
                stacks.exports[export] = owner
        for current in templates:
            stacks.assembly.filename = current.filename
            current.map_resources()
        stacks.assembly.filename = first
        definition = stacks.assembly.definition(templates[0].stack_name)
    except InputError as exc:
        current.secrets = secrets or current.secrets
        raise current.redacted(exc) from None
    if secrets:
        notes = tuple(redact(note, secrets) for note in definition.notes)
        if notes != definition.notes:
            definition = dataclasses.replace(definition, notes=notes)
    return definition


def _every_parameter_declared(templates: Sequence[_Template], parameters: Mapping[str, str], first: str) -> None:
    """With several templates, a parameter given must be declared by at least one of them."""
    declared = [name for t in templates for name in (t.data.get("Parameters") or {})]
    for name in parameters:
        if name not in declared:
            close = difflib.get_close_matches(name, declared, n=1)
            raise InputError(
                where=f"{first} (parameter override '{name}')",
                expected="the name of a parameter one of the templates declares",
                found=f"'{name}'",
                fix=f"did you mean '{close[0]}'?" if close else "declare it under Parameters or drop it",
                file=first,
                field=f"Parameters.{name}",
            )


def parse_templates(
    sources: Sequence[tuple[str, str]],
    parameters: Mapping[str, str] | None = None,
    *,
    lint_template: bool = True,
    lint_ignore: Sequence[str] = (),
    options: ParameterOptions = CHECK_OPTIONS,
) -> Definition:
    """Turn templates given together (a pipeline and its companion stacks) into one definition.

    Each template is read as ``parse_template_text`` reads one; they share logical names, and an
    ``Fn::ImportValue`` of an output one of them exports resolves to that output's value. A parameter value
    applies to every template that declares the parameter.

    Args:
        sources: ``(text, filename)`` of each template, the pipeline's first (it names the definition).
        parameters: parameter values by name.
        lint_template: validate each with cfn-lint first (findings become notes).
        lint_ignore: cfn-lint rule ids or prefixes whose findings are left out.
        options: how the interface in use takes parameters, named in the fix of a missing value.

    Raises:
        InputError: naming the file and line of the problem.
    """
    if not sources:
        raise InputError(where="templates", expected="at least one template", found="none", fix="give a template")
    try:
        return _parse_all(sources, parameters, None, lint_template, lint_ignore, options)
    except RecursionError:
        raise InputError(
            where=sources[0][1],
            expected="CloudFormation templates",
            found="values nested too deeply to read",
            fix="check the files are templates",
            file=sources[0][1],
        ) from None


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
    text = read_text(path, "a CloudFormation template")
    return parse_template_text(
        text, str(path), parameters, lint_template=lint_template, lint_ignore=lint_ignore, options=options
    )


def load_templates(
    paths: Sequence[str | Path],
    parameters: Mapping[str, str] | None = None,
    *,
    lint_template: bool = True,
    lint_ignore: Sequence[str] = (),
    options: ParameterOptions = CHECK_OPTIONS,
) -> Definition:
    """Load template files given together (see ``parse_templates``).

    Raises:
        InputError: when a file cannot be read or a template is invalid.
    """
    sources = [(read_text(path, "a CloudFormation template"), str(path)) for path in paths]
    return parse_templates(sources, parameters, lint_template=lint_template, lint_ignore=lint_ignore, options=options)
