"""Checks over reachability answers: a wrong answer fails the check, an undecided one is Unverified."""

from __future__ import annotations

from collections.abc import Iterable

from harness.errors import CheckFailed, Unverified
from harness.network.analysis import Reachability, Verdict


def _fields(result: Reachability) -> dict[str, object]:
    return {
        "source": result.source,
        "destination": result.destination,
        "protocol": result.protocol,
        "port": result.port,
        "verdict": result.verdict.value,
        "blocked_by": result.blocked_by,
        "hops": result.hops,
    }


def expect_blocked(result: Reachability) -> Reachability:
    """Pass when the traffic is blocked.

    Raises:
        CheckFailed: a path exists (the message names it hop by hop).
        Unverified: the model cannot decide (the reason says why); the scenario must not pass.
    """
    if result.verdict is Verdict.BLOCKED:
        return result
    if result.verdict is Verdict.UNVERIFIED:
        raise Unverified(result.explanation, **_fields(result))
    raise CheckFailed(f"expected no path, found one: {result.explanation}", **_fields(result))


def expect_reachable(result: Reachability) -> Reachability:
    """Pass when the traffic gets through.

    Raises:
        CheckFailed: it is blocked (the message names the component and rule).
        Unverified: the model cannot decide.
    """
    if result.verdict is Verdict.REACHABLE:
        return result
    if result.verdict is Verdict.UNVERIFIED:
        raise Unverified(result.explanation, **_fields(result))
    raise CheckFailed(f"expected a path, found none: {result.explanation}", **_fields(result))


def expect_all_blocked(results: Iterable[Reachability]) -> tuple[Reachability, ...]:
    """Pass when every answer is BLOCKED; otherwise report every path found, then every undecided answer.

    Raises:
        CheckFailed: at least one path exists (all of them are listed).
        Unverified: no path was found but some answers are undecided.
    """
    answers = tuple(results)
    paths = [r for r in answers if r.verdict is Verdict.REACHABLE]
    if paths:
        listed = "; ".join(r.explanation for r in paths)
        raise CheckFailed(f"expected no path, found {len(paths)} of {len(answers)}: {listed}", paths=paths)
    undecided = [r for r in answers if r.verdict is Verdict.UNVERIFIED]
    if undecided:
        listed = "; ".join(r.explanation for r in undecided)
        raise Unverified(f"{len(undecided)} of {len(answers)} undecided: {listed}", undecided=undecided)
    return answers
