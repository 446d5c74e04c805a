"""Detection scenarios: drive real behaviour through the deployed chain (trail, filters, alarms, topics) and check it.

Which alarm guards what is found from behaviour, not from names: the records a scenario caused are delivered to
the audit log groups, the deployed metric filters that matched them name the metrics, and the alarms on those
metrics are the ones that must (or must not) go off. So the checks work on any definition, whatever its names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.detect.monitoring import EVENTS_SERVICE, DetectionRuntime, TargetDelivery, TargetStarter
from harness.detect.vended import service_metric_alarm_applies
from harness.errors import BESIDE, CheckFailed, Unverified, absent

if TYPE_CHECKING:
    from harness.acceptance import Deployment

_EXTRA = "detection"
_FIRED = "detection.fired"
_LAST = "detection.last"
_PREVENTED = "detection.prevented"
_WATCHED = "detection.watched"

# What each kind of detection watches for, as CloudTrail records show it (CIS AWS Foundations 4.x filters).
_IAM_POLICY_CHANGES = frozenset(
    {
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy", "SetDefaultPolicyVersion", "PutRolePermissionsBoundary", "UpdateAssumeRolePolicy",
    }
)  # fmt: skip
_PIPELINE_CHANGES = frozenset(
    {"CreatePipeline", "UpdatePipeline", "DeletePipeline", "CreateProject", "UpdateProject", "DeleteProject"}
)

# CloudTrail configuration changes (CIS AWS Foundations' metric filter for them watches exactly these).
_TRAIL_CHANGES = frozenset({"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"})


def _unauthorized(record: Mapping[str, Any]) -> bool:
    code = str(record.get("errorCode") or "")
    return code.startswith("AccessDenied") or code.endswith("UnauthorizedOperation")


def _iam_policy_change(record: Mapping[str, Any]) -> bool:
    return record.get("eventSource") == "iam.amazonaws.com" and record.get("eventName") in _IAM_POLICY_CHANGES


def _pipeline_change(record: Mapping[str, Any]) -> bool:
    return (
        record.get("eventSource") in ("codepipeline.amazonaws.com", "codebuild.amazonaws.com")
        and record.get("eventName") in _PIPELINE_CHANGES
        and not record.get("errorCode")
    )


def _trail_change(record: Mapping[str, Any]) -> bool:
    return record.get("eventSource") == "cloudtrail.amazonaws.com" and record.get("eventName") in _TRAIL_CHANGES


@dataclass(frozen=True, slots=True)
class Watch:
    """A kind of behaviour detection must notice, with the filter that commonly catches it (for the fix).

    ``source`` says where its records come from: ``trail`` (CloudTrail records delivered to the audit log groups)
    or ``events`` (EventBridge events the services emit). ``service_metrics`` are metrics AWS itself publishes for
    that behaviour (``AWS/CodeBuild`` ``Builds``), which an alarm may watch directly.
    """

    name: str
    matches: Callable[[Mapping[str, Any]], bool]
    example: str
    source: str = "trail"
    service_metrics: frozenset[tuple[str, str]] = frozenset()


def _build_state(status: str) -> Callable[[Mapping[str, Any]], bool]:
    def matches(event: Mapping[str, Any]) -> bool:
        detail = event.get("detail") or {}
        return (
            event.get("detail-type") == "CodeBuild Build State Change"
            and isinstance(detail, Mapping)
            and detail.get("build-status") == status
        )

    return matches


WATCHES: dict[str, Watch] = {
    "unauthorized calls": Watch(
        "unauthorized calls",
        _unauthorized,
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    ),
    "IAM policy changes": Watch(
        "IAM policy changes",
        _iam_policy_change,
        "{ ($.eventSource = iam.amazonaws.com) && (($.eventName = PutRolePolicy) || ($.eventName = AttachRolePolicy)"
        " || ...) }",
    ),
    "build volume": Watch(
        "build volume",
        _build_state("IN_PROGRESS"),
        "an alarm on AWS/CodeBuild Builds (dimension ProjectName) with a threshold above the usual build rate",
        source="events",
        service_metrics=frozenset({("AWS/CodeBuild", "Builds")}),
    ),
    "build timeouts": Watch(
        "build timeouts",
        _build_state("TIMED_OUT"),
        "an EventBridge rule on CodeBuild Build State Change with build-status TIMED_OUT sent to a log group, a "
        'metric filter { $.detail.build-status = "TIMED_OUT" } and an alarm on it',
        source="events",
        service_metrics=frozenset({("AWS/CodeBuild", "FailedBuilds")}),
    ),
    "pipeline changes": Watch(
        "pipeline changes",
        _pipeline_change,
        '{ ($.eventSource = "codepipeline.amazonaws.com") && (($.eventName = "UpdatePipeline") || '
        '($.eventName = "DeletePipeline")) }',
    ),
    "trail changes": Watch(
        "trail changes",
        _trail_change,
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
        "($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    ),
}


def watch(name: str) -> Watch:
    """The watch called ``name``.

    Raises:
        CheckFailed: for an unknown name, listing the known ones.
    """
    found = WATCHES.get(name)
    if found is None:
        raise CheckFailed(f"detection: expected one of {', '.join(WATCHES)}, found {name!r}; use a listed kind")
    return found


def detection_of(deployment: Deployment) -> DetectionRuntime:
    """The deployment's detection runtime, watching every log write from now on (created on first use).

    It shares the audit trail's clock, so advancing one advances both.
    """
    found = deployment.extras.get(_EXTRA)
    if isinstance(found, DetectionRuntime):
        return found
    from harness.runtime.state import runtime as build_runtime

    runtime = DetectionRuntime(deployment.backend, clock=deployment.trail.clock, starter=_starter(deployment))
    deployment.backend.add_observer(runtime)
    deployment.cleanups.append(lambda: deployment.backend.remove_observer(runtime))
    # Events the services emit (build and pipeline state changes) go through the deployed EventBridge rules.
    build_runtime(deployment).listeners.append(runtime.on_event)
    deployment.extras[_EXTRA] = runtime
    # The trails logging when watching began: a trail stopped during the scenario still delivers what it
    # recorded before it stopped (its StopLogging call among it), and that is what the scenario is about.
    deployment.extras[_WATCHED] = audit_log_groups(deployment)
    return runtime


def _starter(deployment: Deployment) -> TargetStarter:
    """Deliver events to pipelines and build projects as EventBridge does: assume the target's role as
    ``events.amazonaws.com`` (its trust policy decides), then start the pipeline through the runtime with that
    session, or decide ``codebuild:StartBuild`` for it."""
    from harness.errors import PipewardenError
    from harness.runtime.authorize import authorize
    from harness.runtime.identity import service_session
    from harness.runtime.pipeline import ActionDenied, start_pipeline_execution
    from harness.runtime.state import runtime as build_runtime

    starting: set[str] = set()

    def start(rule: str, kind: str, arn: str, role: str, event: Mapping[str, Any]) -> TargetDelivery:
        if arn in starting:
            # The target's own events match the rule again: in AWS this loops; here it is reported, not repeated.
            return TargetDelivery(rule, arn, kind, False, f"rule {rule} would start {arn} again from its own events")
        try:
            backend = deployment.backend
            rule_arn = f"arn:aws:events:{backend.region}:{backend.account_id}:rule/{rule}"
            identity = service_session(
                deployment, role, f"events-{rule}"[:64], f"rule {rule}", EVENTS_SERVICE, source_arn=rule_arn
            )
        except CheckFailed as exc:
            return TargetDelivery(rule, arn, kind, False, f"EventBridge cannot assume {role}: {exc}")
        name = arn.split(":", 5)[5].removeprefix("project/")
        if kind == "build_project":
            denial = authorize(
                deployment, identity, "codebuild", "StartBuild", {"projectName": name},
                action="codebuild:StartBuild", resource=arn,
            )  # fmt: skip
            if denial is not None:
                return TargetDelivery(rule, arn, kind, False, f"{denial.code}: {denial.message}")
            return TargetDelivery(rule, arn, kind, True, "the build is authorized; it is not run outside its pipeline")
        executions = build_runtime(deployment).executions
        before = set(executions)
        starting.add(arn)
        try:
            execution = start_pipeline_execution(deployment, name, identity)
        except ActionDenied as exc:
            return TargetDelivery(rule, arn, kind, False, str(exc))
        except PipewardenError as exc:
            started = [i for i in executions if i not in before]
            if not started:
                return TargetDelivery(rule, arn, kind, False, str(exc))
            # Started, but its run could not be followed to the end (an action pipewarden does not run).
            return TargetDelivery(rule, arn, kind, True, f"started; its run is unverified: {exc}", started[-1])
        finally:
            starting.discard(arn)
        return TargetDelivery(rule, arn, kind, True, started=execution.id)

    return start


def announce_source_change(
    deployment: Deployment, repository: str, branch: str, commit_id: str, caller: str = ""
) -> list[TargetDelivery]:
    """Emit the event CodeCommit emits when a branch moves (``CodeCommit Repository State Change``) and route it
    through the deployed EventBridge rules, as a push would.

    Args:
        deployment: the deployment whose rules see the event.
        repository: the repository's physical name.
        branch: the branch that moved; commit_id: its new tip.
        caller: who pushed (an ARN), for the event's ``callerUserArn``.

    Returns:
        What the rules did at pipeline, build and function targets (topics and log groups are in the runtime's
        notifications and log groups).
    """
    from harness.runtime.build import emit_event

    runtime = detection_of(deployment)
    before = len(runtime.deliveries)
    backend = deployment.backend
    arn = f"arn:aws:codecommit:{backend.region}:{backend.account_id}:{repository}"
    detail = {
        "callerUserArn": caller or backend.admin.arn,
        "commitId": commit_id,
        "event": "referenceUpdated",
        "referenceFullName": f"refs/heads/{branch}",
        "referenceName": branch,
        "referenceType": "branch",
        "repositoryName": repository,
    }
    emit_event(deployment, "aws.codecommit", "CodeCommit Repository State Change", [arn], detail, backend.account_id)
    return runtime.deliveries[before:]


def audit_log_groups(deployment: Deployment) -> dict[str, str]:
    """Log groups the deployed trails deliver to, by trail name (logging trails only)."""
    trails = deployment.trail.recorder.refresh()
    return {t.name: t.log_group_name for t in trails.values() if t.log_group_name and t.logging}


def _watched_log_groups(deployment: Deployment) -> dict[str, str]:
    """The log groups of the trails logging now or when detection began watching (see :func:`detection_of`)."""
    watched = deployment.extras.get(_WATCHED)
    return {**(watched if isinstance(watched, dict) else {}), **audit_log_groups(deployment)}


def _audit_log_groups(deployment: Deployment) -> dict[str, str]:
    """The log groups the deployed trails deliver to (see :func:`_watched_log_groups`), at least one.

    Raises:
        Unverified: the definition declares no trail (the account's trail often lives in another stack).
        CheckFailed: its trails do not deliver to CloudWatch Logs, or are not logging.
    """
    from harness.provider.resources.cloudtrail import Trail

    groups = _watched_log_groups(deployment)
    if groups:
        return groups
    if not any(deployment.require_definition().of_type(Trail)):
        raise absent(
            _subject(deployment),
            "declares no trail to bring API activity to a log group",
            f"the account's trail often lives in another stack: declare it {BESIDE}",
        )
    raise CheckFailed(
        f"{_subject(deployment)}: expected a logging trail that delivers to CloudWatch Logs, found none; "
        "send the trail to a log group (CloudWatchLogsLogGroupArn) so metric filters can see API activity"
    )


def deliver(deployment: Deployment) -> int:
    """Make the audit trail deliver everything it has recorded; return how many log files it wrote."""
    detection_of(deployment)
    return len(deployment.trail.flush())


def _delivered_records(deployment: Deployment) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for trail in _watched_log_groups(deployment):
        records.extend(deployment.trail.log_group_records(trail))
    return records


@dataclass(frozen=True, slots=True)
class Detection:
    """What the deployed chain did with the records of one kind of behaviour."""

    watch: Watch
    groups: tuple[str, ...]
    records: int
    metrics: frozenset[tuple[str, str]]
    alarms: tuple[str, ...]


def _trace(deployment: Deployment, kind: str) -> Detection:
    wanted = watch(kind)
    if wanted.source == "events":
        return _trace_events(deployment, wanted)
    runtime = detection_of(deployment)
    groups = _audit_log_groups(deployment)
    records = [r for r in _delivered_records(deployment) if wanted.matches(r)]
    if not records:
        raise CheckFailed(
            f"{_subject(deployment)}: expected the audit trail to deliver records of {kind} to "
            f"{', '.join(groups.values())}, found none; check that the trail logs management events"
        )
    texts = {json.dumps(r, sort_keys=True) for r in records}
    metrics = _matched_metrics(runtime, lambda m: m.log_group in groups.values(), texts.__contains__)
    from harness.provider.resources.metric_filter import MetricFilter

    if not metrics and not any(deployment.require_definition().of_type(MetricFilter)):
        raise absent(
            _subject(deployment),
            f"declares no metric filter to count {kind} in {', '.join(groups.values())}",
            f"metric filters often live in the account's monitoring baseline: declare them {BESIDE}",
        )
    if not metrics:
        filters = [
            f"'{f.name}' {f.pattern.text!r}" for group in groups.values() for f in runtime.deployed_filters(group)
        ]
        raise CheckFailed(
            f"{_subject(deployment)}: expected a metric filter on {', '.join(groups.values())} to match the "
            f"{len(records)} record(s) of {kind}, found "
            + (f"none matching among: {'; '.join(filters)}" if filters else "no metric filter at all")
            + f"; add a filter such as {wanted.example}"
        )
    return _with_alarms(deployment, wanted, tuple(groups.values()), len(records), metrics)


def _matched_metrics(
    runtime: DetectionRuntime, in_scope: Callable[[Any], bool], wanted_text: Callable[[str], bool]
) -> set[tuple[str, str]]:
    metrics: set[tuple[str, str]] = set()
    for match in runtime.matches:
        if not in_scope(match) or match.datapoint is None:
            continue
        try:
            record = json.loads(match.message)
        except ValueError:
            continue
        if wanted_text(json.dumps(record, sort_keys=True)):
            metrics.add((match.datapoint.namespace, match.datapoint.name))
    return metrics


def _trace_events(deployment: Deployment, wanted: Watch) -> Detection:
    runtime = detection_of(deployment)
    events = [e for e in runtime.events if wanted.matches(e)]
    if not events:
        raise CheckFailed(
            f"{_subject(deployment)}: expected the pipeline's services to emit events of {wanted.name}, found none; "
            "the scenario's builds did not produce them"
        )
    texts = {json.dumps(e, sort_keys=True, default=str) for e in events}
    metrics = _matched_metrics(runtime, lambda m: True, texts.__contains__)
    # Metrics the service publishes itself (AWS/CodeBuild Builds, FailedBuilds) count as the behaviour's metric,
    # for an alarm on the account or on a project whose builds these were.
    metrics |= set(wanted.service_metrics)
    projects = sorted({str((e.get("detail") or {}).get("project-name", "")) for e in events})
    groups = tuple(sorted({m.log_group for m in runtime.matches}))
    return _with_alarms(deployment, wanted, groups, len(events), metrics, projects)


def _with_alarms(
    deployment: Deployment,
    wanted: Watch,
    groups: tuple[str, ...],
    records: int,
    metrics: set[tuple[str, str]],
    projects: Sequence[str] = (),
) -> Detection:
    from harness.provider.resources.alarm import Alarm

    runtime = detection_of(deployment)
    on_metric = [a for a in runtime.deployed_alarms() if (a.namespace, a.metric_name) in metrics]
    alarms = tuple(a.name for a in on_metric if service_metric_alarm_applies(a.namespace, a.dimensions, projects))
    if not alarms and not any(deployment.require_definition().of_type(Alarm)):
        raise absent(
            _subject(deployment),
            f"declares no alarm to watch {wanted.name}",
            f"alarms often live in the account's monitoring baseline: declare the alarm {BESIDE}",
        )
    if not alarms:
        names = ", ".join(f"{ns}/{name}" for ns, name in sorted(metrics))
        elsewhere = "".join(
            f"; alarm '{a.name}' watches {a.namespace}/{a.metric_name} for "
            + ", ".join(f"{k}={v}" for k, v in sorted(a.dimensions.items()))
            + f", not the builds of {', '.join(projects)}"
            for a in on_metric
        )
        raise CheckFailed(
            f"{_subject(deployment)}: expected an alarm on {names} (the metric of {wanted.name}), found none"
            + elsewhere
            + "; "
            + (
                "create an alarm on it with an SNS action for the security team"
                if wanted.source == "trail"
                else f"add {wanted.example}"
            )
        )
    return Detection(wanted, groups, records, frozenset(metrics), alarms)


def _settle(deployment: Deployment, detection: Detection) -> None:
    """Let the alarms' current period end, so what was counted in it is evaluated."""
    runtime = detection_of(deployment)
    periods = [a.period for a in runtime.deployed_alarms() if a.name in detection.alarms]
    runtime.advance(float(max(periods)))


def expect_alarm(deployment: Deployment, kind: str) -> tuple[str, ...]:
    """An alarm on the metric that ``kind`` feeds goes to ALARM once its period is evaluated.

    When the scenario's change of that kind was refused (see :func:`prevented`), nothing changed and there was
    nothing to detect: the claim holds on the refusal, which is the evidence, whether or not an alarm went off.

    Returns:
        The alarms in ALARM.

    Raises:
        CheckFailed: naming the missing link (trail, log group, filter, alarm) or the alarm's state and reason.
    """
    refused = prevented(deployment, kind)
    try:
        detection = _trace(deployment, kind)
        _settle(deployment, detection)
    except CheckFailed:
        if not refused:
            raise
        return _prevented(deployment, kind, refused)
    runtime = detection_of(deployment)
    fired = tuple(a for a in detection.alarms if runtime.alarm_state(a) == "ALARM")
    if not fired and refused:
        return _prevented(deployment, kind, refused)
    if not fired:
        states = "; ".join(f"'{a}' is {runtime.alarm_state(a)}: {_reason(runtime, a)}" for a in detection.alarms)
        raise CheckFailed(
            f"{_subject(deployment)}: expected an alarm on {kind} to go off after {detection.records} record(s), "
            f"found {states}; lower the threshold or shorten the period"
        )
    deployment.extras.setdefault(_FIRED, {})[kind] = fired
    deployment.extras[_LAST] = kind
    return fired


def _prevented(deployment: Deployment, kind: str, refused: str) -> tuple[str, ...]:
    deployment.evidence.note(f"no alarm on {kind} had to go off: the change was prevented ({refused})")
    deployment.evidence.current().data["prevented"] = refused
    deployment.extras.setdefault(_FIRED, {})[kind] = ()
    deployment.extras[_LAST] = kind
    return ()


def last_kind(deployment: Deployment) -> str:
    """The kind of behaviour the last alarm check was about (what "it" refers to in a scenario).

    Raises:
        CheckFailed: when no alarm has been checked yet.
    """
    kind = deployment.extras.get(_LAST)
    if not isinstance(kind, str):
        raise CheckFailed("detection: expected an alarm check before 'notified of it', found none; reorder the steps")
    return kind


def _reason(runtime: DetectionRuntime, alarm: str) -> str:
    monitor = runtime.monitor(alarm)
    return monitor.reason if monitor is not None else "not evaluated"


def expect_no_alarm(deployment: Deployment, kind: str) -> tuple[str, ...]:
    """Alarms on ``kind`` exist and stay out of ALARM (fails closed when nothing watches ``kind``).

    Returns:
        The alarms that stayed quiet.
    """
    detection = _trace(deployment, kind)
    _settle(deployment, detection)
    runtime = detection_of(deployment)
    fired = [a for a in detection.alarms if runtime.alarm_state(a) == "ALARM"]
    if fired:
        raise CheckFailed(
            f"{_subject(deployment)}: expected no alarm on {kind} after {detection.records} record(s), found "
            f"{', '.join(fired)} in ALARM; the threshold is too low to tell a surge from normal work"
        )
    return detection.alarms


def expect_notified(deployment: Deployment, kind: str) -> list[str]:
    """The alarms that went off for ``kind`` delivered a notification to an SNS topic.

    Returns:
        The topics notified.
    """
    runtime = detection_of(deployment)
    fired = (
        expect_alarm(deployment, kind)
        if not runtime.transitions
        else tuple(t.alarm for t in runtime.transitions if t.new_state.value == "ALARM")
    )
    delivered = [n for n in runtime.notifications if n.delivered and n.message.get("AlarmName") in fired]
    if delivered:
        return sorted({n.topic_arn for n in delivered})
    refused = prevented(deployment, kind)
    if refused:
        deployment.evidence.note(
            f"the security team had nothing to be told of {kind}: the change was prevented ({refused})"
        )
        return []
    failed = [n for n in runtime.notifications if n.message.get("AlarmName") in fired and not n.delivered]
    if failed:
        raise CheckFailed(
            f"{_subject(deployment)}: expected the security team to be notified of {kind}, found the notification "
            f"lost: {failed[0].reason}"
        )
    raise CheckFailed(
        f"{_subject(deployment)}: expected the alarm(s) {', '.join(fired)} to notify an SNS topic, found no alarm "
        "action; add the security team's topic to AlarmActions"
    )


def expect_every_filter_matched(deployment: Deployment) -> None:
    """Every metric filter on the audit log groups matched at least one delivered event.

    A filter that never matches (a typo in a field name, the wrong case of a value) protects no one.
    """
    runtime = detection_of(deployment)
    groups = _audit_log_groups(deployment)
    silent: list[str] = []
    total = 0
    for group in groups.values():
        filters = runtime.deployed_filters(group)
        total += len(filters)
        matched = {m.filter_name for m in runtime.matches if m.log_group == group}
        silent.extend(f"'{f.name}' {f.pattern.text!r}" for f in filters if f.name not in matched)
    if total == 0:
        raise CheckFailed(
            f"{_subject(deployment)}: expected metric filters on {', '.join(groups.values())}, found none; "
            "add the CIS AWS Foundations 4.x filters"
        )
    if silent:
        raise CheckFailed(
            f"{_subject(deployment)}: expected every metric filter on the audit log to match the events it watches "
            f"for, found {len(silent)} that matched nothing: {'; '.join(silent)}; check the field names and values "
            "against a delivered record (patterns are case-sensitive)"
        )


def _subject(deployment: Deployment) -> str:
    definition = deployment.definition
    return f"pipeline '{definition.name}'" if definition else "deployment"


# -- behaviour that detection must notice -----------------------------------------------------------------------
def make_denied_calls(deployment: Deployment, scenario_role: str, count: int) -> None:
    """Have the role playing ``scenario_role`` make ``count`` calls it must not be allowed (IAM user creation).

    Raises:
        CheckFailed: when a call is allowed: then nothing is denied to detect, and the message names the
            statement that allowed it.
    """
    from harness.enforce.api import act_as, attempt, expect_denied

    detection_of(deployment)
    identity = act_as(deployment, scenario_role)
    admin_iam = deployment.backend.client("iam")
    for index in range(count):
        name = f"{deployment.prefix}probe-{index}"
        outcome = attempt(deployment, identity, "iam", "CreateUser", actor=f"{scenario_role} role", UserName=name)
        if not outcome.denied:
            admin_iam.delete_user(UserName=name)
        expect_denied(outcome)


CHANGE_POLICY_NAME = "pipewarden-detection-probe"


def change_role_permissions(deployment: Deployment, scenario_role: str) -> None:
    """An administrator of the account changes the permissions of the role playing ``scenario_role`` through IAM's
    API (an inline policy that allows nothing new), as an intruder or a hurried engineer would.

    The principal is the most capable one the claim allows (see ``harness.trail.tamper.account_administrator``):
    a policy that refuses it (an SCP) is the stronger outcome, recorded with its deciding statement.

    Raises:
        Unverified: when the call fails for another reason than a refusal (the change cannot be tried).
    """
    from harness.scenario import role_physical_name

    detection_of(deployment)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Probe", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}],
    }
    role = role_physical_name(deployment, scenario_role)
    _change_as_administrator(
        deployment,
        "IAM policy changes",
        f"change the permissions of role {role}",
        "iam",
        "PutRolePolicy",
        focus="iam:PutRolePolicy",
        RoleName=role,
        PolicyName=CHANGE_POLICY_NAME,
        PolicyDocument=json.dumps(document),
    )


