"""CloudFormation stacks a template nests or a plan creates: deliberately not deployed, with the reason."""

from __future__ import annotations

from harness.model.schema import Ignored

IGNORED = (
    Ignored(
        "a nested stack: its template (TemplateURL) is not loaded, so the resources it creates are not deployed and "
        "scenarios depending on them are unverified; check that template on its own",
        cfn="AWS::CloudFormation::Stack",
    ),
    Ignored(
        "a CloudFormation stack: its template is not loaded, so the resources it creates are not deployed and "
        "scenarios depending on them are unverified; check that template on its own",
        tf="aws_cloudformation_stack",
    ),
)
