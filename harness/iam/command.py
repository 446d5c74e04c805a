"""``pipewarden authorize``: decide authorization requests given as JSON, one or a batch."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from harness.errors import InputError
from harness.iam.catalogue import Catalogue
from harness.iam.evaluator import AuthorizationRequest, Decision, PolicySet, evaluate
from harness.iam.policy import Policy, parse_policy

_REQUEST_FIELDS = frozenset(
    {
        "principal",
        "action",
        "resource",
        "resource_account",
        "context",
        "identity_policies",
        "resource_policy",
        "permissions_boundary",
        "session_policy",
        "scps",
        "rcps",
    }
)
_WRAPPER_DOCUMENT_KEYS = ("policy", "document", "PolicyDocument")

EPILOG = """\
input: one request object (or, with --batch, an array of them):
  {"principal": ARN, "action": "svc:Action", "resource": ARN, "resource_account": "123456789012",
   "context": {"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"]},
   "identity_policies": [POLICY...], "resource_policy": POLICY|null, "permissions_boundary": POLICY|null,
   "session_policy": POLICY|null, "scps": [[POLICY...] per level]|null, "rcps": [[POLICY...] per level]|null}
  A POLICY is a document (object or JSON string) or {"name": NAME, "policy": DOCUMENT}.
output: {"decision": "Allowed|ExplicitDeny|ImplicitDeny", "matched": [{"layer", "policy", "statement",
  "effect"}], "layers": [...], "reason": "...", "evaluated": {layer: Allow|Deny|NoMatch}, "request": {...}}
batch: an array of results in input order; a request that cannot be evaluated yields
  {"decision": null, "error": {"message", "where", "expected", "found", "fix", "field"}} in its place,
  and the others are still decided.
exit status: 0 decided (in batch mode even when some items carry an error), 2 unreadable input or, without
  --batch, a malformed request."""


def register(subparsers: Any) -> None:
    """Add the ``authorize`` sub-command."""
    parser = subparsers.add_parser(
        "authorize",
        help="decide an IAM authorization request (AWS policy evaluation logic)",
        description="Decide IAM authorization requests following the AWS policy evaluation logic.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE|-", help="JSON request file, or - for standard input")
    parser.add_argument("--batch", action="store_true", help="input is an array of requests")
    parser.add_argument(
        "--unknown-actions",
        choices=("ignore", "warn", "error"),
        default="ignore",
        help="check the request action and policy actions against the AWS catalogue "
        "(warn: add warnings to the output; error: treat unknown actions as malformed input)",
    )
    parser.add_argument(
        "--literal-rcps",
        action="store_true",
        help="evaluate RCP levels as given (each must allow) instead of with the RCPFullAWSAccess policy AWS "
        "attaches to every level",
    )
    parser.add_argument("--compact", action="store_true", help="print JSON on one line")
    parser.set_defaults(func=handle)


def _read(path: str, stdin: TextIO) -> Any:
    name = "<stdin>" if path == "-" else path
    try:
        text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            where=path, expected="a readable JSON file", found=exc.strerror or str(exc), fix="check the path"
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            where=name, expected="UTF-8 JSON", found="undecodable bytes", fix="save the request as UTF-8 JSON"
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(
            where=name,
            expected="JSON nested at most a few hundred levels deep",
            found="deeper nesting",
            fix="flatten the input",
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            where=f"{name}:{exc.lineno}:{exc.colno}",
            expected="valid JSON",
            found=exc.msg,
            fix="fix the JSON syntax",
            line=exc.lineno,
            column=exc.colno,
        ) from None


def _document(raw: Any, default_name: str) -> Any:
    """Accept a policy as a document, a JSON string, or a named wrapper ``{"name": ..., "policy": ...}``."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise InputError(
                where=default_name,
                expected="a policy document (object or JSON string)",
                found="a string that is not JSON",
                fix="give the policy as a JSON object",
            ) from None
    if isinstance(raw, Mapping) and "Statement" not in raw and "statement" not in raw:
        for key in _WRAPPER_DOCUMENT_KEYS:
            if key in raw:
                name = raw.get("name", raw.get("PolicyName", default_name))
                return parse_policy(raw[key], str(name))
    return parse_policy(raw, default_name)


