"""Template parameters: both file formats, NAME=VALUE options, their merge, and CloudFormation's checks of a value."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.inputs.formats import load_any
from harness.inputs.parameters import (
    PLUGIN_OPTIONS,
    Declaration,
    Rejected,
    gather,
    parse_assignments,
    read_parameter_file,
    redact,
)
from tests.inputs.conftest import ROLE, cfn

GROUP = "  G:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: !Ref %s\n"
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
  Retention:
    Type: Number
Resources:
  G:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "${Stage}-builds"
      RetentionInDays: !Ref Retention
"""


def write(tmp_path: Path, content: Any, name: str = "params.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    return path


def error_reading(tmp_path: Path, content: Any) -> InputError:
    with pytest.raises(InputError) as info:
        read_parameter_file(write(tmp_path, content))
    return info.value


def error_loading(head: str, parameters: dict[str, str] | None = None, resources: str = ROLE) -> str:
    with pytest.raises(InputError) as info:
        cfn(resources, head, parameters)
    return str(info.value)


# -- the AWS CLI format -----------------------------------------------------------------------------------------


def test_the_aws_cli_format_gives_each_value_as_text(tmp_path: Path) -> None:
    given_ = read_parameter_file(
        write(
            tmp_path,
            '[\n  {"ParameterKey": "Stage", "ParameterValue": "prod"},\n'
            '  {"ParameterKey": "Retention", "ParameterValue": 30},\n'
            '  {"ParameterKey": "Ratio", "ParameterValue": 2.50},\n'
            '  {"ParameterKey": "Big", "ParameterValue": 1e3},\n'
            '  {"ParameterKey": "Enabled", "ParameterValue": true, "UsePreviousValue": false},\n'
            '  {"ParameterKey": "Image", "ParameterValue": "/ci/image", "ResolvedValue": "ami-1"}\n]\n',
        )
    )
    # A number keeps its spelling and a boolean is lower case, as CloudFormation reads them.
    assert given_.values == {
        "Stage": "prod",
        "Retention": "30",
        "Ratio": "2.50",
        "Big": "1e3",
        "Enabled": "true",
        "Image": "/ci/image",
    }
    assert all(type(v) is str for v in given_.values.values())
    assert given_.notes == ()


def test_use_previous_value_is_refused_naming_the_line(tmp_path: Path) -> None:
    content = '[\n  {"ParameterKey": "Stage", "ParameterValue": "prod"},\n  {\n    "ParameterKey": "Retention",\n'
    content += '    "UsePreviousValue": true\n  }\n]\n'
    path = write(tmp_path, content)
    with pytest.raises(InputError) as info:
        read_parameter_file(path)
    assert str(info.value) == (
        f"{path}:5 ([1].UsePreviousValue): expected a ParameterValue for 'Retention', found \"UsePreviousValue\": "
        "true; there is no previous stack to take the value from; give a ParameterValue instead"
    )
    assert info.value.line == 5


# -- CodePipeline's template configuration ------------------------------------------------------------------------


def test_the_template_configuration_gives_its_parameters_and_notes_what_is_not_applied(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '{\n  "Parameters": {"Stage": "prod", "Retention": 30, "Enabled": false},\n'
        '  "Tags": {"team": "ci"},\n  "StackPolicy": {"Statement": []}\n}\n',
    )
    given_ = read_parameter_file(path)
    assert given_.values == {"Stage": "prod", "Retention": "30", "Enabled": "false"}
    assert given_.notes == (
        f"{path}:3 (Tags): not applied; only a template configuration's Parameters are read",
        f"{path}:4 (StackPolicy): not applied; only a template configuration's Parameters are read",
    )


def test_an_empty_template_configuration_gives_no_values(tmp_path: Path) -> None:
    assert read_parameter_file(write(tmp_path, "{}")).values == {}


names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True)
scalars = st.one_of(st.text(max_size=20), st.integers(-(10**6), 10**6), st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(names, scalars, max_size=6))
def test_a_list_file_and_the_equivalent_parameters_object_give_the_same_values(
    tmp_path: Path, values: dict[str, Any]
) -> None:
    listed = read_parameter_file(
        write(tmp_path, [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()], "list.json")
    )
    configured = read_parameter_file(write(tmp_path, {"Parameters": values}, "configuration.json"))
    assert listed.values == configured.values
    assert set(listed.values) == set(values)


