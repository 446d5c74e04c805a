"""Approval rule content (format version 2018-11-08): parsing, destination references, pool members, evaluation.

A rule's content is a JSON document::

    {"Version": "2018-11-08",
     "DestinationReferences": ["refs/heads/main"],          # templates only; absent: every destination
     "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 2,
                     "ApprovalPoolMembers": ["arn:aws:sts::123456789012:assumed-role/Approver/*"]}]}

How pool members match approvers, as the CodeCommit API reference describes it (CreatePullRequestApprovalRule,
``approvalRuleContent``):

* ``CodeCommitApprovers:ACCOUNT:NAME`` counts an IAM user named NAME (``arn:aws:iam::ACCOUNT:user/NAME``, with any
  path) and a federated user named NAME (``arn:aws:sts::ACCOUNT:federated-user/NAME``). It does *not* count a role
  session whose session name is NAME (``assumed-role/ROLE/NAME``) unless NAME carries a wildcard (``*NAME``): the
  pattern is then also matched against the whole resource part of the caller's ARN.
* A fully qualified ARN (wildcards ``*`` and ``?`` allowed) counts the callers whose ARN it matches; sessions of a
  role are named with ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/*``.
* A statement without pool members counts any approver.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from harness.source.errors import CodeCommitError

CONTENT_VERSION = "2018-11-08"
CODECOMMIT_APPROVERS = "CodeCommitApprovers"


@lru_cache(maxsize=512)
def _glob(pattern: str) -> re.Pattern[str]:
    """A case-sensitive regular expression for an IAM-style pattern (``*`` any run, ``?`` one character).

    Cached because patterns are immutable strings compared against every approval of every evaluation.
    """
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z", re.S)


@dataclass(frozen=True, slots=True)
class PoolMember:
    """One entry of ``ApprovalPoolMembers``: a ``CodeCommitApprovers:ACCOUNT:NAME`` form or an ARN pattern."""

    text: str

    def __post_init__(self) -> None:
        if self.text.startswith(CODECOMMIT_APPROVERS + ":"):
            parts = self.text.split(":", 2)
            if len(parts) != 3 or not parts[1] or not parts[2]:
                raise ValueError(f"'{CODECOMMIT_APPROVERS}:ACCOUNT:NAME', found {self.text!r}")
        elif not self.text.startswith("arn:"):
            raise ValueError(f"an ARN or '{CODECOMMIT_APPROVERS}:ACCOUNT:NAME', found {self.text!r}")

    def matches(self, caller_arn: str) -> bool:
        """Tell whether an approval by ``caller_arn`` counts for this member."""
        if not self.text.startswith(CODECOMMIT_APPROVERS + ":"):
            return _glob(self.text).match(caller_arn) is not None
        _, account, name = self.text.split(":", 2)
        parts = caller_arn.split(":", 5)
        if len(parts) != 6 or parts[4] != account:
            return False
        resource = parts[5]
        kind, _, rest = resource.partition("/")
        pattern = _glob(name)
        if kind == "user" and pattern.match(rest.rsplit("/", 1)[-1]):
            return True
        if kind == "federated-user" and pattern.match(rest):
            return True
        # Only a pattern with a wildcard reaches role sessions: it is matched against the whole resource part.
        return ("*" in name or "?" in name) and pattern.match(resource) is not None


@dataclass(frozen=True, slots=True)
class Statement:
    """One ``Approvers`` statement: how many approvals are needed and from whom."""

    needed: int
    pool: tuple[PoolMember, ...] = ()

    def __post_init__(self) -> None:
        if self.needed < 1:
            raise ValueError(f"NumberOfApprovalsNeeded of at least 1, found {self.needed}")

    def counts(self, caller_arn: str) -> bool:
        """Tell whether an approval by ``caller_arn`` counts toward this statement."""
        return not self.pool or any(member.matches(caller_arn) for member in self.pool)

    def counted(self, approvers: Iterable[str]) -> tuple[str, ...]:
        """The approvers (sorted, distinct) whose approval counts."""
        return tuple(sorted({a for a in approvers if self.counts(a)}))

    def satisfied_by(self, approvers: Iterable[str]) -> bool:
        """True when enough approvers from the pool approved."""
        return len(self.counted(approvers)) >= self.needed


@dataclass(frozen=True, slots=True)
class RuleContent:
    """Parsed approval rule content.

    Attributes:
        statements: the Approvers statements; a rule is satisfied when every statement is.
        destination_references: the branches a template applies to (``refs/heads/main``); empty: all branches.
        text: the content as given (what the API returns and hashes).
    """

    statements: tuple[Statement, ...]
    destination_references: tuple[str, ...] = ()
    text: str = ""

    @property
    def sha256(self) -> str:
        """``ruleContentSha256``: the SHA-256 of the content text."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def applies_to(self, destination_reference: str) -> bool:
        """Tell whether a template with this content creates a rule on a pull request into ``destination_reference``."""
        return not self.destination_references or full_reference(destination_reference) in self.destination_references

    def satisfied_by(self, approvers: Iterable[str]) -> bool:
        """True when every statement is satisfied by the approvals of ``approvers``."""
        given = tuple(approvers)
        return all(statement.satisfied_by(given) for statement in self.statements)


