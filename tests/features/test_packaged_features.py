"""Binds every packaged feature file to the packaged steps; run against the definition under test."""

from pytest_bdd import scenarios

from harness.scenario import packaged_features

scenarios(str(packaged_features()))