# -- malformed files ----------------------------------------------------------------------------------------------


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError) as info:
        read_parameter_file(missing)
    assert str(info.value) == (
        f"{missing}: expected a readable parameters file, found No such file or directory; check the path"
    )


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    error = error_reading(tmp_path, '[\n  {"ParameterKey": "Stage" "ParameterValue": "prod"}\n]\n')
    assert str(error) == (
        f"{tmp_path / 'params.json'}:2: expected valid JSON, found a syntax error (Expecting ',' delimiter at "
        "column 28); fix the JSON at that line (commas, quotes, brackets)"
    )
    assert (error.line, error.column) == (2, 28)


def test_an_empty_file(tmp_path: Path) -> None:
    assert str(error_reading(tmp_path, "\n")) == (
        f"{tmp_path / 'params.json'}:2: expected valid JSON, found an empty file; write a list of "
        '{"ParameterKey": "Name", "ParameterValue": "value"} or {"Parameters": {"Name": "value"}}'
    )


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ('"Stage=prod"', "'Stage=prod'"),
        ('{"Stage": "prod", "Retention": "30"}', "an object with 'Stage', 'Retention'"),
        ("null", "null"),
    ],
)
def test_another_shape_is_refused_naming_both_formats(tmp_path: Path, content: str, found: str) -> None:
    assert str(error_reading(tmp_path, content)) == (
        f'{tmp_path / "params.json"}:1: expected the AWS CLI format (a list of {{"ParameterKey": ..., '
        '"ParameterValue": ...}) or CodePipeline\'s template configuration ({"Parameters": {"Key": "Value"}}), '
        f'found {found}; write a list of {{"ParameterKey": "Name", "ParameterValue": "value"}} or '
        '{"Parameters": {"Name": "value"}}'
    )


def test_a_repeated_key_names_both_lines(tmp_path: Path) -> None:
    error = error_reading(tmp_path, '{\n  "Parameters": {\n    "Stage": "dev",\n    "Stage": "prod"\n  }\n}\n')
    assert str(error) == (
        f"{tmp_path / 'params.json'}:4 (Parameters.Stage): expected each key once, found 'Stage' again (first at "
        "line 3); keep one of them"
    )


def test_a_parameter_listed_twice(tmp_path: Path) -> None:
    error = error_reading(
        tmp_path,
        '[\n  {"ParameterKey": "Stage", "ParameterValue": "dev"},\n'
        '  {"ParameterKey": "Stage", "ParameterValue": "prod"}\n]\n',
    )
    assert str(error) == (
        f"{tmp_path / 'params.json'}:3 ([1].ParameterKey): expected each parameter once, found 'Stage' again "
        "(first at line 2); keep one of them"
    )


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        (
            '"Stage"',
            "[0]",
            'expected an object {"ParameterKey": ..., "ParameterValue": ...}, found \'Stage\'; write each parameter '
            "as such an object",
        ),
        (
            '{"ParameterValue": "prod"}',
            "[0]",
            'expected a ParameterKey naming the parameter, found none; add "ParameterKey": "Name"',
        ),
        (
            '{"ParameterKey": 7, "ParameterValue": "prod"}',
            "[0].ParameterKey",
            'expected a ParameterKey naming the parameter, found the number 7; add "ParameterKey": "Name"',
        ),
        (
            '{"ParameterKey": "Stage"}',
            "[0]",
            'expected a ParameterValue for \'Stage\', found none; add "ParameterValue": "..."',
        ),
        (
            '{"ParameterKey": "Stage", "ParameterValu": "prod"}',
            "[0].ParameterValu",
            "expected the keys ParameterKey, ParameterValue, UsePreviousValue, found 'ParameterValu'; did you mean "
            "'ParameterValue'?",
        ),
        (
            '{"ParameterKey": "Stage", "ParameterValue": ["a", "b"]}',
            "[0].ParameterValue",
            "expected a string, number or boolean value, found a list; write a list as one comma-separated string",
        ),
        (
            '{"ParameterKey": "Stage", "ParameterValue": null}',
            "[0].ParameterValue",
            "expected a string, number or boolean value, found null; give the value as a string",
        ),
    ],
)
def test_a_malformed_entry_names_its_line(tmp_path: Path, entry: str, where: str, message: str) -> None:
    error = error_reading(tmp_path, f"[\n  {entry}\n]\n")
    assert str(error) == f"{tmp_path / 'params.json'}:2 ({where}): {message}"


