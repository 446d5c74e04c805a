"""Environment declarations: validated with file and line; each resource's environment and each environment's
data tier resolved from tags, VPC placement and service roles."""

from __future__ import annotations

import pytest

from harness.errors import InputError, Unverified
from harness.inputs.harness_yaml import parse_definition
from harness.isolation import non_production, production, resource_environments, scopes
from harness.model.definition import Environment
from harness.provider.resources.codebuild_project import VpcConfig, VpcPlacement
from harness.scenario import load_fixture

HEADER = "pipewarden: 1\nname: envs\n"

NETWORK = """resources:
  vpcs:
    prod: {cidr: 10.10.0.0/16, environment: prod}
  subnets:
    data: {vpc: prod, cidr: 10.10.20.0/24, tags: {tier: data}}
    build: {vpc: prod, cidr: 10.10.1.0/24}
  security_groups:
    db: {vpc: prod, tags: {tier: data}}
    build: {vpc: prod}
  roles:
    prod-build: {assumed_by: codebuild.amazonaws.com}
    dev-build: {assumed_by: codebuild.amazonaws.com, tags: {environment: dev}}
  buckets:
    prod-data: {tags: {environment: prod, tier: data}}
  build_projects:
    prod-build:
      service_role: prod-build
      vpc: {vpc: prod, subnets: [build], security_groups: [build]}
"""


def error_of(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_definition(text, "p.yaml")
    return caught.value


def test_declared_environments_are_loaded_with_their_production_flag() -> None:
    d = parse_definition(
        HEADER + "environments:\n  prod: {account: '111122223333'}\n  staging: {production: true}\n  dev:\n" + NETWORK,
        "p.yaml",
    )

    assert d.environments == {
        "prod": Environment("prod", account="111122223333", production=True),
        "staging": Environment("staging", production=True),
        "dev": Environment("dev", production=False),
    }
    assert str(d.locations["environments.staging"]) == "p.yaml:5"


def test_a_resource_naming_an_undeclared_environment_is_refused_at_its_line() -> None:
    text = HEADER + "environments:\n  prod: {}\n" + NETWORK

    error = error_of(text)

    assert str(error) == (
        "p.yaml:16 (roles.dev-build) field 'environment': expected one of the declared environments (prod), "
        "found 'dev'; declare 'dev' under 'environments' or tag the resource with a declared one"
    )
    assert (error.fields["file"], error.fields["line"]) == ("p.yaml", 16)


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        (
            "  Prod: {}\n",
            "p.yaml:4 field 'environments.Prod': expected an environment name of lowercase letters, digits and '-', "
            "found 'Prod'; rename it",
        ),
        (
            "  prod: {acount: x}\n",
            "p.yaml:4 field 'environments.prod.acount': expected one of description, account, production, found "
            "unknown field 'acount'; did you mean 'account'?",
        ),
        (
            "  prod: {account: 'Not An Alias'}\n",
            "p.yaml:4 field 'environments.prod': expected an account id of 12 digits or an alias of lowercase "
            "letters, digits and '-', found 'Not An Alias'; correct the account",
        ),
        (
            "  - prod\n",
            "p.yaml:4 field 'environments': expected a mapping, found a list; write 'environments' as key: value pairs",
        ),
    ],
    ids=["bad-name", "unknown-field", "bad-account", "not-a-mapping"],
)
def test_a_bad_environment_declaration_is_one_error_with_file_and_line(environments: str, message: str) -> None:
    text = HEADER + "environments:\n" + environments + "resources: {}\n"

    assert str(error_of(text)) == message


def test_environments_are_inherited_from_the_vpc_and_the_builds_that_use_a_role() -> None:
    d = parse_definition(HEADER + NETWORK, "p.yaml")

    envs = resource_environments(d)

    assert envs["subnets.data"] == "prod"  # placed in the prod VPC
    assert envs["build_projects.prod-build"] == "prod"  # runs in the prod VPC
    assert envs["roles.prod-build"] == "prod"  # the service role of a prod build
    assert envs["roles.dev-build"] == "dev"  # its own tag
    prod = scopes(d)["prod"]
    assert (prod.production, prod.data_subnets, prod.data_groups, prod.data_buckets) == (
        True,
        ("data",),
        ("db",),
        ("prod-data",),
    )
    assert [s.name for s in non_production(d)] == ["dev"]


def test_a_definition_without_production_says_how_to_declare_it() -> None:
    d = parse_definition(HEADER + "resources:\n  buckets:\n    data: {tags: {environment: dev}}\n", "p.yaml")

    with pytest.raises(Unverified) as caught:
        production(d)
    assert caught.value.reason == (
        f"definition '{d.name}': declares no production environment, so the claim cannot be tried; tag the "
        "production resources 'Environment: Production' (or 'env: prod'), or declare an environment with "
        "'production: true' under 'environments', or give the template or plan that declares it with --baseline "
        "FILE (under pytest --pw-baseline FILE)"
    )


def test_a_build_is_placed_by_names_or_by_raw_ids() -> None:
    by_name = parse_definition(HEADER + NETWORK, "p.yaml").get("build_projects", "prod-build")
    by_ids = parse_definition(
        HEADER
        + "resources:\n  roles:\n    r: {assumed_by: codebuild.amazonaws.com}\n  build_projects:\n    b:\n"
        + "      service_role: r\n      vpc: {vpc_id: vpc-1, subnets: [subnet-1], security_groups: [sg-1]}\n",
        "p.yaml",
    ).get("build_projects", "b")

    assert getattr(by_name, "vpc", None) == VpcPlacement("prod", ("build",), ("build",))
    assert getattr(by_ids, "vpc", None) == VpcConfig("vpc-1", ("subnet-1",), ("sg-1",))


def test_a_placement_naming_an_undeclared_subnet_is_refused() -> None:
    error = error_of(HEADER + NETWORK.replace("subnets: [build]", "subnets: [missing]"))

    assert str(error) == (
        "p.yaml:18 (build_projects.prod-build) field 'vpc.subnets': expected the name of a resource under 'subnets', "
        "found 'missing', which is not declared; declare 'subnets.missing' or use one of: build, data"
    )


def test_the_reference_pipeline_declares_production_and_development() -> None:
    d = load_fixture("reference")

    scoped = scopes(d)

    assert scoped["prod"].builds == ("prod-build",) and scoped["dev"].builds == ("dev-build",)
    assert scoped["prod"].vpcs == ("prod",) and scoped["dev"].vpcs == ("dev",)


TAG_CONVENTIONS = """
Resources:
  CustomerData:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: Environment, Value: Production}, {Key: Tier, Value: Data}]
  Reports:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: env, Value: production}]
  Live:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: ENV, Value: LIVE}]
  Scratch:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: Environment, Value: Dev}, {Key: tier, Value: data}]
"""


def test_common_tag_conventions_name_environments_and_the_data_tier() -> None:
    from harness.inputs.cloudformation import parse_template_text

    definition = parse_template_text(TAG_CONVENTIONS, "pipeline.yaml", lint_template=False)
    found = {name: (scope.production, scope.buckets, scope.data_buckets) for name, scope in scopes(definition).items()}
    assert found == {
        "production": (True, ("customer-data", "reports"), ("customer-data",)),
        "live": (True, ("live",), ()),
        "dev": (False, ("scratch",), ("scratch",)),
    }
    assert [s.name for s in production(definition)] == ["live", "production"]
