"""The enforcement fixtures (an enforcer on the session's backend, role sessions) for the service model tests."""

from tests.enforce.conftest import enforcer, principals, role_session

__all__ = ["enforcer", "principals", "role_session"]
