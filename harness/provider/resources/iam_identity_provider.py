"""IAM identity providers: OpenID Connect (how GitHub Actions and other CI systems assume deploy roles) and SAML.

A role's trust policy names a provider by ARN (``Principal: {Federated: arn:...:oidc-provider/HOST}``). Wherever
a source spells out the ARN of a provider it declares, the trust policy is made to refer to the provider, so the
role is deployed after it and the claims know which declared provider they exercise.

An OIDC provider has no name of its own in IAM: its ARN is made of its URL, and an account has one provider per
URL. The harness tags each provider it creates with its physical name, which is how the sweeper finds them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from harness.model.base import Resource, Tags
from harness.model.schema import Cfn, Draft, Field, Reader, Schema, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list

OWNER_TAG = "pipewarden:name"
"""The tag naming the physical name of an OIDC provider the harness created (providers have no name)."""

_THUMBPRINT = re.compile(r"[0-9A-Fa-f]{40}")
# AWS's limits: five thumbprints and a hundred client ids per provider, client ids of 1 to 255 characters.
MAX_THUMBPRINTS = 5
MAX_CLIENT_IDS = 100


def issuer_of(url: str) -> str:
    """The provider's identifier in its ARN and condition keys: the URL without ``https://``.

    ``https://token.actions.githubusercontent.com`` gives ``token.actions.githubusercontent.com``, so the ARN is
    ``arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com`` and the keys are
    ``token.actions.githubusercontent.com:sub`` and ``token.actions.githubusercontent.com:aud``.
    """
    parts = urlsplit(url)
    return parts.netloc + parts.path


@dataclass(frozen=True, slots=True)
class OidcProvider(Resource):
    """An IAM OpenID Connect identity provider.

    Attributes:
        url: the issuer URL (``https://token.actions.githubusercontent.com``); the ``iss`` claim of its tokens.
        client_ids: the audiences IAM accepts in its tokens (``sts.amazonaws.com`` for GitHub Actions).
        thumbprints: certificate thumbprints of the issuer (40 hex digits each).
        tags: the provider's tags.
    """

    SECTION: ClassVar[str] = "oidc_providers"
    KIND: ClassVar[str] = "IAM OIDC identity provider"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "url")

    url: str = ""
    client_ids: tuple[str, ...] = ()
    thumbprints: tuple[str, ...] = ()
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment or len(self.url) > 255:
            raise ValueError(
                f"an issuer URL starting with https:// (at most 255 characters, no query), found {self.url!r}; "
                "give the URL of the identity provider, e.g. https://token.actions.githubusercontent.com"
            )
        if len(self.client_ids) > MAX_CLIENT_IDS or any(not 1 <= len(c) <= 255 for c in self.client_ids):
            raise ValueError(
                f"at most {MAX_CLIENT_IDS} client ids of 1 to 255 characters, found {list(self.client_ids)}; "
                "list the audiences the provider's tokens carry, e.g. sts.amazonaws.com"
            )
        bad = [t for t in self.thumbprints if not _THUMBPRINT.fullmatch(t)]
        if bad or len(self.thumbprints) > MAX_THUMBPRINTS:
            raise ValueError(
                f"at most {MAX_THUMBPRINTS} thumbprints of 40 hex digits, found {list(self.thumbprints)}; "
                "give the SHA-1 thumbprints of the issuer's certificates"
            )

    @property
    def issuer(self) -> str:
        """The URL without ``https://`` (see :func:`issuer_of`)."""
        return issuer_of(self.url)


class OidcProviderHandler(Handler[OidcProvider]):
    resource_type = OidcProvider
    # After the roles whose trust policies name it.
    sweep_order = 85

    def arn(self, ctx: ProviderContext, resource: OidcProvider) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:oidc-provider/{resource.issuer}"

    def state(self, ctx: ProviderContext, resource: OidcProvider) -> ResourceState:
        return ResourceState(
            str(resource.address), ctx.physical_name(resource), self.arn(ctx, resource), {"url": resource.url}
        )

    def desired(self, ctx: ProviderContext, resource: OidcProvider) -> dict[str, Any]:
        return {
            "url": resource.issuer,
            "client_ids": sorted(resource.client_ids),
            "thumbprints": sorted(t.lower() for t in resource.thumbprints),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: OidcProvider) -> dict[str, Any] | None:
        found = self._get(ctx, self.arn(ctx, resource))
        if found is None or _owner(found) != ctx.physical_name(resource):
            # A provider for the same URL that the harness did not create here is not this resource: creating
            # this one will meet it (IAM allows one provider per URL), and that error says so.
            return None
        return _comparable(found)

    @staticmethod
    def _get(ctx: ProviderContext, arn: str) -> Mapping[str, Any] | None:
        try:
            return ctx.clients("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=arn)  # type: ignore[no-any-return]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise

    def create(self, ctx: ProviderContext, resource: OidcProvider) -> ResourceState:
        iam = ctx.clients("iam")
        tags = {**resource.tags, OWNER_TAG: ctx.physical_name(resource)}
        iam.create_open_id_connect_provider(
            Url=resource.url,
            ClientIDList=list(resource.client_ids),
            ThumbprintList=list(resource.thumbprints),
            Tags=tags_list(tags),
        )
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: OidcProvider, changed: frozenset[str]) -> ResourceState:
        iam = ctx.clients("iam")
        arn = self.arn(ctx, resource)
        current = self._get(ctx, arn)
        if current is None or "url" in changed:
            # The URL is the provider's identity: another URL is another provider.
            self.delete_physical(ctx, ctx.physical_name(resource))
            return self.create(ctx, resource)
        if "client_ids" in changed:
            have = set(current.get("ClientIDList", []))
            for client_id in sorted(have - set(resource.client_ids)):
                iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=client_id)
            for client_id in sorted(set(resource.client_ids) - have):
                iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=client_id)
        if "thumbprints" in changed:
            iam.update_open_id_connect_provider_thumbprint(
                OpenIDConnectProviderArn=arn, ThumbprintList=list(resource.thumbprints)
            )
        if "tags" in changed:
            stale = [k for k in tags_dict(current.get("Tags", [])) if k not in resource.tags and k != OWNER_TAG]
            if stale:
                iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=stale)
            if resource.tags:
                iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: OidcProvider) -> None:
        found = self._get(ctx, self.arn(ctx, resource))
        if found is not None and _owner(found) == ctx.physical_name(resource):
            self._delete(ctx, self.arn(ctx, resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        return sorted(name for name in self._owned(ctx) if name.startswith(prefix))

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        arn = self._owned(ctx).get(physical_id)
        if arn is not None:
            self._delete(ctx, arn)

    def _owned(self, ctx: ProviderContext) -> dict[str, str]:
        """The providers the harness created, by physical name."""
        iam = ctx.clients("iam")
        owned: dict[str, str] = {}
        for listed in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            found = self._get(ctx, listed["Arn"])
            owner = _owner(found) if found is not None else None
            if owner:
                owned[owner] = listed["Arn"]
        return owned

    @staticmethod
    def _delete(ctx: ProviderContext, arn: str) -> None:
        try:
            ctx.clients("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


def _owner(provider: Mapping[str, Any]) -> str | None:
    return tags_dict(provider.get("Tags", [])).get(OWNER_TAG)


def _comparable(provider: Mapping[str, Any]) -> dict[str, Any]:
    tags = tags_dict(provider.get("Tags", []))
    tags.pop(OWNER_TAG, None)
    return {
        "url": issuer_of("https://" + str(provider.get("Url", "")).removeprefix("https://")),
        "client_ids": sorted(provider.get("ClientIDList", [])),
        "thumbprints": sorted(t.lower() for t in provider.get("ThumbprintList", [])),
        "tags": tags,
    }


@dataclass(frozen=True, slots=True)
class SamlProvider(Resource):
    """An IAM SAML 2.0 identity provider (a corporate identity provider people sign in through).

    Attributes:
        metadata: the provider's SAML metadata document (XML, at least 1000 characters as IAM requires).
        tags: the provider's tags.
    """

    SECTION: ClassVar[str] = "saml_providers"
    KIND: ClassVar[str] = "IAM SAML identity provider"

    metadata: str = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        text = self.metadata.strip()
        if not text.startswith("<") or not 1000 <= len(self.metadata) <= 10_000_000:
            raise ValueError(
                f"a SAML metadata document (XML of at least 1000 characters), found {len(self.metadata)} characters"
                + ("" if text.startswith("<") else " that are not XML")
                + "; give the metadata document the identity provider publishes"
            )


class SamlProviderHandler(Handler[SamlProvider]):
    resource_type = SamlProvider
    sweep_order = 85

    def arn(self, ctx: ProviderContext, resource: SamlProvider) -> str:
        return self._arn(ctx, ctx.physical_name(resource))

    @staticmethod
    def _arn(ctx: ProviderContext, physical: str) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:saml-provider/{physical}"

    def desired(self, ctx: ProviderContext, resource: SamlProvider) -> dict[str, Any]:
        return {"metadata": resource.metadata, "tags": dict(resource.tags)}

    def read(self, ctx: ProviderContext, resource: SamlProvider) -> dict[str, Any] | None:
        iam = ctx.clients("iam")
        arn = self.arn(ctx, resource)
        try:
            found = iam.get_saml_provider(SAMLProviderArn=arn)
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        tags = iam.list_saml_provider_tags(SAMLProviderArn=arn).get("Tags", [])
        return {"metadata": found.get("SAMLMetadataDocument", ""), "tags": tags_dict(tags)}

    def create(self, ctx: ProviderContext, resource: SamlProvider) -> ResourceState:
        iam = ctx.clients("iam")
        kwargs: dict[str, Any] = {"Name": ctx.physical_name(resource), "SAMLMetadataDocument": resource.metadata}
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = iam.create_saml_provider(**kwargs)["SAMLProviderArn"]
        return ResourceState(str(resource.address), ctx.physical_name(resource), arn)

    def update(self, ctx: ProviderContext, resource: SamlProvider, changed: frozenset[str]) -> ResourceState:
        iam = ctx.clients("iam")
        arn = self.arn(ctx, resource)
        if "metadata" in changed:
            iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=resource.metadata)
        if "tags" in changed:
            current = tags_dict(iam.list_saml_provider_tags(SAMLProviderArn=arn).get("Tags", []))
            stale = [k for k in current if k not in resource.tags]
            if stale:
                iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=stale)
            if resource.tags:
                iam.tag_saml_provider(SAMLProviderArn=arn, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: SamlProvider) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        listed = ctx.clients("iam").list_saml_providers()["SAMLProviderList"]
        names = (p["Arn"].rsplit("/", 1)[-1] for p in listed)
        return sorted(n for n in names if n.startswith(prefix))

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        try:
            ctx.clients("iam").delete_saml_provider(SAMLProviderArn=self._arn(ctx, physical_id))
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


HANDLERS = (OidcProviderHandler(), SamlProviderHandler())


# -- how the source formats spell identity providers -----------------------------------------------------------


def _spellings(draft: Draft, issuer: str) -> dict[str, str]:
    """The ARN of a declared OIDC provider as sources spell it out, mapped to the reference that replaces it.

    Its URL is its identity, so a template that writes ``arn:aws:iam::${AWS::AccountId}:oidc-provider/HOST``
    names the provider it declares for HOST as surely as ``!Ref`` would.
    """
    reference = f"${{{draft.cls.SECTION}.{draft.name}.arn}}"
    return {
        f"arn:{partition}:iam::${{account_id}}:oidc-provider/{issuer}": reference
        for partition in ("${partition}", "aws", "aws-cn", "aws-us-gov")
    }


def _refer(value: Any, spellings: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return spellings.get(value, value)
    if isinstance(value, Mapping):
        return {k: _refer(v, spellings) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_refer(v, spellings) for v in value)
    return value


def _trusted_by_roles(reader: Reader, spellings: Mapping[str, str]) -> None:
    """Trust policies that spell out a declared provider's ARN refer to the provider instead."""
    for role in reader.declared("roles"):
        trust = role.kwargs.get("trust_policy")
        if trust is not None:
            role.kwargs["trust_policy"] = _refer(trust, spellings)


def _check_oidc(reader: Reader, draft: Draft) -> None:
    url = draft.kwargs.get("url")
    if isinstance(url, str) and url:
        _trusted_by_roles(reader, _spellings(draft, issuer_of(url)))


SCHEMAS = (
    Schema(
        OidcProvider,
        fields=(
            Field("url", cfn="Url", tf="url", required=True),
            Field("client_ids", cfn="ClientIdList", tf="client_id_list", read="strings"),
            Field("thumbprints", cfn="ThumbprintList", tf="thumbprint_list", read="strings"),
            Field("tags", cfn="Tags", tf="tags", read="tags"),
        ),
        cfn=Cfn("AWS::IAM::OIDCProvider", ref="{arn}", attributes={"Arn": "{arn}"}),
        tf=Tf("aws_iam_openid_connect_provider", name="url", attributes={"arn": "arn", "id": "arn", "url": "url"}),
        check=_check_oidc,
    ),
    Schema(
        SamlProvider,
        fields=(
            Field("metadata", cfn="SamlMetadataDocument", tf="saml_metadata_document", required=True),
            Field("tags", cfn="Tags", tf="tags", read="tags"),
        ),
        cfn=Cfn(
            "AWS::IAM::SAMLProvider",
            ref="{arn}",
            attributes={"Arn": "{arn}", "SamlProviderUUID": None},
            name="Name",
            # Added by IAM's newer SAML encryption and key rotation settings; they do not change who may sign in.
            ignore=("AddPrivateKey", "AssertionEncryptionMode", "PrivateKeyList", "RemovePrivateKey"),
        ),
        tf=Tf(
            "aws_iam_saml_provider",
            name="name",
            attributes={"arn": "arn", "id": "arn", "name": "name"},
            ignore=("valid_until", "saml_provider_uuid"),
        ),
    ),
)
