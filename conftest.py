"""Root conftest: makes the packaged steps available to every feature and test."""

pytest_plugins = ["steps.plugin"]
