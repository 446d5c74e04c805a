"""Services the emulators lack, modelled by pipewarden and served behind boto3: CodeStar/CodeConnections
connections, CodeBuild report groups, and the Security Hub settings moto does not keep.

Layers, bottom up: one model per service (:mod:`~harness.services.connections`,
:mod:`~harness.services.report_groups`, :mod:`~harness.services.security_hub`), each answering the service's API
from its own state, and :mod:`~harness.services.service`, which attaches the models to a backend so that ordinary
clients reach them, authorized by the deployment's IAM enforcement and recorded like every other call.
"""

from __future__ import annotations

from harness.services.connections import AVAILABLE, PROVIDER_TYPES, Connection, ConnectionsModel
from harness.services.errors import ServiceError
from harness.services.report_groups import ReportGroup, ReportGroupsModel
from harness.services.security_hub import Hub, SecurityHubModel, default_standards
from harness.services.service import OwnedServices, ServiceModel

__all__ = [
    "AVAILABLE",
    "PROVIDER_TYPES",
    "Connection",
    "ConnectionsModel",
    "Hub",
    "OwnedServices",
    "ReportGroup",
    "ReportGroupsModel",
    "SecurityHubModel",
    "ServiceError",
    "ServiceModel",
    "default_standards",
]