def change_pipeline(deployment: Deployment) -> None:
    """An administrator of the account updates the pipeline's declaration through CodePipeline's API (unchanged
    content, a real UpdatePipeline), as the most capable principal the claim allows.

    Raises:
        Unverified: when the definition has no pipeline (the claim has no subject), or the call fails for another
            reason than a refusal (the change cannot be tried).
    """
    from harness.provider.resources.codepipeline import Pipeline

    detection_of(deployment)
    definition = deployment.require_definition()
    pipelines = [p for p in definition.of_type(Pipeline)]
    if not pipelines:
        raise absent(f"definition '{definition.name}'", "declares no pipeline to change", f"declare it {BESIDE}")
    name = deployment.provider.ctx.physical_name(pipelines[0])
    with deployment.trail.recorder.suspended():
        declaration = deployment.backend.client("codepipeline").get_pipeline(name=name)["pipeline"]
    _change_as_administrator(
        deployment,
        "pipeline changes",
        f"update pipeline {name}",
        "codepipeline",
        "UpdatePipeline",
        focus="codepipeline:UpdatePipeline",
        pipeline=declaration,
    )


def stop_trail(deployment: Deployment) -> None:
    """An administrator of the account stops the definition's trail through CloudTrail's API (StopLogging), as an
    intruder covering their tracks would, and as the most capable principal the claim allows.

    CloudTrail records the StopLogging call itself before the trail stops, so a metric filter on the trail's log
    group sees it; a policy that refuses it (an SCP) is the stronger outcome, recorded with its deciding statement.

    Raises:
        Unverified: when the definition declares no trail (the claim has no subject), or the call fails for another
            reason than a refusal (the change cannot be tried).
    """
    from harness.trail.audit import trail_name

    detection_of(deployment)
    name = trail_name(deployment)
    _change_as_administrator(
        deployment,
        "trail changes",
        f"stop the logging of trail {name}",
        "cloudtrail",
        "StopLogging",
        focus="cloudtrail:StopLogging",
        Name=name,
    )