def test_an_unknown_key_of_a_template_configuration(tmp_path: Path) -> None:
    error = error_reading(tmp_path, '{\n  "Parameters": {},\n  "Parameter": {"Stage": "prod"}\n}\n')
    assert str(error) == (
        f"{tmp_path / 'params.json'}:3 (Parameter): expected a template configuration key (Parameters, Tags, "
        "StackPolicy), found 'Parameter'; did you mean 'Parameters'?"
    )


def test_parameters_of_a_template_configuration_must_be_an_object(tmp_path: Path) -> None:
    error = error_reading(tmp_path, '{\n  "Parameters": ["Stage=prod"]\n}\n')
    assert str(error) == (
        f"{tmp_path / 'params.json'}:2 (Parameters): expected an object of parameter values "
        '({"Key": "Value"}), found a list; write Parameters as an object'
    )


# -- NAME=VALUE options and the merge ----------------------------------------------------------------------------


def test_assignments_split_at_the_first_equals_sign() -> None:
    assert parse_assignments(["Stage=prod", "Query=a=b", "Empty="]) == {"Stage": "prod", "Query": "a=b", "Empty": ""}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["Stage"], "--pw-param 'Stage': expected NAME=VALUE (e.g. --pw-param Stage=prod), found no '='; write the "
         "parameter as NAME=VALUE"),
        (["=prod"], "--pw-param '=prod': expected NAME=VALUE (e.g. --pw-param Stage=prod), found no name before "
         "'='; write the parameter as NAME=VALUE"),
        (["Token=a", "Token=secret"], "--pw-param Token: expected each parameter once, found 'Token' given twice; "
         "keep one --pw-param Token=..."),
    ],
)  # fmt: skip
def test_malformed_assignments(items: list[str], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_assignments(items, "--pw-param")
    assert str(info.value) == message
    assert "secret" not in str(info.value)


def test_options_replace_the_values_of_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, {"Parameters": {"Stage": "dev", "Retention": "7"}, "Tags": {}})
    merged = gather(path, {"Retention": "14"})
    assert merged.values == {"Stage": "dev", "Retention": "14"}
    assert len(merged.notes) == 1
    assert gather(None, {"Stage": "prod"}).values == {"Stage": "prod"}


def test_load_any_reads_the_file_and_the_options_win(tmp_path: Path) -> None:
    template = write(tmp_path, TEMPLATE, "template.yaml")
    params = write(tmp_path, [{"ParameterKey": "Stage", "ParameterValue": "dev"}, {"ParameterKey": "Retention",
                              "ParameterValue": 7}])  # fmt: skip
    definition = load_any(template, parameters={"Retention": "14"}, parameters_file=params)
    group = definition.resources[0]
    assert group.retention_days == 14  # type: ignore[attr-defined]
    configured = write(tmp_path, '{"Parameters": {"Stage": "prod", "Retention": 30},\n "Tags": {"a": "b"}}', "c.json")
    definition = load_any(template, parameters_file=configured)
    assert definition.resources[0].retention_days == 30  # type: ignore[attr-defined]
    assert definition.notes[0] == (
        f"{configured}:2 (Tags): not applied; only a template configuration's Parameters are read"
    )


def test_a_parameter_the_template_does_not_declare_is_refused_with_the_closest(tmp_path: Path) -> None:
    template = write(tmp_path, TEMPLATE, "template.yaml")
    params = write(tmp_path, {"Parameters": {"Stage": "dev", "Retension": "7"}})
    with pytest.raises(InputError) as info:
        load_any(template, parameters_file=params)
    assert str(info.value) == (
        f"{template} (parameter override 'Retension'): expected the name of a declared parameter, found "
        "'Retension'; did you mean 'Retention'?"
    )


