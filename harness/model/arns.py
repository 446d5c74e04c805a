"""How a source spells the ARN of a resource of the model by its physical name.

Account, region and partition may be literal (``123456789012``, ``eu-west-1``, ``aws``) or the model's deploy-time
values (``${account_id}``, ``${region}``, ``${partition}``). Used to find where policies and configuration spell a
resource of the definition (or one it stands in for) without referring to it.
"""

from __future__ import annotations

import re

# The part of each ARN after ``arn:<partition>:``, with ``{name}`` where the physical name goes (always last).
ARN_FORMS: dict[str, str] = {
    "roles": r"iam::{account}:role/(?:[\w+=,.@-]+/)*{name}",
    "policies": r"iam::{account}:policy/(?:[\w+=,.@-]+/)*{name}",
    "users": r"iam::{account}:user/(?:[\w+=,.@-]+/)*{name}",
    "groups": r"iam::{account}:group/(?:[\w+=,.@-]+/)*{name}",
    "buckets": r"s3:::{name}",
    "log_groups": r"logs:{region}:{account}:log-group:{name}",
    "keys": r"kms:{region}:{account}:key/{name}",
    "topics": r"sns:{region}:{account}:{name}",
    "repositories": r"codecommit:{region}:{account}:{name}",
    "secrets": r"secretsmanager:{region}:{account}:secret:{name}",
    "build_projects": r"codebuild:{region}:{account}:project/{name}",
    "pipelines": r"codepipeline:{region}:{account}:{name}",
    "trails": r"cloudtrail:{region}:{account}:trail/{name}",
    "functions": r"lambda:{region}:{account}:function:{name}",
    "event_rules": r"events:{region}:{account}:rule/{name}",
    "ecr_repositories": r"ecr:{region}:{account}:repository/{name}",
}
ACCOUNT = r"(?:\d{12}|\$\{account_id\})"
REGION = r"(?:[a-z]{2}(?:-[a-z]+)+-\d|\$\{region\})"
PARTITION = r"(?:aws[a-z-]*|\$\{partition\})"
# What may follow a name in an ARN without making it part of a longer name: a path, a colon, a wildcard, the end.
_NAME_ENDS = r"(?![\w+=,.@-])"


def arn_pattern(section: str, name: str) -> re.Pattern[str] | None:
    """A pattern for the ARN of the resource named ``name`` in ``section`` as a source may spell it; None for a
    section whose ARN does not follow from a name."""
    form = ARN_FORMS.get(section)
    if form is None:
        return None
    body = form.format(account=ACCOUNT, region=REGION, name=re.escape(name))
    return re.compile(f"arn:{PARTITION}:{body}{_NAME_ENDS}")


def name_in_arn(section: str, name: str) -> re.Pattern[str] | None:
    """Like :func:`arn_pattern`, with the groups ``head`` (everything before the name) and ``name``, so the name
    can be replaced where it is spelled (``arn:aws:s3:::acme-artifacts/*``) and the rest kept."""
    form = ARN_FORMS.get(section)
    if form is None:
        return None
    head = form.split("{name}", 1)[0].format(account=ACCOUNT, region=REGION)
    return re.compile(f"(?P<head>arn:{PARTITION}:{head})(?P<name>{re.escape(name)}){_NAME_ENDS}")


def arn_of(section: str, name: str, *, partition: str, region: str, account: str) -> str | None:
    """The ARN of the resource named ``name`` in ``section`` (no IAM path); None for a section whose ARN does not
    follow from a name."""
    form = ARN_FORMS.get(section)
    if form is None:
        return None
    body = form.replace(r"(?:[\w+=,.@-]+/)*", "").format(account=account, region=region, name=name)
    return f"arn:{partition}:{body}"
