"""The default backend: moto inside the test process, no network at all."""

from __future__ import annotations

import os
from typing import Any

# moto must be imported before any botocore session exists: it registers its request interceptor among
# botocore's built-in handlers, which a session copies when it is created.
from moto import mock_aws

from harness.backends.base import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Backend
from harness.backends.moto_accepts import teach_moto_what_aws_accepts
from harness.backends.moto_iam import teach_moto_iam
from harness.backends.moto_routing import route_moto_calls_once
from harness.backends.safety import hide_aws_environment, restore_aws_environment


class MotoBackend(Backend):
    """moto in-process: every call is answered inside this Python process.

    One mock is started for the backend's life; ``reset`` empties every moto service (a few milliseconds)
    instead of restarting the world between scenarios.
    """

    name = "moto"
    keeps_declared_names = True
    # moto's CodeBuild keeps its own default for encryptionKey whatever CreateProject sends, and its S3 does not
    # keep a logging configuration's TargetObjectKeyFormat nor give back a notification configuration's
    # EventBridgeConfiguration.
    unstored_fields = frozenset(
        {("build_projects", "encryption_key"), ("buckets", "log_key_format"), ("buckets", "eventbridge")}
    )

    def __init__(self, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> None:
        super().__init__(account_id, region)
        self._mock: Any = None
        self._saved_environment: dict[str, str] | None = None
        self._set_ami_setting = False

    def open(self) -> None:
        if self._mock is None:
            # moto builds boto3 sessions of its own while it serves calls, and those read the environment:
            # real AWS settings stay hidden for as long as the backend is open.
            self._saved_environment = hide_aws_environment()
            # Pipelines launch no EC2 images: skip loading moto's catalogue of default AMIs on every reset (about
            # half a second each) unless the user asked for it.
            if "MOTO_EC2_LOAD_DEFAULT_AMIS" not in os.environ:
                os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
                self._set_ami_setting = True
            self._mock = mock_aws()
            self._mock.start()
            teach_moto_iam()
            teach_moto_what_aws_accepts()
            route_moto_calls_once()

    def reset(self) -> None:
        if self._mock is None:
            self.open()
        self._mock.reset()

    def close(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if self._saved_environment is not None:
            restore_aws_environment(self._saved_environment)
            self._saved_environment = None
        if self._set_ami_setting:
            os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS", None)
            self._set_ami_setting = False
        super().close()
