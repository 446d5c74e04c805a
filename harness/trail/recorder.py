"""The recorder: a call observer that writes a CloudTrail record for every call and queues it for its trails."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.backends.base import Backend, CallEvent, Identity
from harness.iam.catalogue import Catalogue
from harness.trail.config import Clock, TrailConfig, read_trails
from harness.trail.records import CallFacts, build_record, is_read_only, is_recorded


class TrailRecorder:
    """Records every call made through a backend's clients, allowed or denied, as CloudTrail would.

    Management events go to the event history (what LookupEvents answers from, whatever the trails). A record
    is queued for a trail when the trail was logging when the call was made and its selectors take the record;
    delivery (:class:`harness.trail.delivery.TrailDelivery`) empties the queues.

    Args:
        backend: where calls are observed and trails are read back from.
        clock: gives each record its eventTime.
        seed: makes event and request ids reproducible.
    """

    def __init__(self, backend: Backend, clock: Clock, *, seed: int | None = None) -> None:
        self.backend = backend
        self.clock = clock
        self.history: list[dict[str, Any]] = []
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self._trails: dict[str, TrailConfig] | None = None
        # Suspension is per thread: the harness's own reads in one thread must not hide calls a build makes
        # in another; the lock keeps queues and the trail cache consistent across threads.
        self._local = threading.local()
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._catalogue = Catalogue()
        self._sessions_seen: set[Identity] = set()

    # -- observing -----------------------------------------------------------------------------------------
    def after_call(self, event: CallEvent) -> None:
        """Record one call (the backend calls this for every call through its clients)."""
        if not self.recording or not is_recorded(event.service, event.operation):
            return
        with self._lock:
            if event.identity.kind == "AssumedRole" and event.identity not in self._sessions_seen:
                self._sessions_seen.add(event.identity)
                issued = self._assume_role_event(event.identity)
                if issued is not None:
                    self._record(issued)
            self._record(event)

    def _record(self, event: CallEvent) -> None:
        record = build_record(event, self._facts(event), self._catalogue)
        if record["managementEvent"]:
            self.history.append(record)
        before = self.trails()
        after = before
        if event.service == "cloudtrail" and not event.error_code and not is_read_only("cloudtrail", event.operation):
            # A trail created, started, stopped or reconfigured: what logs from now on has changed. The call that
            # changes it is itself recorded by trails logging before or after it (StopLogging is recorded).
            after = self.refresh()
        targets = {
            arn: trail
            for arn, trail in {**before, **after}.items()
            if (before.get(arn) or trail).logging or trail.logging
        }
        for arn, trail in targets.items():
            if trail.selects(record):
                self.pending.setdefault(arn, []).append(record)

    def _assume_role_event(self, session: Identity) -> CallEvent | None:
        """The AssumeRole call behind a session the harness issued itself, as STS would have recorded it.

        Enforcement issues role sessions without calling the emulator's STS (``assumed_by`` names the caller);
        CloudTrail has a record of every AssumeRole, so one is written when the session is first seen.
        """
        caller_arn = session.attribute("assumed_by")
        issuer = session.attribute("session_issuer_arn")
        if not caller_arn or not issuer:
            return None
        invoked_by = session.attribute("invoked_by")
        if invoked_by:
            caller = Identity(invoked_by, invoked_by, kind="AWSService", source_ip=invoked_by)
        elif caller_arn == self.backend.admin.arn:
            caller = self.backend.admin
        else:
            kind = (
                "AssumedRole" if ":assumed-role/" in caller_arn else "IAMUser" if ":user/" in caller_arn else "Unknown"
            )
            caller = Identity(caller_arn, caller_arn, kind=kind, account_id=self.backend.account_id)
        session_name = session.arn.rsplit("/", 1)[-1]
        return CallEvent(
            caller,
            "sts",
            "AssumeRole",
            {"RoleArn": issuer, "RoleSessionName": session_name},
            response={
                "Credentials": {"AccessKeyId": session.credentials.access_key_id},
                "AssumedRoleUser": {"AssumedRoleId": session.principal_id, "Arn": session.arn},
            },
        )

    def _facts(self, event: CallEvent) -> CallFacts:
        metadata = (event.response or {}).get("ResponseMetadata", {}) if event.response else {}
        request_id = str(metadata.get("RequestId") or "") or self._id(upper=event.service == "s3")
        return CallFacts(
            when=self.clock.now(),
            region=self.backend.region,
            account_id=self.backend.account_id,
            request_id=request_id,
            event_id=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
        )

    def _id(self, *, upper: bool) -> str:
        if upper:
            # S3 request ids are 16 upper-case hex digits.
            return format(self._rng.getrandbits(64), "016X")
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- trails --------------------------------------------------------------------------------------------
    def trails(self) -> dict[str, TrailConfig]:
        """The trails as last read from the backend (read now when unknown)."""
        if self._trails is None:
            return self.refresh()
        return self._trails

    def refresh(self) -> dict[str, TrailConfig]:
        """Read every trail, its status and its selectors back from the backend."""
        with self._lock, self.suspended():
            self._trails = read_trails(self.backend)
            return self._trails

    def take(self, trail_arn: str) -> list[dict[str, Any]]:
        """Remove and return the records queued for a trail, oldest first."""
        with self._lock:
            return self.pending.pop(trail_arn, [])

    def queued(self) -> dict[str, list[dict[str, Any]]]:
        """A snapshot of the queues: trail ARN to the records waiting for delivery."""
        with self._lock:
            return {arn: list(records) for arn, records in self.pending.items() if records}

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Do not record calls made inside the block (the harness's own delivery and inspection)."""
        self._local.depth = self._depth() + 1
        try:
            yield
        finally:
            self._local.depth = self._depth() - 1

    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    @property
    def recording(self) -> bool:
        """False inside :meth:`suspended`."""
        return self._depth() == 0
