"""Expectations for the real-world corpus: the file format, pipewarden's reported outcomes, and how they compare.

An expectation file (``tests/corpus/<format>-<case>.yaml``) records an engineer's verdict on every packaged
scenario for one case of the corpus: PASS, FAIL, UNVERIFIED or ABSENT, with the words a FAIL or UNVERIFIED message
must contain, and, where pipewarden does not give that verdict yet, its current status (``today``) and why
(``gap``). :func:`compare` checks one ``pipewarden check`` run against it and returns every mismatch at once.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

VERDICTS = ("PASS", "FAIL", "UNVERIFIED", "ABSENT")
FORMATS = ("cloudformation", "terraform")
UNVERIFIED_PREFIX = "UNVERIFIED:"
# How a junit.xml message attribute cut short says so (the whole report is the element's text).
TRUNCATED = "[truncated; full report in element text]"
_TOP_KEYS = {"case", "check", "parameters", "summary", "scenarios", "exit"}
_SCENARIO_KEYS = {"expect", "why", "reason", "today", "gap"}
_CASE = "(case)"  # the row of a run that produced no scenarios at all
_SCENARIO = re.compile(r"^\s*Scenario(?: Outline)?:\s*(?P<title>.+?)\s*$")


def normalise(title: str) -> str:
    """A scenario title as both reports can be matched on: lowercase letters and digits only.

    junit.xml names a scenario by its test function (``test_the_build_roles_...``) and the progress lines drop
    punctuation, so ``The build role's policy`` and ``test_the_build_roles_policy`` must meet in the middle.
    """
    text = title.strip()
    text = text.removeprefix("test_")
    return "".join(c for c in text.lower() if c.isalnum())


def _words(text: str) -> str:
    """Text as reason words are looked for in it: lowercase, and hyphens, underscores and runs of blanks alike."""
    return re.sub(r"[\s_-]+", " ", text.lower())


class ExpectationError(Exception):
    """An expectation file that cannot be read: names the file, the key, what was expected and what was found."""

    def __init__(self, path: Path | str, key: str, expected: str, found: str, fix: str) -> None:
        self.path = str(path)
        self.key = key
        self.expected = expected
        self.found = found
        self.fix = fix
        super().__init__(f"{self.path}: key '{key}': expected {expected}, found {found}; {fix}")


@dataclass(frozen=True, slots=True)
class ScenarioExpectation:
    """The engineer's verdict on one scenario.

    Attributes:
        title: the scenario's exact title in the feature files.
        expect: PASS, FAIL, UNVERIFIED or ABSENT.
        why: one sentence a reviewer would sign.
        reason: words pipewarden's FAIL or UNVERIFIED message must contain (case-insensitive).
        today: pipewarden's current status where it differs from ``expect`` (a known gap), else None.
        gap: with ``today``: why pipewarden differs, in product terms.
    """

    title: str
    expect: str
    why: str
    reason: tuple[str, ...] = ()
    today: str | None = None
    gap: str | None = None


@dataclass(frozen=True, slots=True)
class CaseExpectation:
    """One expectation file.

    Attributes:
        path: the file.
        case: the case folder under the corpus root (``cloudformation/xacct-pipeline``).
        check: the files given to ``pipewarden check``, in order, relative to the case folder.
        parameters: the parameter file passed as ``--parameters`` (in the case folder), or None.
        summary: what the pipeline is and the engineer's overall judgement.
        scenarios: every scenario of the packaged suite, by title, in file order.
        exit: the exit code ``pipewarden check`` must end with (0 or 1), or None when not checked.
    """

    path: Path
    case: str
    check: tuple[str, ...]
    summary: str
    scenarios: Mapping[str, ScenarioExpectation]
    parameters: str | None = None
    exit: int | None = None

    @property
    def name(self) -> str:
        """The file's name without ``.yaml`` (``cloudformation-xacct-pipeline``)."""
        return self.path.stem


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping key written twice (PyYAML would silently keep the last one)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"found the key {key!r} twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _text(path: Path, key: str, value: Any, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ExpectationError(path, key, "a non-empty string", repr(value), f"write '{key}' as text")
    return value.strip()


def _verdict(path: Path, key: str, value: Any) -> str:
    if value not in VERDICTS:
        raise ExpectationError(path, key, f"one of {', '.join(VERDICTS)}", repr(value), "use one of those words")
    return str(value)