def _change_as_administrator(
    deployment: Deployment, kind: str, what: str, service: str, operation: str, *, focus: str, **params: Any
) -> None:
    """Make one change as an administrator of the account, under the enforcer and recorded by the trail.

    A refusal is kept for ``kind``: the change was prevented, which the alarm and notification claims accept as
    the stronger outcome (see :func:`prevented`).
    """
    from harness.enforce.api import attempt
    from harness.trail.tamper import ADMINISTRATOR, account_administrator, explain_refusal

    with account_administrator(deployment) as identity:
        outcome = attempt(deployment, identity, service, operation, actor=ADMINISTRATOR, focus=focus, **params)
    if outcome.denied:
        refused = explain_refusal(deployment, outcome, ADMINISTRATOR, what)
        deployment.extras.setdefault(_PREVENTED, {})[kind] = refused
        deployment.evidence.note(f"change refused: {refused}")
        return
    if outcome.error_code:
        raise Unverified(
            f"{_subject(deployment)}: {ADMINISTRATOR} tried to {what} and {service} answered {outcome.error_code}: "
            f"{outcome.error_message}, which is neither a refusal nor the change; whether it is detected cannot be "
            "tried",
            code=outcome.error_code,
        )
    deployment.evidence.note(f"{ADMINISTRATOR} ({outcome.identity.arn}) did {operation}: {what}")


