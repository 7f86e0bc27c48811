"""The Azure CLI mirror: ``az.sig.share.add(...)`` for ``az sig share add ...``.

Command groups are attributes, flags are keyword arguments named as the CLI's Python dest names, and
results are what ``az ... -o json`` prints. ``query=`` applies a JMESPath like ``--query``. Every command
takes ``subscription=`` (the CLI's global ``--subscription``). Long-running commands block like the CLI;
``no_wait=True`` returns a :class:`Poller` instead.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from ._cloud import Cloud, resolve
from ._session import Poller, Session

__all__ = ["Az"]

Tags = Optional[Dict[str, str]]


class _Group:
    def __init__(self, session: Session):
        self._s = session


class Az:
    """An Azure CLI session: ``az = gs.Az()`` or ``gs.Az(cloud=emulator.cloud)``.

    ``api_versions`` overrides api-versions per family (``"gallery"``, ``"compute"``, ``"resources"``,
    ``"subscriptions"``) or per command (``"sig.show_shared"``).
    """

    def __init__(self, cloud: Union[None, str, Cloud] = None, *, api_versions: Optional[Dict[str, str]] = None):
        self._s = Session(resolve(cloud), api_versions, ", ")
        self.account = _Account(self._s)
        self.group = _ResourceGroup(self._s)
        self.sig = _Sig(self._s)
        self.role = _Role(self._s)
        self.ad = _Ad(self._s)

    @property
    def cloud(self) -> Cloud:
        return self._s.cloud

    def login(self, *, service_principal: bool = False, username: Optional[str] = None, password: Optional[str] = None,
              tenant: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az login`` (``--service-principal -u APP_ID -p SECRET --tenant T``, or a user's ``-u -p``).
        Logging in to a second tenant keeps the first login, as the CLI does."""
        return self._s.call("login", locals(), query)

    def resume(self, continuation_token: str) -> Poller:
        """Continues a long-running operation from ``Poller.continuation_token()``."""
        return self._s.resume(continuation_token)

    def __repr__(self) -> str:
        return f"<galleryshare.Az cloud={self._s.cloud.name!r}>"