def _scenario(path: Path, title: Any, body: Any) -> ScenarioExpectation:
    where = f"scenarios.{title}"
    if not isinstance(title, str) or not title.strip():
        raise ExpectationError(path, "scenarios", "scenario titles as keys", repr(title), "key each entry by title")
    if not isinstance(body, dict):
        raise ExpectationError(
            path, where, "a mapping with 'expect' and 'why'", repr(body), "write the verdict as 'expect:' and 'why:'"
        )
    unknown = sorted(set(body) - _SCENARIO_KEYS)
    if unknown:
        raise ExpectationError(
            path,
            f"{where}.{unknown[0]}",
            f"only {', '.join(sorted(_SCENARIO_KEYS))}",
            repr(unknown[0]),
            "remove or rename the key",
        )
    expect = _verdict(path, f"{where}.expect", body.get("expect"))
    why = _text(path, f"{where}.why", body.get("why"))
    assert why is not None
    raw_reason = body.get("reason", [])
    if not isinstance(raw_reason, list) or not all(isinstance(w, str) and w.strip() for w in raw_reason):
        raise ExpectationError(
            path, f"{where}.reason", "a list of words", repr(raw_reason), "write it as [word, 'two words']"
        )
    reason = tuple(w.strip() for w in raw_reason)
    if reason and expect not in ("FAIL", "UNVERIFIED"):
        raise ExpectationError(
            path,
            f"{where}.reason",
            "reason words only with expect FAIL or UNVERIFIED",
            f"expect {expect}",
            "remove 'reason' (a PASS or ABSENT has no message to check)",
        )
    today = None if body.get("today") is None else _verdict(path, f"{where}.today", body.get("today"))
    gap = _text(path, f"{where}.gap", body.get("gap"), required=False)
    if today is not None and today == expect and not reason:
        # The same status is a gap only in its reason: a FAIL or UNVERIFIED today that does not name the cause.
        raise ExpectationError(
            path,
            f"{where}.today",
            f"a status other than expect ({expect}), or the same with 'reason' words it does not name yet",
            repr(today),
            "remove 'today' and 'gap': pipewarden already gives the expected verdict",
        )
    if (today is None) != (gap is None):
        missing = "gap" if gap is None else "today"
        raise ExpectationError(
            path,
            f"{where}.{missing}",
            "'today' and 'gap' together",
            "only one of them",
            f"add '{missing}' or remove the other",
        )
    return ScenarioExpectation(title.strip(), expect, why, reason, today, gap)


def parse_expectation(text: str, path: Path) -> CaseExpectation:
    """Parse the text of an expectation file.

    Args:
        text: the YAML.
        path: where it comes from (its name must be ``<format>-<case>.yaml`` matching the ``case`` key).

    Returns:
        The expectation.

    Raises:
        ExpectationError: naming the file and the key that is missing, unknown or wrong.
    """
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader that also refuses repeated keys
    except yaml.YAMLError as exc:
        found = " ".join(str(exc).split())
        raise ExpectationError(path, "(document)", "valid YAML", found, "fix the syntax") from None
    if not isinstance(data, dict):
        raise ExpectationError(path, "(document)", "a mapping", type(data).__name__, "start with 'case:'")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ExpectationError(
            path, unknown[0], f"only {', '.join(sorted(_TOP_KEYS))}", repr(unknown[0]), "remove or rename the key"
        )
    for key in ("case", "check", "summary", "scenarios"):
        if key not in data:
            raise ExpectationError(path, key, "the key to be present", "none", f"add '{key}:'")
    case = _text(path, "case", data["case"])
    assert case is not None
    fmt, _, folder = case.partition("/")
    if fmt not in FORMATS or not folder or "/" in folder:
        raise ExpectationError(
            path,
            "case",
            "<format>/<case folder> with format " + " or ".join(FORMATS),
            repr(case),
            "name the folder under the corpus root, e.g. cloudformation/xacct-pipeline",
        )
    if path.stem != f"{fmt}-{folder}":
        raise ExpectationError(
            path,
            "case",
            f"'{path.stem.replace('-', '/', 1)}' (the file is named for its case)",
            repr(case),
            f"rename the file to {fmt}-{folder}.yaml or correct 'case'",
        )
    check = data["check"]
    if not isinstance(check, list) or not check or not all(isinstance(f, str) and f.strip() for f in check):
        raise ExpectationError(
            path, "check", "a non-empty list of file names", repr(check), "list the files given to pipewarden check"
        )
    parameters = _text(path, "parameters", data.get("parameters"), required=False)
    summary = _text(path, "summary", data["summary"])
    assert summary is not None
    exit_code = data.get("exit")
    if exit_code is not None and (isinstance(exit_code, bool) or exit_code not in (0, 1)):
        raise ExpectationError(
            path, "exit", "0 or 1", repr(exit_code), "exit 2 means the case did not load, which is never expected"
        )
    raw = data["scenarios"]
    if not isinstance(raw, dict) or not raw:
        raise ExpectationError(path, "scenarios", "a mapping of scenario titles", repr(raw), "list every scenario")
    scenarios: dict[str, ScenarioExpectation] = {}
    by_key: dict[str, str] = {}
    for title, body in raw.items():
        entry = _scenario(path, title, body)
        key = normalise(entry.title)
        if key in by_key:
            raise ExpectationError(
                path,
                f"scenarios.{entry.title}",
                "titles that differ in more than punctuation",
                f"it matches '{by_key[key]}' too",
                "remove one of them",
            )
        by_key[key] = entry.title
        scenarios[entry.title] = entry
    return CaseExpectation(
        path=path,
        case=case,
        check=tuple(f.strip() for f in check),
        summary=summary,
        scenarios=scenarios,
        parameters=parameters,
        exit=exit_code,
    )