def prevented(deployment: Deployment, kind: str) -> str:
    """Why the change a scenario made for ``kind`` was refused ('' when it was made or none was tried)."""
    found = deployment.extras.get(_PREVENTED, {})
    return str(found.get(kind, "")) if isinstance(found, dict) else ""


def run_builds(deployment: Deployment, count: int) -> None:
    """Run the pipeline's build project ``count`` times in a row (each a real sandboxed build)."""
    from harness.runtime.scenarios import run_pipeline_build

    detection_of(deployment)
    for _ in range(count):
        run_pipeline_build(deployment)


def hang_builds(deployment: Deployment, count: int) -> None:
    """Run ``count`` builds of the pipeline's project that hang until the project's timeout ends them.

    Build minutes are scaled down (a fiftieth of a second each) so an hour-long timeout takes about a second.

    Raises:
        CheckFailed: when a build was not ended by its timeout (then there is no timeout to detect).
        Unverified: when a build failed before it could hang (the timeout was not exercised).
    """
    from harness.runtime import set_build_clock
    from harness.runtime.scenarios import REAL_SECONDS_PER_MINUTE, pipeline_build_project, run_pipeline_build

    detection_of(deployment)
    limit = pipeline_build_project(deployment).timeout_minutes
    set_build_clock(deployment, _HANGING_SECONDS_PER_MINUTE)
    try:
        for _ in range(count):
            record = run_pipeline_build(deployment, ("sleep 100000",), stop_after_minutes=float(limit) + 1)
            if record.status in ("FAILED", "FAULT") or (record.status != "TIMED_OUT" and record.phase("BUILD") is None):
                # The build ended before its hanging command could run or for a reason of its own (its role
                # cannot log, a secret cannot be fetched): the timeout was never put to the test.
                raise Unverified(
                    f"{_subject(deployment)}: the hanging build could not hang, so its timeout was not exercised: "
                    f"it ended {record.status} ({record.failure() or 'before its build phase'})"
                )
            if record.status != "TIMED_OUT":
                raise CheckFailed(
                    f"{_subject(deployment)}: expected a hanging build to end TIMED_OUT after {limit} minutes, "
                    f"found {record.status}; set timeoutInMinutes on the build project"
                )
    finally:
        set_build_clock(deployment, REAL_SECONDS_PER_MINUTE)


_HANGING_SECONDS_PER_MINUTE = 0.02
