"""The buildspec (versions 0.1 and 0.2) as typed data: env, phases with on-failure and finally, artifacts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from harness.errors import InputError

PHASE_NAMES = ("install", "pre_build", "build", "post_build")
VERSIONS = ("0.1", "0.2")
OnFailure = Literal["ABORT", "CONTINUE"]


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A ``secrets-manager`` reference: ``secret-id:json-key:version-stage:version-id`` (the last three optional)."""

    secret_id: str
    json_key: str = ""
    version_stage: str = ""
    version_id: str = ""

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        """Split a reference; a secret id may itself be an ARN, which contains colons.

        Raises:
            InputError: for an empty secret id.
        """
        parts = text.split(":")
        if text.startswith("arn:"):
            # arn:aws:secretsmanager:REGION:ACCT:secret:NAME then the optional three fields.
            head, rest = parts[:7], parts[7:]
            secret_id = ":".join(head)
        else:
            secret_id, rest = parts[0], parts[1:]
        rest = ([*rest, "", "", ""])[:3]
        if not secret_id:
            raise InputError(
                where="buildspec env.secrets-manager",
                expected="secret-id:json-key:version-stage:version-id",
                found=repr(text),
                fix="name the secret first",
            )
        return cls(secret_id, rest[0], rest[1], rest[2])


@dataclass(frozen=True, slots=True)
class BuildspecEnv:
    """The ``env`` section."""

    variables: tuple[tuple[str, str], ...] = ()
    parameter_store: tuple[tuple[str, str], ...] = ()
    secrets_manager: tuple[tuple[str, SecretRef], ...] = ()
    exported_variables: tuple[str, ...] = ()
    shell: str = "bash"


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase: commands, then finally commands; ``on_failure`` says whether later phases still run."""

    name: str
    commands: tuple[str, ...] = ()
    finally_commands: tuple[str, ...] = ()
    on_failure: OnFailure = "ABORT"

    def __post_init__(self) -> None:
        if self.name not in PHASE_NAMES:
            raise ValueError(f"phase {self.name!r}: expected one of {', '.join(PHASE_NAMES)}")


@dataclass(frozen=True, slots=True)
class Artifacts:
    """The ``artifacts`` section (primary artifact only)."""

    files: tuple[str, ...] = ()
    base_directory: str = ""
    discard_paths: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class Buildspec:
    """A parsed buildspec; version 0.1 runs each command in a separate shell, 0.2 carries variables and the
    working directory from one command to the next."""

    version: str
    env: BuildspecEnv
    phases: tuple[Phase, ...]
    artifacts: Artifacts | None = None

    @property
    def shared_shell(self) -> bool:
        """True when commands share one shell's state (0.2)."""
        return self.version != "0.1"

    def phase(self, name: str) -> Phase | None:
        """The phase called ``name`` (lower case), if the buildspec has it."""
        return next((p for p in self.phases if p.name == name), None)


def _bad(where: str, expected: str, found: Any, fix: str) -> InputError:
    return InputError(where=f"buildspec {where}", expected=expected, found=repr(found), fix=fix)


def _str_map(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise _bad(where, "a mapping of NAME: value", value, "write one NAME: value per line")
    return tuple((str(k), _scalar(v)) for k, v in value.items())


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _commands(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise _bad(where, "a list of commands", value, "write each command as a list item")
    return tuple(_scalar(c) for c in value)


def _yes(value: Any) -> bool:
    # YAML 1.1 turns unquoted yes/no into booleans; buildspecs write both forms.
    return value is True or str(value).lower() in ("yes", "true")


DEFAULT_FILE = "buildspec.yml"


def buildspec_file(text: str) -> str | None:
    """The path of the buildspec file in the source that a project's buildspec value names, or None when the value
    is the buildspec itself.

    CodeBuild reads a one-line value as a path relative to the source root, and no value as ``buildspec.yml`` there;
    a one-line YAML mapping (``version: 0.2``) is still a buildspec.
    """
    stripped = text.strip()
    if not stripped:
        return DEFAULT_FILE
    if "\n" in stripped:
        return None
    try:
        data = yaml.safe_load(stripped)
    except yaml.YAMLError:
        return stripped
    return None if isinstance(data, Mapping) else stripped


def parse_buildspec(source: Mapping[str, Any] | str) -> Buildspec:
    """Parse a buildspec given as a mapping or YAML text.

    Raises:
        InputError: naming the section, what was expected and the fix.
    """
    data: Any = source
    if isinstance(source, str):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise _bad("text", "valid YAML", str(exc).splitlines()[0], "fix the YAML syntax") from None
    if not isinstance(data, Mapping):
        raise _bad("document", "a mapping with version and phases", data, "start with 'version: 0.2'")
    version = str(data.get("version", ""))
    if version not in VERSIONS:
        raise _bad("version", "0.1 or 0.2", version, "set 'version: 0.2'")
    env_data = data.get("env") or {}
    if not isinstance(env_data, Mapping):
        raise _bad("env", "a mapping", env_data, "indent variables under env")
    env = BuildspecEnv(
        variables=_str_map(env_data.get("variables"), "env.variables"),
        parameter_store=_str_map(env_data.get("parameter-store"), "env.parameter-store"),
        secrets_manager=tuple(
            (name, SecretRef.parse(ref))
            for name, ref in _str_map(env_data.get("secrets-manager"), "env.secrets-manager")
        ),
        exported_variables=_commands(env_data.get("exported-variables"), "env.exported-variables"),
        shell=str(env_data.get("shell", "bash")),
    )
    phases_data = data.get("phases") or {}
    if not isinstance(phases_data, Mapping):
        raise _bad("phases", "a mapping of phase names", phases_data, "indent install/pre_build/build/post_build")
    unknown = [k for k in phases_data if k not in PHASE_NAMES]
    if unknown:
        raise _bad("phases", f"only {', '.join(PHASE_NAMES)}", unknown[0], "rename or remove that phase")
    phases = []
    for name in PHASE_NAMES:
        body = phases_data.get(name)
        if body is None:
            continue
        if not isinstance(body, Mapping):
            raise _bad(f"phases.{name}", "a mapping with commands", body, "put the commands under 'commands:'")
        on_failure = str(body.get("on-failure", "ABORT")).upper()
        if on_failure not in ("ABORT", "CONTINUE"):
            raise _bad(f"phases.{name}.on-failure", "ABORT or CONTINUE", on_failure, "use ABORT or CONTINUE")
        phases.append(
            Phase(
                name=name,
                commands=_commands(body.get("commands"), f"phases.{name}.commands"),
                finally_commands=_commands(body.get("finally"), f"phases.{name}.finally"),
                on_failure="CONTINUE" if on_failure == "CONTINUE" else "ABORT",
            )
        )
    artifacts = None
    art = data.get("artifacts")
    if art is not None:
        if not isinstance(art, Mapping):
            raise _bad("artifacts", "a mapping with files", art, "list the files under artifacts.files")
        artifacts = Artifacts(
            files=_commands(art.get("files"), "artifacts.files"),
            base_directory=_scalar(art.get("base-directory", "")),
            discard_paths=_yes(art.get("discard-paths", False)),
            name=_scalar(art.get("name", "")),
        )
    return Buildspec(version=version, env=env, phases=tuple(phases), artifacts=artifacts)