def test_a_parameters_file_for_a_plan_is_refused(tmp_path: Path) -> None:
    plan = Path(__file__).resolve().parents[2] / "fixtures" / "pipelines" / "tf-least-privilege" / "plan.json"
    params = write(tmp_path, {"Parameters": {}})
    with pytest.raises(InputError) as info:
        load_any(plan, parameters_file=params)
    assert str(info.value) == (
        f"{plan}: expected parameters only for a CloudFormation template, found the parameters file {params} for "
        "a terraform-plan definition; drop the parameters (Terraform plans carry their variables already)"
    )


# -- values checked against the declaration ----------------------------------------------------------------------


def test_a_missing_value_names_the_options_of_the_interface() -> None:
    head = "Parameters:\n  Stage: {Type: String}\n"
    assert error_loading(head) == (
        "t.yaml:3 (Parameters.Stage): expected a value for the parameter, found no Default and no override; "
        "give a Default or pass --param Stage=VALUE or a --parameters file"
    )
    with pytest.raises(InputError) as info:
        cfn(ROLE, head, options=PLUGIN_OPTIONS)
    assert str(info.value).endswith("give a Default or pass --pw-param Stage=VALUE or a --pw-parameters file")


@pytest.mark.parametrize(
    ("declaration", "value", "message"),
    [
        (
            "{Type: String, AllowedValues: [dev, prod]}",
            "qa",
            "expected one of dev, prod (AllowedValues), found 'qa'; pass an allowed value or change AllowedValues",
        ),
        (
            "{Type: String, AllowedPattern: '[a-z]+'}",
            "abc1",
            "expected a value matching [a-z]+ (AllowedPattern), found 'abc1'; pass a value the whole pattern "
            "matches or change AllowedPattern",
        ),
        (
            "{Type: String, MinLength: 3}",
            "ab",
            "expected at least 3 characters (MinLength), found 'ab' (2 characters); pass a longer value or change "
            "MinLength",
        ),
        (
            "{Type: String, MaxLength: '4'}",
            "abcdef",
            "expected at most 4 characters (MaxLength), found 'abcdef' (6 characters); pass a shorter value or "
            "change MaxLength",
        ),
        (
            "{Type: Number, MinValue: 1}",
            "0.5",
            "expected a number of at least 1 (MinValue), found '0.5'; pass a larger number or change MinValue",
        ),
        (
            "{Type: Number, MaxValue: 2.5}",
            "3",
            "expected a number of at most 2.5 (MaxValue), found '3'; pass a smaller number or change MaxValue",
        ),
        (
            "{Type: Number}",
            "30 days",
            "expected a number (Type Number), found '30 days'; pass an integer or a decimal number such as 30 or 2.5",
        ),
        (
            "{Type: 'List<Number>'}",
            "1, 2,x",
            "expected a comma-separated list of numbers (Type List<Number>), found 'x', item 3 of the list; pass "
            "integers or decimal numbers separated by commas, such as 1,2.5",
        ),
        (
            "{Type: CommaDelimitedList, AllowedValues: [a, b]}",
            "a, c",
            "expected one of a, b (AllowedValues), found 'c', item 2 of the list; pass an allowed value or change "
            "AllowedValues",
        ),
        (
            "{Type: 'List<AWS::EC2::Subnet::Id>', AllowedPattern: 'subnet-[0-9a-f]+'}",
            "subnet-1a,sg-2",
            "expected a value matching subnet-[0-9a-f]+ (AllowedPattern), found 'sg-2', item 2 of the list; pass a "
            "value the whole pattern matches or change AllowedPattern",
        ),
    ],
)
def test_each_constraint_names_itself_and_the_value(declaration: str, value: str, message: str) -> None:
    head = f"Parameters:\n  P: {declaration}\n"
    assert error_loading(head, {"P": value}) == f"t.yaml:3 (Parameters.P): {message}"