def _levels(raw: Any, layer: str) -> list[list[Policy]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise InputError(
            where=f"request {layer}",
            expected="a list of levels (each a list of policies) or null",
            found=type(raw).__name__,
            fix=f'give "{layer}": [[POLICY, ...], ...]',
            field=layer,
        )
    levels: list[list[Policy]] = []
    for level_index, level in enumerate(raw):
        documents = level if isinstance(level, list) else [level]
        levels.append([_document(doc, f"{layer}[{level_index}][{i}]") for i, doc in enumerate(documents)])
    return levels


def _optional(raw: Any, name: str) -> Policy | None:
    return None if raw is None else _document(raw, name)


def build(
    raw: Any, *, catalogue: Catalogue | None = None, strict_actions: bool = False, literal_rcps: bool = False
) -> tuple[AuthorizationRequest, PolicySet, list[str]]:
    """Turn one JSON request into a request and compiled policies.

    Returns:
        The request, the policies and catalogue warnings (empty unless a catalogue is given).

    Raises:
        InputError: naming the field at fault.
    """
    if not isinstance(raw, Mapping):
        raise InputError(
            where="request",
            expected="a JSON object",
            found=type(raw).__name__,
            fix='give the request as {"principal": ..., "action": ..., ...}',
        )
    unknown = sorted(set(raw) - _REQUEST_FIELDS)
    if unknown:
        raise InputError(
            where="request",
            expected=f"only the fields {', '.join(sorted(_REQUEST_FIELDS))}",
            found=", ".join(unknown),
            fix="remove or rename the unknown fields",
            field=unknown[0],
        )
    for name in ("principal", "action"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise InputError(
                where=f"request {name}",
                expected="a non-empty string",
                found=repr(raw.get(name)),
                fix=f'add "{name}"',
                field=name,
            )
    resource = raw.get("resource", "*")
    if resource is None:
        resource = "*"
    if not isinstance(resource, str):
        raise InputError(
            where="request resource",
            expected="an ARN string",
            found=repr(resource),
            fix='give "resource" as an ARN or "*"',
            field="resource",
        )
    account = raw.get("resource_account")
    if account is not None and not isinstance(account, str | int):
        raise InputError(
            where="request resource_account",
            expected="a 12-digit account id",
            found=repr(account),
            fix="give the account id as a string",
            field="resource_account",
        )
    context = raw.get("context") or {}
    identity_raw = raw.get("identity_policies") or []
    if not isinstance(identity_raw, list):
        identity_raw = [identity_raw]
    identity = [_document(doc, f"identity[{i}]") for i, doc in enumerate(identity_raw)]
    policies = PolicySet.compile(
        identity,
        _optional(raw.get("resource_policy"), "resource_policy"),
        _optional(raw.get("permissions_boundary"), "permissions_boundary"),
        _optional(raw.get("session_policy"), "session_policy"),
        _levels(raw.get("scps"), "scps"),
        _levels(raw.get("rcps"), "rcps"),
        rcp_full_access=not literal_rcps,
    )
    request = AuthorizationRequest.create(
        raw["principal"],
        raw["action"],
        resource,
        context,
        None if account is None else str(account).zfill(12),
    )
    warnings: list[str] = []
    if catalogue is not None:
        all_policies = [
            *policies.identity,
            policies.resource,
            policies.permissions_boundary,
            policies.session,
        ]
        for levels in (policies.scps or (), policies.rcps or ()):
            for level in levels:
                all_policies.extend(level)
        for issue in catalogue.validate_actions([raw["action"]], strict=strict_actions, where="request action"):
            warnings.append(f"request action {issue.entry!r}: {issue.message}")
        for compiled in all_policies:
            if compiled is not None:
                warnings.extend(
                    issue.message for issue in catalogue.validate_policy(compiled.policy, strict=strict_actions)
                )
    return request, policies, warnings


def decide(
    raw: Any, *, catalogue: Catalogue | None = None, strict_actions: bool = False, literal_rcps: bool = False
) -> dict[str, Any]:
    """Decide one JSON request and return the JSON result.

    Raises:
        InputError: when the request is malformed.
    """
    request, policies, warnings = build(
        raw, catalogue=catalogue, strict_actions=strict_actions, literal_rcps=literal_rcps
    )
    decision: Decision = evaluate(request, policies)
    result = decision.to_dict()
    if warnings:
        result["warnings"] = warnings
    return result


def _error(exc: InputError) -> dict[str, Any]:
    return {
        "decision": None,
        "error": {
            "message": exc.message,
            "where": exc.where,
            "expected": exc.expected,
            "found": exc.found,
            "fix": exc.fix,
            "field": exc.field,
        },
    }


def handle(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run ``pipewarden authorize``; returns the exit code."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    try:
        payload = _read(args.file, stdin)
    except InputError as exc:
        print(f"pipewarden authorize: error: {exc}", file=sys.stderr)
        return 2
    catalogue = Catalogue() if args.unknown_actions != "ignore" else None
    strict = args.unknown_actions == "error"
    indent = None if args.compact else 2
    if args.batch:
        if not isinstance(payload, list):
            print(
                "pipewarden authorize: error: --batch input: expected a JSON array of requests, found "
                f"{type(payload).__name__}; wrap the requests in [...]",
                file=sys.stderr,
            )
            return 2
        results: list[dict[str, Any]] = []
        for index, item in enumerate(payload):
            try:
                results.append(decide(item, catalogue=catalogue, strict_actions=strict, literal_rcps=args.literal_rcps))
            except InputError as exc:
                failed = _error(exc)
                failed["index"] = index
                results.append(failed)
        json.dump(results, stdout, indent=indent)
        stdout.write("\n")
        return 0
    try:
        result = decide(payload, catalogue=catalogue, strict_actions=strict, literal_rcps=args.literal_rcps)
    except InputError as exc:
        print(f"pipewarden authorize: error: {exc}", file=sys.stderr)
        return 2
    json.dump(result, stdout, indent=indent)
    stdout.write("\n")
    return 0


__all__ = ["EPILOG", "build", "decide", "handle", "register"]
