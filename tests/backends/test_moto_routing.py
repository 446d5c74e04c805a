"""moto's routing kept between calls: the same handler as moto's own, recomputed when a setting or a class changes."""

from __future__ import annotations

from typing import Any

import pytest

from harness.backends import Backend
from harness.backends.moto_routing import _kept, _names_kept


def test_a_kept_value_is_worked_out_once_per_class_and_again_when_a_setting_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[tuple[type, str | None]] = []

    class Service:
        @property
        def table(self) -> str:
            import os

            computed.append((type(self), os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS")))
            return f"table for {os.environ.get('MOTO_S3_CUSTOM_ENDPOINTS')}"

    class Other(Service):
        pass

    Service.table = _kept(vars(Service)["table"])  # type: ignore[assignment,method-assign]
    monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS", raising=False)
    assert Service().table == Service().table == "table for None"
    assert Other().table == "table for None"
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", "http://custom:9000")
    assert Service().table == "table for http://custom:9000"
    assert computed == [(Service, None), (Other, None), (Service, "http://custom:9000")]


def test_method_names_are_listed_again_when_the_class_gains_a_method() -> None:
    calls: list[type] = []

    def listed(clazz: Any) -> list[str]:
        calls.append(clazz)
        return sorted(n for n in dir(clazz) if not n.startswith("_"))

    names = _names_kept(listed)

    class Response:
        def get_thing(self) -> None: ...

    assert names(Response) == ["get_thing"]
    assert names(Response) == ["get_thing"]
    assert calls == [Response]
    Response.put_thing = lambda self: None  # type: ignore[attr-defined]
    assert names(Response) == ["get_thing", "put_thing"]
    assert calls == [Response, Response]


def test_calls_still_reach_their_handlers_through_kept_routes(backend: Backend) -> None:
    s3, iam = backend.client("s3"), backend.client("iam")
    for index in range(3):
        s3.create_bucket(Bucket=f"pw-routing-{index}")
        iam.create_user(UserName=f"pw-routing-{index}")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [f"pw-routing-{i}" for i in range(3)]
    assert s3.get_bucket_versioning(Bucket="pw-routing-1").get("Status") is None
    assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == [f"pw-routing-{i}" for i in range(3)]