def load_expectation(path: Path) -> CaseExpectation:
    """Read and parse one expectation file (see :func:`parse_expectation`)."""
    return parse_expectation(path.read_text(encoding="utf-8"), path)


def case_folders(corpus: Path) -> list[str]:
    """Every case folder of a corpus, as ``<format>/<case>``, in order."""
    return [
        f"{fmt}/{folder.name}"
        for fmt in FORMATS
        if (corpus / fmt).is_dir()
        for folder in sorted((corpus / fmt).iterdir())
        if folder.is_dir()
    ]


def load_for_corpus(path: Path, corpus: Path) -> CaseExpectation:
    """An expectation file whose case folder, files to check and parameter file are all in the corpus.

    Raises:
        ExpectationError: the file is malformed, or names a folder or file the corpus does not have.
    """
    expectation = load_expectation(path)
    folder = corpus / expectation.case
    if not folder.is_dir():
        raise ExpectationError(
            path,
            "case",
            f"a case folder of the corpus {corpus}",
            repr(expectation.case),
            "name an existing folder, or remove the file if the case left the corpus",
        )
    named = [("check", name) for name in expectation.check]
    named += [("parameters", expectation.parameters)] if expectation.parameters else []
    for key, name in named:
        if not (folder / name).is_file():
            raise ExpectationError(path, key, f"a file in {folder}", repr(name), "name a file of the case folder")
    return expectation