def full_reference(branch: str) -> str:
    """``main`` → ``refs/heads/main``; a full reference is returned as is."""
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def branch_name(reference: str) -> str:
    """``refs/heads/main`` → ``main``; a bare branch name is returned as is."""
    return reference.removeprefix("refs/heads/")


def parse_content(text: str, *, template: bool, error_code: str | None = None) -> RuleContent:
    """Parse and validate approval rule (or template) content.

    Args:
        text: the JSON content.
        template: True for template content (``DestinationReferences`` allowed).
        error_code: the error to raise (default: InvalidApprovalRuleTemplateContentException for templates,
            InvalidApprovalRuleContentException for rules).

    Returns:
        The parsed content, keeping ``text``.

    Raises:
        CodeCommitError: naming what is wrong with the content.
    """
    code = error_code or (
        "InvalidApprovalRuleTemplateContentException" if template else "InvalidApprovalRuleContentException"
    )
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise CodeCommitError(code, f"The content is not valid JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise CodeCommitError(code, "The content must be a JSON object with Version and Statements.")
    try:
        return _content(document, text, template)
    except (ValueError, TypeError, KeyError) as exc:
        raise CodeCommitError(code, f"The content is not valid: expected {exc}.") from None


def _content(document: Mapping[str, Any], text: str, template: bool) -> RuleContent:
    if document.get("Version") != CONTENT_VERSION:
        raise ValueError(f"Version {CONTENT_VERSION!r}, found {document.get('Version')!r}")
    unknown = set(document) - {"Version", "Statements", "DestinationReferences"}
    if unknown or (not template and "DestinationReferences" in document):
        extra = sorted(unknown) or ["DestinationReferences"]
        raise ValueError(f"only Version, Statements{', DestinationReferences' if template else ''}, found {extra}")
    raw_statements = document.get("Statements")
    if not isinstance(raw_statements, list) or not raw_statements:
        raise ValueError("a non-empty Statements list")
    statements = tuple(_statement(s) for s in raw_statements)
    references = document.get("DestinationReferences", [])
    if not isinstance(references, list) or not all(isinstance(r, str) and r.startswith("refs/") for r in references):
        raise ValueError(f"DestinationReferences as a list of full references (refs/heads/main), found {references!r}")
    return RuleContent(statements, tuple(references), text)


def _statement(raw: Any) -> Statement:
    if not isinstance(raw, Mapping) or raw.get("Type") != "Approvers":
        raise ValueError(f"statements of Type 'Approvers', found {raw!r}")
    needed = raw.get("NumberOfApprovalsNeeded")
    if not isinstance(needed, int) or isinstance(needed, bool):
        raise ValueError(f"an integer NumberOfApprovalsNeeded, found {needed!r}")
    members = raw.get("ApprovalPoolMembers", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise ValueError(f"ApprovalPoolMembers as a list of strings, found {members!r}")
    return Statement(needed, tuple(PoolMember(m) for m in members))


def content_text(needed: int, pool: Sequence[str] = (), destination_references: Sequence[str] = ()) -> str:
    """Approval rule content with one Approvers statement, as JSON text (template content with references)."""
    statement: dict[str, Any] = {"Type": "Approvers", "NumberOfApprovalsNeeded": needed}
    if pool:
        statement["ApprovalPoolMembers"] = list(pool)
    document: dict[str, Any] = {"Version": CONTENT_VERSION}
    if destination_references:
        document["DestinationReferences"] = [full_reference(r) for r in destination_references]
    document["Statements"] = [statement]
    return json.dumps(document)


__all__ = [
    "CONTENT_VERSION",
    "PoolMember",
    "RuleContent",
    "Statement",
    "branch_name",
    "content_text",
    "full_reference",
    "parse_content",
]