def test_the_template_constraint_description_is_part_of_the_fix() -> None:
    head = (
        "Parameters:\n  Branch:\n    Type: String\n    AllowedPattern: '[a-z][a-z0-9-]*'\n"
        "    ConstraintDescription: a branch name in lower case\n"
    )
    assert error_loading(head, {"Branch": "Main"}) == (
        "t.yaml:3 (Parameters.Branch): expected a value matching [a-z][a-z0-9-]* (AllowedPattern), found 'Main'; "
        'the template says: "a branch name in lower case"; pass a value the whole pattern matches or change '
        "AllowedPattern"
    )


def test_a_no_echo_value_is_never_shown() -> None:
    head = "Parameters:\n  Token:\n    Type: String\n    NoEcho: true\n    MinLength: 12\n"
    message = error_loading(head, {"Token": "hunter2"})
    assert message == (
        "t.yaml:3 (Parameters.Token): expected at least 12 characters (MinLength), found ****; pass a longer value "
        "or change MinLength"
    )
    patterned = "Parameters:\n  Token: {Type: String, NoEcho: 'true', AllowedPattern: 'ghp_.*'}\n"
    assert "found ****;" in error_loading(patterned, {"Token": "hunter2"})


def test_a_no_echo_value_is_kept_out_of_notes_and_loader_messages() -> None:
    head = "Parameters:\n  Owner: {Type: String, NoEcho: true}\n"
    head += "  Subnet: {Type: 'AWS::EC2::Subnet::Id', NoEcho: true}\n"
    role = (
        "  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Roles: [!Ref Owner]\n"
        "      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: 's3:*', Resource: '*'}]}\n"
    )
    definition = cfn(role, head, {"Owner": "alice-admin-role", "Subnet": "subnet-0abc"})
    assert not any("alice-admin-role" in note or "subnet-0abc" in note for note in definition.notes), definition.notes
    assert any("****" in note and "Roles[0]" in note for note in definition.notes), definition.notes
    assert "Parameters.Subnet: AWS::EC2::Subnet::Id: CloudFormation looks the value up in the account; **** is " \
        "taken as given" in definition.notes  # fmt: skip
    # A value the loader refuses elsewhere is redacted in that message too.
    role_with_path = ROLE + "      Path: !Ref Owner\n"
    message = error_loading(
        "Parameters:\n  Owner: {Type: String, NoEcho: true}\n", {"Owner": "corp-bucket"}, role_with_path
    )
    assert "corp-bucket" not in message and "****" in message, message


def test_values_of_each_type_reach_the_template() -> None:
    head = (
        "Parameters:\n  Days: {Type: Number, MinValue: 1, MaxValue: 3653}\n  Names: {Type: CommaDelimitedList}\n"
        "  Vpc: {Type: 'AWS::EC2::VPC::Id'}\n  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}\n"
        "  Image: {Type: 'AWS::SSM::Parameter::Value<String>', AllowedPattern: 'ami-.*'}\n"
    )
    resources = GROUP % "Vpc" + "      RetentionInDays: !Ref Days\n      Tags:\n"
    resources += "        - {Key: names, Value: !Join ['+', !Ref Names]}\n"
    resources += "        - {Key: subnets, Value: !Join ['+', !Ref Subnets]}\n"
    resources += "        - {Key: image, Value: !Ref Image}\n"
    definition = cfn(
        resources,
        head,
        {"Days": "14", "Names": " a , b", "Vpc": "anything", "Subnets": "s-1,s-2", "Image": "/ci/image"},
    )
    group = definition.resources[0]
    # AWS-specific values are looked up by CloudFormation, an SSM parameter's constraints apply to its stored value.
    assert group.name == "g"  # type: ignore[attr-defined]
    assert group.tags == {"names": "a+b", "subnets": "s-1+s-2", "image": "/ci/image"}  # type: ignore[attr-defined]
    assert "Parameters.Vpc: AWS::EC2::VPC::Id: CloudFormation looks the value up in the account; 'anything' is taken " \
        "as given" in definition.notes  # fmt: skip
    assert any(n.startswith("Parameters.Image: AWS::SSM::Parameter::Value<String> is read from SSM") for n in
               definition.notes)  # fmt: skip