class _Account(_Group):
    def list(self, *, query: Optional[str] = None) -> Any:
        """``az account list``."""
        return self._s.call("account.list", {}, query)

    def show(self, *, subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az account show``."""
        return self._s.call("account.show", locals(), query)

    def set(self, *, subscription: str) -> None:
        """``az account set --subscription NAME_OR_ID``."""
        return self._s.call("account.set", locals())


class _ResourceGroup(_Group):
    def create(self, *, name: str, location: str, tags: Tags = None, subscription: Optional[str] = None,
               query: Optional[str] = None) -> Any:
        """``az group create --name --location``."""
        return self._s.call("group.create", locals(), query)

    def show(self, *, name: str, subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az group show --name``."""
        return self._s.call("group.show", locals(), query)


class _RoleAssignment(_Group):
    def create(self, *, role: str, scope: str, assignee: Optional[str] = None,
               assignee_object_id: Optional[str] = None, assignee_principal_type: Optional[str] = None,
               description: Optional[str] = None, name: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az role assignment create --role Reader --assignee EMAIL|APP_ID|OBJECT_ID --scope ID``.
        An identical existing assignment is returned as it is, as the CLI does."""
        return self._s.call("role.assignment.create", locals(), query)

    def list(self, *, scope: Optional[str] = None, assignee: Optional[str] = None, role: Optional[str] = None,
             subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az role assignment list [--scope] [--assignee] [--role]``."""
        return self._s.call("role.assignment.list", locals(), query)

    def delete(self, *, ids: Optional[List[str]] = None, scope: Optional[str] = None, assignee: Optional[str] = None,
               role: Optional[str] = None, subscription: Optional[str] = None) -> None:
        """``az role assignment delete --ids … | --assignee/--role/--scope``."""
        return self._s.call("role.assignment.delete", locals())


class _RoleDefinition(_Group):
    def list(self, *, name: Optional[str] = None, scope: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None) -> Any:
        """``az role definition list [--name Reader] [--scope]``."""
        return self._s.call("role.definition.list", locals(), query)


class _Role(_Group):
    def __init__(self, session: Session):
        super().__init__(session)
        self.assignment = _RoleAssignment(session)
        self.definition = _RoleDefinition(session)


class _AdUser(_Group):
    def show(self, *, id: str, query: Optional[str] = None) -> Any:  # noqa: A002 - the CLI's dest name
        """``az ad user show --id UPN_OR_OBJECT_ID``."""
        return self._s.call("ad.user.show", locals(), query)

    def list(self, *, upn: Optional[str] = None, display_name: Optional[str] = None, filter: Optional[str] = None,  # noqa: A002
             query: Optional[str] = None) -> Any:
        """``az ad user list [--upn] [--display-name PREFIX] [--filter ODATA]``."""
        return self._s.call("ad.user.list", locals(), query)


class _AdSp(_Group):
    def show(self, *, id: str, query: Optional[str] = None) -> Any:  # noqa: A002 - the CLI's dest name
        """``az ad sp show --id APP_ID_OR_OBJECT_ID``."""
        return self._s.call("ad.sp.show", locals(), query)

    def list(self, *, spn: Optional[str] = None, display_name: Optional[str] = None, filter: Optional[str] = None,  # noqa: A002
             query: Optional[str] = None) -> Any:
        """``az ad sp list [--spn] [--display-name PREFIX] [--filter ODATA]``."""
        return self._s.call("ad.sp.list", locals(), query)


class _Ad(_Group):
    def __init__(self, session: Session):
        super().__init__(session)
        self.user = _AdUser(session)
        self.sp = _AdSp(session)


class _Share(_Group):
    def add(self, *, resource_group: str, gallery_name: str, subscription_ids: Optional[List[str]] = None,
            tenant_ids: Optional[List[str]] = None, subscription: Optional[str] = None, no_wait: bool = False,
            query: Optional[str] = None) -> Any:
        """``az sig share add --subscription-ids … --tenant-ids …`` (the gallery must have ``permissions=Groups``)."""
        return self._s.call("sig.share.add", locals(), query)

    def remove(self, *, resource_group: str, gallery_name: str, subscription_ids: Optional[List[str]] = None,
               tenant_ids: Optional[List[str]] = None, subscription: Optional[str] = None, no_wait: bool = False,
               query: Optional[str] = None) -> Any:
        """``az sig share remove``."""
        return self._s.call("sig.share.remove", locals(), query)

    def reset(self, *, resource_group: str, gallery_name: str, subscription: Optional[str] = None,
              no_wait: bool = False, query: Optional[str] = None) -> Any:
        """``az sig share reset``: back to Private; every consumer loses sight at once."""
        return self._s.call("sig.share.reset", locals(), query)

    def wait(self, *, resource_group: str, gallery_name: str, timeout: int = 3600, interval: int = 30,
             subscription: Optional[str] = None) -> None:
        """``az sig share wait``: until the gallery's provisioning and sharing states settle."""
        return self._s.call("sig.share.wait", locals())


class _ImageDefinition(_Group):
    def create(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str, publisher: str,
               offer: str, sku: str, os_type: str, os_state: Optional[str] = None,
               hyper_v_generation: Optional[str] = None, architecture: Optional[str] = None,
               location: Optional[str] = None, description: Optional[str] = None, eula: Optional[str] = None,
               end_of_life_date: Optional[str] = None, privacy_statement_uri: Optional[str] = None,
               release_note_uri: Optional[str] = None, tags: Tags = None, subscription: Optional[str] = None,
               no_wait: bool = False, query: Optional[str] = None) -> Any:
        """``az sig image-definition create``."""
        return self._s.call("sig.image_definition.create", locals(), query)

    def show(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
             subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az sig image-definition show``."""
        return self._s.call("sig.image_definition.show", locals(), query)

    def list(self, *, resource_group: str, gallery_name: str, subscription: Optional[str] = None,
             query: Optional[str] = None) -> Any:
        """``az sig image-definition list``."""
        return self._s.call("sig.image_definition.list", locals(), query)

    def delete(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
               subscription: Optional[str] = None, no_wait: bool = False) -> Any:
        """``az sig image-definition delete``."""
        return self._s.call("sig.image_definition.delete", locals())

    def list_shared(self, *, gallery_unique_name: str, location: str, shared_to: Optional[str] = None,
                    subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az sig image-definition list-shared`` (consumer view)."""
        return self._s.call("sig.image_definition.list_shared", locals(), query)

    def show_shared(self, *, gallery_unique_name: str, location: str, gallery_image_definition: str,
                    subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az sig image-definition show-shared`` (consumer view)."""
        return self._s.call("sig.image_definition.show_shared", locals(), query)


class _ImageVersion(_Group):
    def create(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
               gallery_image_version: str, managed_image: Optional[str] = None,
               virtual_machine: Optional[str] = None, image_version: Optional[str] = None,
               target_regions: Optional[List[str]] = None, replica_count: Optional[int] = None,
               exclude_from_latest: Optional[bool] = None, end_of_life_date: Optional[str] = None,
               storage_account_type: Optional[str] = None, location: Optional[str] = None, tags: Tags = None,
               subscription: Optional[str] = None, no_wait: bool = False, query: Optional[str] = None) -> Any:
        """``az sig image-version create`` (``target_regions`` as the CLI takes them: ``"westus=2=standard_zrs"``)."""
        return self._s.call("sig.image_version.create", locals(), query)

    def show(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
             gallery_image_version: str, expand: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None) -> Any:
        """``az sig image-version show [--expand ReplicationStatus]``."""
        return self._s.call("sig.image_version.show", locals(), query)

    def list(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
             subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az sig image-version list``."""
        return self._s.call("sig.image_version.list", locals(), query)

    def delete(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
               gallery_image_version: str, subscription: Optional[str] = None, no_wait: bool = False) -> Any:
        """``az sig image-version delete``."""
        return self._s.call("sig.image_version.delete", locals())

    def list_shared(self, *, gallery_unique_name: str, gallery_image_definition: str, location: str,
                    shared_to: Optional[str] = None, subscription: Optional[str] = None,
                    query: Optional[str] = None) -> Any:
        """``az sig image-version list-shared`` (consumer view)."""
        return self._s.call("sig.image_version.list_shared", locals(), query)

    def show_shared(self, *, gallery_unique_name: str, gallery_image_definition: str, gallery_image_version: str,
                    location: str, subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az sig image-version show-shared`` (consumer view)."""
        return self._s.call("sig.image_version.show_shared", locals(), query)


class _Sig(_Group):
    def __init__(self, session: Session):
        super().__init__(session)
        self.share = _Share(session)
        self.image_definition = _ImageDefinition(session)
        self.image_version = _ImageVersion(session)

    def create(self, *, resource_group: str, gallery_name: str, location: Optional[str] = None,
               description: Optional[str] = None, permissions: Optional[str] = None,
               soft_delete: Optional[bool] = None, publisher_uri: Optional[str] = None,
               publisher_email: Optional[str] = None, eula: Optional[str] = None,
               public_name_prefix: Optional[str] = None, tags: Tags = None, subscription: Optional[str] = None,
               no_wait: bool = False, query: Optional[str] = None) -> Any:
        """``az sig create`` (``permissions``: Private, Groups or Community; location defaults to the group's)."""
        return self._s.call("sig.create", locals(), query)

    def show(self, *, resource_group: str, gallery_name: str, select: Optional[str] = None,
             sharing_groups: bool = False, subscription: Optional[str] = None, query: Optional[str] = None) -> Any:
        """``az sig show [--select Permissions] [--sharing-groups]``."""
        return self._s.call("sig.show", locals(), query)

    def list(self, *, resource_group: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None) -> Any:
        """``az sig list [-g RG]``."""
        return self._s.call("sig.list", locals(), query)

    def delete(self, *, resource_group: str, gallery_name: str, subscription: Optional[str] = None,
               no_wait: bool = False) -> Any:
        """``az sig delete``."""
        return self._s.call("sig.delete", locals())

    def list_shared(self, *, location: str, shared_to: Optional[str] = None, subscription: Optional[str] = None,
                    query: Optional[str] = None) -> Any:
        """``az sig list-shared --location L [--shared-to tenant]`` (consumer view)."""
        return self._s.call("sig.list_shared", locals(), query)

    def show_shared(self, *, gallery_unique_name: str, location: str, subscription: Optional[str] = None,
                    query: Optional[str] = None) -> Any:
        """``az sig show-shared`` (consumer view)."""
        return self._s.call("sig.show_shared", locals(), query)