def feature_scenarios(features: Path) -> list[str]:
    """Every scenario title in the ``*.feature`` files of a folder, in file order."""
    titles: list[str] = []
    for path in sorted(features.glob("*.feature")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _SCENARIO.match(line)
            if match:
                titles.append(match.group("title"))
    return titles


# -- what pipewarden reported --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Outcome:
    """One scenario as ``pipewarden check`` reported it.

    Attributes:
        title: its title (from cucumber.json when there, else rebuilt from the junit.xml test name).
        status: PASS, FAIL, UNVERIFIED, SKIP (a skip that is not UNVERIFIED) or ERROR.
        message: the failure, error or skip message ('' for a pass).
    """

    title: str
    status: str
    message: str = ""


def _strip_exception(message: str) -> str:
    """``harness.errors.CheckFailed: pipeline ...`` -> ``pipeline ...`` (junit.xml keeps the exception's class)."""
    return re.sub(r"^[A-Za-z_][\w.]*(?:Error|Failed|Exception): ", "", message.strip())


def read_outcomes(report: Path) -> dict[str, Outcome]:
    """The scenarios a ``--report`` folder holds, by :func:`normalise`-d title.

    Statuses come from ``junit.xml``: a ``failure`` is FAIL, an ``error`` ERROR, a ``skipped`` whose message starts
    with ``UNVERIFIED:`` UNVERIFIED (another skip is SKIP), and nothing at all PASS. Titles come from
    ``cucumber.json`` when it is there (junit.xml only has test function names).
    """
    titles: dict[str, str] = {}
    cucumber = report / "cucumber.json"
    if cucumber.is_file():
        for feature in json.loads(cucumber.read_text(encoding="utf-8") or "[]"):
            for element in feature.get("elements", []):
                titles[normalise(str(element.get("name", "")))] = str(element.get("name", ""))
    junit = report / "junit.xml"
    outcomes: dict[str, Outcome] = {}
    if not junit.is_file():
        return outcomes
    for testcase in ET.parse(junit).getroot().iter("testcase"):
        name = testcase.get("name", "")
        key = normalise(name)
        title = titles.get(key) or name.removeprefix("test_").replace("_", " ")
        failure, error, skipped = (testcase.find(tag) for tag in ("failure", "error", "skipped"))
        if failure is not None:
            status, message = "FAIL", _full_message(failure)
        elif error is not None:
            status, message = "ERROR", _full_message(error)
        elif skipped is not None:
            message = skipped.get("message", "")
            status = "UNVERIFIED" if message.startswith(UNVERIFIED_PREFIX) else "SKIP"
        else:
            status, message = "PASS", ""
        outcomes[key] = Outcome(title, status, _strip_exception(message))
    return outcomes


def _full_message(element: ET.Element) -> str:
    """A failure's message; one cut short in the attribute is completed from the report in the element's text."""
    message = element.get("message", "")
    if TRUNCATED in message:
        message = message.split(TRUNCATED)[0].rstrip().removesuffix("...") + "\n" + (element.text or "")
    return message


@dataclass(frozen=True, slots=True)
class Run:
    """One ``pipewarden check`` of a case: its exit code (None when it timed out), output and scenarios."""

    exit_code: int | None
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    def error(self) -> str:
        """What pipewarden said when it refused the input (the last lines of its error output)."""
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return " ".join(lines[-3:]) if lines else "no error message"


# -- comparing -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Mismatch:
    """One row of a comparison's report: the scenario, what the file expects, what pipewarden gave, its message."""

    scenario: str
    expected: str
    got: str
    message: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every mismatch of one case, and the known gaps (scenarios where pipewarden gave the ``today`` status)."""

    case: str
    mismatches: tuple[Mismatch, ...]
    known_gaps: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when pipewarden gave every expected (or ``today``) status."""
        return not self.mismatches

    def summary_line(self) -> str:
        """One line for the corpus summary: the case, pass or the mismatch count, and the known gaps."""
        count = len(self.mismatches)
        if self.mismatches and self.mismatches[0].scenario == _CASE:
            return f"{self.case}: FAIL, {self.mismatches[0].message}"
        verdict = "pass" if self.ok else f"FAIL ({count} mismatch{'es' if count != 1 else ''})"
        gaps = len(self.known_gaps)
        return f"{self.case}: {verdict}, {gaps} known gap{'s' if gaps != 1 else ''}"

    def table(self) -> str:
        """Every mismatch as a table: scenario, expected, got, message."""
        rows = [("scenario", "expected", "got", "message")]
        rows += [(m.scenario, m.expected, m.got, _one_line(m.message)) for m in self.mismatches]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = []
        for index, row in enumerate(rows):
            lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + " | " + row[3])
            if index == 0:
                lines.append("-+-".join("-" * w for w in widths) + "-+-" + "-" * 7)
        return "\n".join(lines)


def _one_line(message: str, limit: int = 400) -> str:
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _missing_words(words: tuple[str, ...], message: str) -> list[str]:
    haystack = _words(message)
    return [w for w in words if _words(w) not in haystack]