def test_a_pattern_python_cannot_compile_is_left_to_cloudformation() -> None:
    head = "Parameters:\n  P: {Type: String, AllowedPattern: '(unclosed'}\n"
    assert cfn(ROLE, head, {"P": "x"}).resources


def test_the_declared_default_is_checked_too() -> None:
    assert error_loading("Parameters:\n  Days: {Type: Number, Default: x}\n") == (
        "t.yaml:3 (Parameters.Days): expected a number (Type Number), found 'x'; pass an integer or a decimal number "
        "such as 30 or 2.5"
    )


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (
            "{Type: Strin, Default: x}",
            "t.yaml:3 (Parameters.P.Type): expected a parameter Type (String, Number, List<Number>, "
            "CommaDelimitedList, an AWS-specific type such as AWS::EC2::VPC::Id or List<AWS::EC2::Subnet::Id>, or "
            "AWS::SSM::Parameter::Value<...>), found 'Strin'; did you mean 'String'?",
        ),
        (
            "{Type: String, Defualt: x}",
            "t.yaml:3 (Parameters.P.Defualt): expected a parameter property (Type, Default, Description, "
            "AllowedValues, AllowedPattern, ConstraintDescription, MinLength, MaxLength, MinValue, MaxValue, NoEcho), "
            "found 'Defualt'; did you mean 'Default'?",
        ),
        (
            "{Type: String, Default: x, MinLength: three}",
            "t.yaml:3 (Parameters.P.MinLength): expected a whole number of characters, found 'three'; write MinLength "
            "as a whole number",
        ),
        (
            "{Type: Number, Default: 1, MaxValue: many}",
            "t.yaml:3 (Parameters.P.MaxValue): expected a number, found 'many'; write MaxValue as a number",
        ),
    ],
)
def test_a_declaration_cloudformation_refuses(declaration: str, message: str) -> None:
    assert error_loading(f"Parameters:\n  P: {declaration}\n") == message


@settings(max_examples=100, deadline=None)
@given(allowed=st.lists(st.text(alphabet=st.characters(blacklist_characters=","), max_size=12), min_size=1,
                        unique=True), data=st.data())  # fmt: skip
def test_any_allowed_value_is_accepted(allowed: list[str], data: st.DataObject) -> None:
    declaration = Declaration.of("P", {"Type": "String", "AllowedValues": allowed})
    value = data.draw(st.sampled_from(allowed))
    assert declaration.value(value) == value


@settings(max_examples=100, deadline=None)
@given(value=st.text(max_size=12), allowed=st.lists(st.text(max_size=12), min_size=1))
def test_a_value_outside_the_allowed_ones_is_refused_without_showing_a_no_echo_value(
    value: str, allowed: list[str]
) -> None:
    if value in allowed:
        return
    declaration = Declaration.of("P", {"Type": "String", "AllowedValues": allowed, "NoEcho": True})
    with pytest.raises(Rejected) as info:
        declaration.value(value)
    assert info.value.found == "****"


@settings(max_examples=100, deadline=None)
@given(number=st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_any_python_number_text_is_a_number(number: float) -> None:
    assert Declaration.of("P", {"Type": "Number"}).value(repr(number)) == repr(number)


def test_redaction_leaves_longer_words_alone() -> None:
    assert redact("token abc in abcd and (abc)", ["abc"]) == "token **** in abcd and (****)"
    assert redact("nothing secret", ["", "x"]) == "nothing secret"
    assert re.fullmatch(r"\*{4}", redact("a.b", ["a.b"]))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(json_values, st.lists(st.dictionaries(st.sampled_from(["ParameterKey", "ParameterValue",
       "UsePreviousValue"]), json_values, max_size=3), max_size=3)))  # fmt: skip
def test_any_json_is_read_or_refused_with_one_input_error(tmp_path: Path, value: Any) -> None:
    try:
        given_ = read_parameter_file(write(tmp_path, value))
    except InputError as exc:
        assert str(exc).startswith(str(tmp_path / "params.json"))
    else:
        assert all(isinstance(v, str) for v in given_.values.values())
