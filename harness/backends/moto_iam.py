"""IAM operations moto does not implement and the harness relies on: a user's permissions boundary, the client
ids of an OIDC provider and the tags of a SAML provider.

moto stores no permissions boundary for users (``PutUserPermissionsBoundary`` and
``DeleteUserPermissionsBoundary`` are not implemented and ``CreateUser`` drops the parameter), so a boundary
deployed on a user would silently not limit it. moto also lacks ``AddClientIDToOpenIDConnectProvider``,
``RemoveClientIDFromOpenIDConnectProvider`` and the tags of SAML providers (``CreateSAMLProvider`` drops them;
``TagSAMLProvider``, ``UntagSAMLProvider`` and ``ListSAMLProviderTags`` are not implemented). Two updates are
incomplete: ``UpdateGroup`` ignores a new path unless the group is renamed too, and ``UpdateUser`` with a new path
loses the user's tags (moto keeps them by ARN, and the ARN holds the path).

These operations are taught to moto's IAM, with AWS's behaviour and errors, so that every client (the handlers,
the policy reader, a scenario identity after enforcement) uses the same API as against AWS. Applies to the
in-process moto and the moto server the harness starts (which runs in this process); other backends implement
the operations themselves. They are added to moto's IAM response class once per process and only where moto has
none of its own: moto's state is process-wide, and the additions change nothing moto already does.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_MARK = "_pipewarden_iam"


def teach_moto_iam() -> None:
    """Add the missing IAM operations to moto (idempotent; a no-op where moto implements them itself)."""
    try:
        from moto.iam.responses import IamResponse
    except ImportError:  # pragma: no cover - moto is a dependency of both moto backends
        return
    with _LOCK:
        if getattr(IamResponse, _MARK, False):
            return
        for name, method in _OPERATIONS.items():
            if not hasattr(IamResponse, name):
                setattr(IamResponse, name, method)
        original = IamResponse.create_user

        def create_user(self: Any) -> Any:
            # AWS sets the boundary given to CreateUser; moto ignores the parameter.
            boundary = self._get_param("PermissionsBoundary")
            if boundary:
                _check_policy_arn(self.backend, boundary)
            result = original(self)
            if boundary:
                _set_boundary(self.backend.get_user(self._get_param("UserName")), boundary)
            return result

        setattr(IamResponse, "create_user", create_user)  # noqa: B010 - replacing a method of moto's class
        _wrap_saml_provider(IamResponse)
        _wrap_paths(IamResponse)
        setattr(IamResponse, _MARK, True)


def _wrap_paths(response_class: Any) -> None:
    update_user, update_group = response_class.update_user, response_class.update_group

    def update_user_keeping_tags(self: Any) -> Any:
        name = self._get_param("UserName")
        before = self.backend.get_user(name).arn
        tags = self.backend.tagger.list_tags_for_resource(before)["Tags"]
        result = update_user(self)
        after = self.backend.get_user(self._get_param("NewUserName") or name).arn
        if after != before:
            self.backend.tagger.delete_all_tags_for_resource(before)
            if tags:
                self.backend.tagger.tag_resource(after, tags)
        return result

    def update_group_path(self: Any) -> Any:
        result = update_group(self)
        path = self._get_param("NewPath")
        if path and not self._get_param("NewGroupName"):
            self.backend.get_group(self._get_param("GroupName")).path = path
        return result

    response_class.update_user = update_user_keeping_tags
    response_class.update_group = update_group_path


def _wrap_saml_provider(response_class: Any) -> None:
    create, delete = response_class.create_saml_provider, response_class.delete_saml_provider

    def create_saml_provider(self: Any) -> Any:
        tags = self._get_param("Tags", [])
        result = create(self)
        if tags:
            self.backend.tagger.tag_resource(_saml_arn(self, self._get_param("Name")), tags)
        return result

    def delete_saml_provider(self: Any) -> Any:
        arn = self._get_param("SAMLProviderArn")
        result = delete(self)
        # A provider made again under the same name starts without the old one's tags.
        self.backend.tagger.delete_all_tags_for_resource(arn)
        return result

    response_class.create_saml_provider = create_saml_provider
    response_class.delete_saml_provider = delete_saml_provider


def _boundary_of(arn: str) -> dict[str, str]:
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def _set_boundary(user: Any, arn: str | None) -> None:
    # moto serializes a user's attributes by the GetUser output shape: ``permissions_boundary`` becomes the
    # user's PermissionsBoundary element (left out when empty, as AWS leaves it out).
    user.permissions_boundary = _boundary_of(arn) if arn else None


def _check_policy_arn(backend: Any, arn: str) -> None:
    """AWS refuses a boundary that is not a policy ARN (InvalidInput) or names no policy (NoSuchEntity)."""
    from moto.iam.exceptions import InvalidInput, NotFoundException

    if not backend.policy_arn_regex.match(arn):
        raise InvalidInput(f"ARN {arn} is not valid.")
    try:
        backend.get_policy(arn)
    except NotFoundException:
        raise NotFoundException(f"Policy {arn} does not exist or is not attachable.") from None


def _put_user_permissions_boundary(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    arn = self._get_param("PermissionsBoundary")
    user = self.backend.get_user(self._get_param("UserName"))
    _check_policy_arn(self.backend, arn)
    _set_boundary(user, arn)
    return EmptyResult()


def _delete_user_permissions_boundary(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    _set_boundary(self.backend.get_user(self._get_param("UserName")), None)
    return EmptyResult()


def _add_client_id(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    # Adding a client id the provider already has succeeds and changes nothing.
    if client_id not in provider.client_id_list:
        provider.client_id_list.append(client_id)
    return EmptyResult()


def _remove_client_id(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    # Removing a client id the provider does not have succeeds and changes nothing.
    if client_id in provider.client_id_list:
        provider.client_id_list.remove(client_id)
    return EmptyResult()


def _saml_arn(self: Any, name: str) -> str:
    return str(self.backend.saml_providers[name].arn)


def _list_saml_provider_tags(self: Any) -> Any:
    from moto.core.responses import ActionResult

    provider = self.backend.get_saml_provider(self._get_param("SAMLProviderArn"))
    tags = self.backend.tagger.list_tags_for_resource(provider.arn)["Tags"]
    return ActionResult({"Tags": tags, "IsTruncated": False})


def _tag_saml_provider(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    provider = self.backend.get_saml_provider(self._get_param("SAMLProviderArn"))
    self.backend.tagger.tag_resource(provider.arn, self._get_param("Tags", []))
    return EmptyResult()


def _untag_saml_provider(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    provider = self.backend.get_saml_provider(self._get_param("SAMLProviderArn"))
    self.backend.tagger.untag_resource_using_names(provider.arn, self._get_param("TagKeys", []))
    return EmptyResult()


_OPERATIONS = {
    "put_user_permissions_boundary": _put_user_permissions_boundary,
    "delete_user_permissions_boundary": _delete_user_permissions_boundary,
    "add_client_id_to_open_id_connect_provider": _add_client_id,
    "remove_client_id_from_open_id_connect_provider": _remove_client_id,
    "list_saml_provider_tags": _list_saml_provider_tags,
    "tag_saml_provider": _tag_saml_provider,
    "untag_saml_provider": _untag_saml_provider,
}

__all__ = ["teach_moto_iam"]
