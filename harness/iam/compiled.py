"""Policies compiled for fast evaluation: pre-built matchers, statements indexed by service prefix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from harness.iam.conditions import ConditionBlock
from harness.iam.patterns import Context, ResourcePattern, action_regex
from harness.iam.policy import Policy, Statement
from harness.iam.principals import Principal, PrincipalMatch, match_entry, not_principal_excludes
from harness.iam.records import MatchedStatement

_ANY_SERVICE = ""


@dataclass(frozen=True, slots=True)
class ActionMatcher:
    """Action or NotAction entries: exact names in a set, wildcard entries as regexes (case-insensitive)."""

    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    match_all: bool
    combined: re.Pattern[str] | None = None  # every wildcard entry in one alternation

    @classmethod
    def compile(cls, entries: Sequence[str]) -> ActionMatcher:
        """Compile a list of action entries."""
        return _action_matcher(tuple(entries))

    @classmethod
    def _build(cls, entries: tuple[str, ...]) -> ActionMatcher:
        exact = frozenset(e.lower() for e in entries if "*" not in e and "?" not in e)
        patterns = tuple(action_regex(e) for e in entries if ("*" in e or "?" in e) and e != "*")
        combined = None
        if patterns:
            combined = re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE | re.DOTALL)
        return cls(exact, patterns, "*" in entries, combined)

    def matches(self, action_lower: str) -> bool:
        """Tell whether the (lower-cased) action is covered."""
        if self.match_all or action_lower in self.exact:
            return True
        return self.combined is not None and self.combined.fullmatch(action_lower) is not None


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """A statement ready to test against requests."""

    statement: Statement
    policy: str
    layer: str
    allow: bool
    actions: ActionMatcher
    negate_actions: bool
    resources: tuple[ResourcePattern, ...] | None
    negate_resources: bool
    condition: ConditionBlock | None
    record: MatchedStatement
    # Fast path: all Resource entries static, folded into one regex (None: "*" present or variables used).
    static_resources: re.Pattern[str] | None = None
    all_resources: bool = False

    @classmethod
    def compile(cls, statement: Statement, policy: Policy, layer: str) -> CompiledStatement:
        """Compile one statement of ``policy`` for the given layer."""
        variables = policy.variables_enabled
        entries = statement.actions if statement.actions is not None else statement.not_actions
        assert entries is not None
        resources: tuple[ResourcePattern, ...] | None = None
        raw_resources = statement.resources if statement.resources is not None else statement.not_resources
        static: re.Pattern[str] | None = None
        everything = raw_resources is None
        if raw_resources is not None:
            resources, static, everything = _resource_patterns(raw_resources, variables)
        return cls(
            statement=statement,
            policy=policy.name,
            layer=layer,
            allow=statement.effect == "Allow",
            actions=ActionMatcher.compile(entries),
            negate_actions=statement.not_actions is not None,
            resources=resources,
            negate_resources=statement.not_resources is not None,
            condition=statement.condition,
            record=MatchedStatement(layer, policy.name, statement.label, statement.effect),
            static_resources=static,
            all_resources=everything,
        )

    def applies(self, action_lower: str, resource: str, context: Context) -> bool:
        """Action, Resource and Condition tests in one call (the hot path of every evaluation)."""
        actions = self.actions
        hit = (
            actions.match_all
            or action_lower in actions.exact
            or (actions.combined is not None and actions.combined.fullmatch(action_lower) is not None)
        )
        if hit == self.negate_actions:
            return False
        if self.all_resources:
            if self.negate_resources:
                return False
        elif self.static_resources is not None:
            if (self.static_resources.fullmatch(resource) is not None) == self.negate_resources:
                return False
        elif not self.matches_resource(resource, context):
            return False
        return self.condition is None or self.condition.evaluate(context)

    def matches_action(self, action_lower: str) -> bool:
        """Action/NotAction test."""
        return self.actions.matches(action_lower) != self.negate_actions

    def matches_resource(self, resource: str, context: Context) -> bool:
        """Resource/NotResource test; a statement without either covers every resource."""
        if self.resources is None:
            return True
        hit = False
        for pattern in self.resources:
            found = pattern.matches(resource, context)
            if found is None:
                # An entry whose policy variable cannot be resolved matches no resource. Under NotResource
                # that would widen the statement to every resource, so the statement is taken as invalid
                # (AWS: an unresolvable variable "might cause the entire statement to be invalid").
                if self.negate_resources:
                    return False
                continue
            hit = hit or found
        return hit != self.negate_resources

    def matches_condition(self, context: Context) -> bool:
        """Condition test; no Condition element always holds."""
        return self.condition is None or self.condition.evaluate(context)

    @property
    def unscoped(self) -> bool:
        """True when the statement has neither Principal nor NotPrincipal."""
        return self.statement.principal is None and self.statement.not_principal is None

    def principal_match(self, principal: Principal) -> PrincipalMatch:
        """How the statement's Principal/NotPrincipal names the caller (resource-based policies)."""
        statement = self.statement
        if statement.principal is not None:
            best = PrincipalMatch.NONE
            for kind, entry in statement.principal.entries:
                found = match_entry(kind, entry, principal)
                best = max(best, found)
            return best
        if statement.not_principal is not None:
            excluded = not_principal_excludes(statement.not_principal.entries, principal)
            return PrincipalMatch.NONE if excluded else PrincipalMatch.DIRECT
        return PrincipalMatch.NONE