def compare(expectation: CaseExpectation, run: Run) -> Comparison:
    """Compare one run of ``pipewarden check`` with the case's expectation file.

    Every difference is collected: the exit code (2 is always a failure: the case did not load), each scenario's
    status (``today`` makes it a known gap; pipewarden giving ``expect`` instead closes the gap, which must then be
    recorded by removing ``today``; a ``today`` equal to ``expect`` is a gap in the reason only, closed when the
    message names the reason words), the reason words, an ABSENT scenario that ran, a listed scenario that was not
    reported, and a reported scenario the file does not list.

    Returns:
        The comparison, with every mismatch in the order of the file, then the unlisted scenarios.
    """
    name = expectation.name
    if run.exit_code is None:
        return Comparison(name, (Mismatch(_CASE, "a finished run", "timeout", run.error()),), ())
    if run.exit_code == 2:
        expected_exit = "exit 0 or 1" if expectation.exit is None else f"exit {expectation.exit}"
        return Comparison(
            name, (Mismatch(_CASE, expected_exit, "exit 2", f"the case did not load: {run.error()}"),), ()
        )
    mismatches: list[Mismatch] = []
    gaps: list[str] = []
    if expectation.exit is not None and run.exit_code != expectation.exit:
        mismatches.append(Mismatch("(exit code)", f"exit {expectation.exit}", f"exit {run.exit_code}", ""))
    listed: set[str] = set()
    for title, wanted in expectation.scenarios.items():
        key = normalise(title)
        listed.add(key)
        outcome = run.outcomes.get(key)
        got = outcome.status if outcome is not None else "ABSENT"
        message = outcome.message if outcome is not None else ""
        if wanted.today is not None:
            # A gap in the reason only (today == expect) closes when the message names the reason.
            named = not _missing_words(wanted.reason, message)
            closed = got == wanted.expect and (wanted.today != wanted.expect or named)
            if closed:
                mismatches.append(
                    Mismatch(
                        title,
                        f"{wanted.today} (today)",
                        got,
                        f"gap closed: remove 'today' from {expectation.path.name} {title}",
                    )
                )
            elif got == wanted.today:
                gaps.append(title)
            else:
                mismatches.append(Mismatch(title, f"{wanted.expect} (today {wanted.today})", got, message))
            continue
        if got != wanted.expect:
            if wanted.expect == "ABSENT":
                message = f"it tests pipewarden itself and must not run on a user's definition; {message}".rstrip("; ")
            elif got == "ABSENT":
                message = "pipewarden did not report this scenario"
            mismatches.append(Mismatch(title, wanted.expect, got, message))
            continue
        missing = _missing_words(wanted.reason, message)
        if missing:
            mismatches.append(
                Mismatch(title, f"{wanted.expect} naming {', '.join(missing)}", got, message or "(no message)")
            )
    for note in unmodelled_listed_types(run.stdout):
        mismatches.append(Mismatch("(notes)", "every type a pipeline is made of modelled", "not modelled", note))
    for key, outcome in run.outcomes.items():
        if key not in listed:
            mismatches.append(
                Mismatch(
                    outcome.title, "(not listed)", outcome.status, f"the suite grew: add it to {expectation.path.name}"
                )
            )
    return Comparison(name, tuple(mismatches), tuple(gaps))


# The types real pipelines are made of, which must never be left out as "not modelled" (their CloudFormation and
# Terraform names).
PIPELINE_TYPES = frozenset(
    {
        "AWS::IAM::User",
        "aws_iam_user",
        "AWS::IAM::Group",
        "aws_iam_group",
        "AWS::IAM::UserToGroupAddition",
        "aws_iam_group_membership",
        "aws_iam_user_group_membership",
        "AWS::IAM::ManagedPolicy",
        "aws_iam_policy",
        "aws_iam_policy_attachment",
        "aws_iam_role_policy_attachment",
        "aws_iam_user_policy_attachment",
        "aws_iam_group_policy_attachment",
        "aws_iam_user_policy",
        "aws_iam_group_policy",
        "AWS::IAM::InstanceProfile",
        "aws_iam_instance_profile",
        "AWS::IAM::OIDCProvider",
        "aws_iam_openid_connect_provider",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_notification",
        "AWS::RDS::DBInstance",
        "aws_db_instance",
        "AWS::RDS::DBCluster",
        "aws_rds_cluster",
        "AWS::RDS::DBSubnetGroup",
        "aws_db_subnet_group",
        "AWS::CodeStarConnections::Connection",
        "AWS::CodeConnections::Connection",
        "aws_codestarconnections_connection",
        "aws_codeconnections_connection",
        "AWS::ECR::Repository",
        "aws_ecr_repository",
        "aws_ecr_repository_policy",
        "AWS::Lambda::Function",
        "aws_lambda_function",
        "AWS::Lambda::Permission",
        "aws_lambda_permission",
        "AWS::SSM::Parameter",
        "aws_ssm_parameter",
        "AWS::Events::Rule",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "AWS::SecurityHub::Hub",
        "aws_securityhub_account",
        "AWS::CodeBuild::ReportGroup",
        "aws_codebuild_report_group",
    }
)

_UNMODELLED = re.compile(r"^note: .*\((?P<type>[A-Za-z0-9_:]+)\): resource type not modelled", re.MULTILINE)


def unmodelled_listed_types(stdout: str) -> list[str]:
    """The notes of a run that leave out a type of ``PIPELINE_TYPES`` as not modelled."""
    return [
        m.group(0).removeprefix("note: ") for m in _UNMODELLED.finditer(stdout) if m.group("type") in PIPELINE_TYPES
    ]