@lru_cache(maxsize=16384)
def _action_matcher(entries: tuple[str, ...]) -> ActionMatcher:
    """Compiled Action/NotAction entries.

    Cached because the result is immutable and a pure function of the entries; policies repeat the same
    action lists, and compiling their regexes dominates the cost of compiling a policy.
    """
    return ActionMatcher._build(entries)


@lru_cache(maxsize=16384)
def _resource_patterns(
    entries: tuple[str, ...], variables: bool
) -> tuple[tuple[ResourcePattern, ...], re.Pattern[str] | None, bool]:
    """Compiled Resource/NotResource entries, their static entries folded into one regex, and whether "*"
    is among them. Cached for the same reason as :func:`_action_matcher`."""
    patterns = tuple(ResourcePattern.compile(r, variables) for r in entries)
    everything = any(p.match_all for p in patterns)
    static = None
    if not everything and all(p.regex is not None for p in patterns):
        static = re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns if p.regex is not None), re.DOTALL)
    return patterns, static, everything


def _services_of(statement: CompiledStatement) -> tuple[str, ...]:
    """Service prefixes a statement can apply to; the empty string means any service."""
    if statement.negate_actions or statement.actions.match_all:
        return (_ANY_SERVICE,)
    services: set[str] = set()
    for entry in statement.actions.exact:
        services.add(entry.split(":", 1)[0])
    for pattern in statement.actions.patterns:
        prefix = pattern.pattern.split(":", 1)[0]
        if not re.fullmatch(r"[a-z0-9\-]+", prefix.replace("\\-", "-")):
            return (_ANY_SERVICE,)
        services.add(prefix.replace("\\-", "-"))
    return tuple(sorted(services))


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy compiled for one layer, its statements indexed by service prefix.

    Reuse it across requests: compiling is the costly part, a lookup per request is a dict access.
    """

    policy: Policy
    layer: str
    statements: tuple[CompiledStatement, ...]
    _by_service: dict[str, tuple[CompiledStatement, ...]] = field(repr=False, compare=False)
    _any_service: tuple[CompiledStatement, ...] = field(repr=False, compare=False)

    @classmethod
    def compile(cls, policy: Policy, layer: str) -> CompiledPolicy:
        """Compile ``policy`` for ``layer`` (identity, resource, permissions_boundary, session, scp, rcp)."""
        statements = tuple(CompiledStatement.compile(s, policy, layer) for s in policy.statements)
        buckets: dict[str, list[tuple[int, CompiledStatement]]] = {}
        anywhere: list[tuple[int, CompiledStatement]] = []
        for position, statement in enumerate(statements):
            for service in _services_of(statement):
                if service == _ANY_SERVICE:
                    anywhere.append((position, statement))
                else:
                    buckets.setdefault(service, []).append((position, statement))
        by_service = {
            service: tuple(s for _, s in sorted(items + anywhere, key=lambda pair: pair[0]))
            for service, items in buckets.items()
        }
        return cls(policy, layer, statements, by_service, tuple(s for _, s in anywhere))

    @property
    def name(self) -> str:
        """The policy's name in explanations."""
        return self.policy.name

    def candidates(self, service: str) -> tuple[CompiledStatement, ...]:
        """Statements that may apply to an action of ``service`` (lower-cased prefix), in policy order."""
        return self._by_service.get(service, self._any_service)


__all__ = ["ActionMatcher", "CompiledPolicy", "CompiledStatement"]
