"""The Azure PowerShell mirror: ``ps.Update_AzGallery(...)`` for ``Update-AzGallery ...``.

Cmdlets are methods (hyphen → underscore), parameters keep PowerShell's PascalCase names, switches are
``True``/``False``, and results are :class:`PSObject` s with PascalCase attributes (``$gallery.Name`` →
``gallery.Name``). As in PowerShell, a cmdlet that finds one object returns it, several return a list.
"""

from __future__ import annotations

from ._cloud import Cloud, resolve
from ._credentials import only_one, read_certificate
from ._session import Session
from ._tables import _escape
from .exceptions import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Any, Callable, Dict, Generator, Iterator, List, Optional, Union

    from ._credentials import PathOrPem

__all__ = ["PSCredential", "PSObject", "PSVirtualMachine", "Pwsh"]


class PSCredential:
    """``Get-Credential`` / ``New-Object PSCredential(appId, secret)``; the secret never shows."""

    def __init__(self, UserName: str, Password: str):
        if not isinstance(UserName, str) or not isinstance(Password, str):
            raise TypeError("PSCredential takes UserName (a user name or app id) and Password (a password or "
                            "secret) as strings")
        self.UserName = UserName
        self._password = Password

    def GetNetworkCredential(self) -> "PSObject":
        return PSObject({"UserName": self.UserName, "Password": self._password})

    def __repr__(self) -> str:
        return f"PSCredential(UserName={self.UserName!r}, Password=<hidden>)"


class PSObject:
    """A PowerShell output object: attributes in PascalCase, ``to_dict()``, a readable ``repr``, and an
    HTML table in Jupyter."""

    __slots__ = ("_data",)

    def __init__(self, data: Dict[str, Any]):
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        if name in data:
            return _wrap(data[name])
        for key in data:  # PowerShell property names are case-insensitive
            if key.lower() == name.lower():
                return _wrap(data[key])
        raise AttributeError(f"{name!r} is not a property of this object (properties: {', '.join(data)})")

    def __setattr__(self, name: str, value: Any) -> None:
        self._data[name] = value

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __contains__(self, name: str) -> bool:
        return any(k.lower() == name.lower() for k in self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PSObject) and other._data == self._data

    def __dir__(self) -> List[str]:
        return list(self._data)

    def to_dict(self) -> Dict[str, Any]:
        import json

        return json.loads(json.dumps(self._data))

    def __repr__(self) -> str:
        width = max((len(k) for k in self._data), default=0)
        lines = [f"{k.ljust(width)} : {_brief(v)}" for k, v in self._data.items()]
        return "\n".join(lines) if lines else "PSObject()"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{_escape(k)}</th><td style='text-align:left'>"
                       f"{_escape(_brief(v))}</td></tr>" for k, v in self._data.items())
        return f"<table>{rows}</table>"


def _brief(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        import json

        return json.dumps(v, separators=(", ", ": "))
    return str(v)


def _wrap(v: Any) -> Any:
    if isinstance(v, dict):
        return PSObject(v)
    if isinstance(v, list):
        return [_wrap(i) for i in v]
    return v


def _wrap_all(v: Any) -> List[Any]:
    return [_wrap(i) for i in (v or [])]


def _nothing(_: Any) -> None:
    return None


def _pascal_rows(rows: List[Dict[str, Any]]) -> List[PSObject]:
    """Rows of a galleryshare-only command, with PowerShell's PascalCase property names."""
    return [PSObject({k[:1].upper() + k[1:]: v for k, v in r.items()}) for r in rows]


def _unroll(v: Any) -> Any:
    """PowerShell's pipeline: one object is returned as itself, none as None, several as a list."""
    if isinstance(v, list):
        items = [_wrap(i) for i in v]
        return None if not items else items[0] if len(items) == 1 else items
    return _wrap(v)


def _need(**params: Any) -> None:
    for name, value in params.items():
        if value is None:
            raise ValidationError(f"Cannot process command because of one or more missing mandatory parameters: {name}.",
                                  parameter=name)


# How PowerShell names the parameters the core validates under their CLI names. Where one CLI name stands for
# two cmdlet parameters, the command decides: `gallery_name` is -Name on a gallery cmdlet and -GalleryName on an
# image cmdlet.
_PS_PARAMETERS = {
    "resource_group": "ResourceGroupName", "location": "Location", "name": "Name", "description": "Description",
    "tags": "Tag", "permissions": "Permission", "subscription_ids": "Subscription", "tenant_ids": "Tenant",
    "publisher_uri": "PublisherUri", "publisher_email": "PublisherContact", "eula": "Eula",
    "public_name_prefix": "PublicNamePrefix", "gallery_unique_name": "GalleryUniqueName",
    "public_gallery_name": "GalleryPublicName", "shared_to": "Scope", "gallery_image_version": "Name",
    "publisher": "Publisher", "offer": "Offer", "sku": "Sku", "os_type": "OsType", "os_state": "OsState",
    "hyper_v_generation": "HyperVGeneration", "managed_image": "SourceImageId", "target_regions": "TargetRegion",
    "replica_count": "ReplicaCount", "storage_account_type": "StorageAccountType",
    "end_of_life_date": "EndOfLifeDate", "exclude_from_latest": "PublishingProfileExcludeFromLatest",
    "scope": "Scope", "role": "RoleDefinitionName", "assignee_object_id": "ObjectId",
    "assignee_principal_type": "ObjectType", "subscription": "Subscription", "tenant": "Tenant",
    "vnet_name": "VirtualNetworkName", "nsg": "SecurityGroupName", "instance_count": "InstanceCount",
    "upgrade_policy_mode": "UpgradePolicyMode", "vm_sku": "VmSize", "spn": "ServicePrincipalName",
}
_PS_REMOVE = {"subscription_ids": "RemoveSubscription", "tenant_ids": "RemoveTenant"}


def _ps_parameter(op: str, dest: str) -> str:
    """The cmdlet parameter behind the CLI dest name `dest` of command `op` (the dest itself if none)."""
    image_level = op.startswith(("sig.image_definition.", "sig.image_version."))
    if dest == "gallery_name":
        return "GalleryName" if image_level else "Name"
    if dest == "gallery_image_definition":
        return "GalleryImageDefinitionName" if op.startswith("sig.image_version.") else "Name"
    if op == "sig.share.remove" and dest in _PS_REMOVE:
        return _PS_REMOVE[dest]
    return _PS_PARAMETERS.get(dest, dest)


class Pwsh:
    """An Azure PowerShell session: ``ps = gs.Pwsh()`` or ``gs.Pwsh(cloud=emulator.cloud)``."""

    _Session = Session

    def __init__(self, cloud: Union[None, str, Cloud] = None, *, api_versions: Optional[Dict[str, str]] = None,
                 progress: bool = True):
        # PowerShell joins auxiliary tokens with ";" where the CLI uses ", ".
        self._s = self._Session(resolve(cloud), api_versions, ";", progress)
        self._s.param_name = _ps_parameter

    def _run(self, op: str, args: Dict[str, Any], kind: Optional[str] = "Resource", unroll: bool = True,
             unwrap: Optional[str] = None, then: Optional[Callable[[Any], Any]] = None) -> Any:
        """One command whose result becomes PowerShell objects (``then`` post-processes them)."""
        args = {k: v for k, v in args.items() if v is not None}
        present = _unroll if unroll else _wrap_all
        finish = present if then is None else (lambda out: then(present(out)))
        if unwrap is not None:  # a command the CLI wraps (`{"NewNIC": …}`): take the object out, then shape it
            return self._s.call(op, args, then=lambda out: self._run_shape(out[unwrap], kind))
        if kind is None:
            return self._s.call(op, args, then=finish)
        return self._s.call_pwsh(op, args, kind, then=finish)

    def _run_shape(self, value: Any, kind: Optional[str]) -> Any:
        return _unroll(self._s.shape_pwsh(value, kind or "Resource"))

    def _scope(self, Scope: Optional[str], ResourceGroupName: Optional[str], ResourceName: Optional[str],
               ResourceType: Optional[str], ParentResource: Optional[str] = None) -> Optional[str]:
        """New-AzRoleAssignment's scope parameter sets, as one scope id."""
        if Scope is not None:
            return Scope
        if ResourceGroupName is None:
            return None
        sub = self._s.local("account.show", {})["id"]
        scope = f"/subscriptions/{sub}/resourceGroups/{ResourceGroupName}"
        if ResourceName is not None or ResourceType is not None:
            _need(ResourceName=ResourceName, ResourceType=ResourceType)
            parent = f"/{ParentResource}" if ParentResource else ""
            namespace, _, rtype = ResourceType.partition("/")
            scope += f"/providers/{namespace}{parent}/{rtype}/{ResourceName}"
        return scope

    # ---- Az.Accounts -------------------------------------------------------------------------------

    def Connect_AzAccount(self, *, Credential: Optional[PSCredential] = None, ServicePrincipal: bool = False,
                          Tenant: Optional[str] = None, Subscription: Optional[str] = None,
                          ApplicationId: Optional[str] = None, CertificatePath: Optional[PathOrPem] = None,
                          FederatedToken: Optional[str] = None, Identity: bool = False,
                          AccountId: Optional[str] = None, TokenCredential: Any = None) -> PSObject:
        """``Connect-AzAccount``; a second call for another tenant keeps both logins (cross-tenant work needs both).

        - ``ServicePrincipal=True, Credential=gs.PSCredential(app_id, secret), Tenant=T`` (``-Credential $cred``),
          or ``Credential=gs.PSCredential(user, password)`` for a user;
        - ``ServicePrincipal=True, ApplicationId=APP_ID, CertificatePath=PATH, Tenant=T``
          (``-CertificatePath``): here a PEM file (or its text) with the certificate and its unencrypted RSA key,
          where PowerShell takes a PFX;
        - ``ServicePrincipal=True, ApplicationId=APP_ID, FederatedToken=TOKEN, Tenant=T`` (``-FederatedToken``):
          workload identity federation;
        - ``Identity=True`` (``-Identity``): the host's managed identity; ``AccountId=CLIENT_ID`` picks a
          user-assigned one;
        - ``TokenCredential=cred``: any object with azure-core's ``get_token(*scopes, **kwargs)`` (an
          ``azure.identity`` credential). PowerShell has no such parameter (its nearest is ``-AccessToken``, a
          single token that cannot refresh); ``Tenant`` defaults to the ``tid`` claim of the first token.

        ``Subscription`` selects the current subscription (``-Subscription``)."""
        if TokenCredential is not None:
            only_one("TokenCredential=", Credential=Credential, CertificatePath=CertificatePath)
            handle = self._s.native.register_credential(TokenCredential)
            return self._s.steps(self._connect({"credential": handle, "tenant": Tenant}, Subscription))
        if Identity:
            only_one("Identity=True", Credential=Credential, CertificatePath=CertificatePath, FederatedToken=FederatedToken)
            return self._s.steps(self._connect({"identity": True, "username": AccountId}, Subscription))
        if FederatedToken is not None:
            only_one("FederatedToken=", Credential=Credential, CertificatePath=CertificatePath)
            _need(ApplicationId=ApplicationId, Tenant=Tenant)
            return self._s.steps(self._connect({"service_principal": ServicePrincipal, "username": ApplicationId,
                                                "tenant": Tenant, "federated_token": FederatedToken}, Subscription))
        if CertificatePath is not None:
            only_one("CertificatePath=", Credential=Credential)
            _need(ApplicationId=ApplicationId, Tenant=Tenant)
            return self._s.steps(self._connect({"service_principal": ServicePrincipal, "username": ApplicationId,
                                                "tenant": Tenant, "certificate": read_certificate(
                                                    CertificatePath, "CertificatePath")}, Subscription))
        if not isinstance(Credential, PSCredential):
            raise TypeError("Credential must be a galleryshare.PSCredential(app_id_or_user, secret_or_password)")
        if ServicePrincipal:
            _need(Tenant=Tenant)
        return self._s.steps(self._connect({"service_principal": ServicePrincipal, "username": Credential.UserName,
                                            "password": Credential._password, "tenant": Tenant}, Subscription))

    def _connect(self, login: Dict[str, Any], subscription: Optional[str]) -> Generator[Any, Any, Any]:
        yield self._s.call("login", login)
        if subscription is not None:
            self._s.local("account.set", {"subscription": subscription})
        return (yield self.Get_AzContext())

    def Get_AzContext(self) -> PSObject:
        """``Get-AzContext``."""
        return self._run("account.show", {}, "Context")

    def Set_AzContext(self, *, Subscription: str, Tenant: Optional[str] = None) -> PSObject:
        """``Set-AzContext -Subscription S``."""
        self._s.local("account.set", {"subscription": Subscription})
        return self.Get_AzContext()

    def Get_AzSubscription(self) -> Any:
        """``Get-AzSubscription``: the subscriptions the logins reach."""
        return self._s.call("account.list", {}, then=lambda subs: _unroll(
            [{"Name": s["name"], "Id": s["id"], "TenantId": s["tenantId"], "State": s["state"]} for s in subs]))

    # ---- Az.Resources: resource groups, Entra ID, role assignments ---------------------------------

    def New_AzResourceGroup(self, *, Name: str, Location: str, Tag: Optional[Dict[str, str]] = None) -> PSObject:
        """``New-AzResourceGroup -Name -Location [-Tag]``."""
        return self._run("group.create", {"name": Name, "location": Location, "tags": Tag}, "ResourceGroup")

    def Get_AzResourceGroup(self, *, Name: Optional[str] = None) -> Any:
        """``Get-AzResourceGroup [-Name]``."""
        if Name is None:
            return self._run("group.list", {}, "ResourceGroup")
        return self._run("group.show", {"name": Name}, "ResourceGroup")

    def Get_AzADUser(self, *, StartsWith: Optional[str] = None, UserPrincipalName: Optional[str] = None,
                     Mail: Optional[str] = None, ObjectId: Optional[str] = None, DisplayName: Optional[str] = None) -> Any:
        """``Get-AzADUser -StartsWith X | -UserPrincipalName | -Mail | -ObjectId | -DisplayName``."""
        if ObjectId is not None:
            return self._run("ad.user.show", {"id": ObjectId}, "GraphObject")
        filters = {
            "StartsWith": StartsWith and f"startsWith(displayName,'{_odata(StartsWith)}')",
            "UserPrincipalName": UserPrincipalName and f"userPrincipalName eq '{_odata(UserPrincipalName)}'",
            "Mail": Mail and f"mail eq '{_odata(Mail)}'",
            "DisplayName": DisplayName and f"displayName eq '{_odata(DisplayName)}'",
        }
        named = [k for k, f in filters.items() if f]
        given = [filters[k] for k in named]
        if len(given) > 1:
            raise ValidationError("Parameter set cannot be resolved using the specified named parameters "
                                  f"(-{' and -'.join(named)} belong to different sets).", parameter=named[0])
        return self._run("ad.user.list", {"filter": given[0] if given else None}, "GraphObject")

    def Get_AzADServicePrincipal(self, *, ApplicationId: Optional[str] = None, ObjectId: Optional[str] = None,
                                 DisplayName: Optional[str] = None, ServicePrincipalName: Optional[str] = None) -> Any:
        """``Get-AzADServicePrincipal -ApplicationId | -ObjectId | -DisplayName | -ServicePrincipalName``."""
        if ObjectId is not None:
            return self._run("ad.sp.show", {"id": ObjectId}, "GraphObject")
        if ApplicationId is not None:
            return self._run("ad.sp.list", {"filter": f"appId eq '{_odata(ApplicationId)}'"}, "GraphObject")
        if ServicePrincipalName is not None:
            return self._run("ad.sp.list", {"spn": ServicePrincipalName}, "GraphObject")
        return self._run("ad.sp.list", {"filter": DisplayName and f"displayName eq '{_odata(DisplayName)}'"}, "GraphObject")

    def New_AzRoleAssignment(self, *, RoleDefinitionName: Optional[str] = None, RoleDefinitionId: Optional[str] = None,
                             ObjectId: Optional[str] = None, SignInName: Optional[str] = None,
                             ApplicationId: Optional[str] = None, ObjectType: Optional[str] = None,
                             Scope: Optional[str] = None, ResourceGroupName: Optional[str] = None,
                             ResourceName: Optional[str] = None, ResourceType: Optional[str] = None,
                             ParentResource: Optional[str] = None, Description: Optional[str] = None) -> PSObject:
        """``New-AzRoleAssignment -ObjectId|-SignInName|-ApplicationId -RoleDefinitionName
        [-Scope | -ResourceGroupName [-ResourceName -ResourceType]]``."""
        principals = [p for p in (ObjectId, SignInName, ApplicationId) if p is not None]
        if len(principals) != 1:
            raise ValidationError("Parameter set cannot be resolved using the specified named parameters. "
                                  "Use exactly one of -ObjectId, -SignInName or -ApplicationId.", parameter="ObjectId")
        role = RoleDefinitionName or RoleDefinitionId
        _need(RoleDefinitionName=role)
        scope = self._scope(Scope, ResourceGroupName, ResourceName, ResourceType, ParentResource)
        if scope is None:
            scope = f"/subscriptions/{self._s.local('account.show', {})['id']}"
        args = {"role": role, "scope": scope, "description": Description}
        if ObjectId is not None:
            args.update(assignee_object_id=ObjectId, assignee_principal_type=ObjectType)
        else:
            args["assignee"] = SignInName or ApplicationId
        return self._run("role.assignment.create", args, "RoleAssignment")

    def Get_AzRoleAssignment(self, *, ObjectId: Optional[str] = None, SignInName: Optional[str] = None,
                             RoleDefinitionName: Optional[str] = None, Scope: Optional[str] = None,
                             ResourceGroupName: Optional[str] = None, ResourceName: Optional[str] = None,
                             ResourceType: Optional[str] = None) -> Any:
        """``Get-AzRoleAssignment [-ObjectId|-SignInName] [-RoleDefinitionName] [-Scope|-ResourceGroupName …]``."""
        scope = self._scope(Scope, ResourceGroupName, ResourceName, ResourceType)
        return self._run("role.assignment.list", {"scope": scope, "assignee": ObjectId or SignInName,
                                                  "role": RoleDefinitionName}, "RoleAssignment", unroll=False,
                         then=lambda items: _unroll([i.to_dict() for i in items]))

    def Remove_AzRoleAssignment(self, *, ObjectId: Optional[str] = None, SignInName: Optional[str] = None,
                                RoleDefinitionName: Optional[str] = None, Scope: Optional[str] = None,
                                ResourceGroupName: Optional[str] = None, ResourceName: Optional[str] = None,
                                ResourceType: Optional[str] = None) -> None:
        """``Remove-AzRoleAssignment -ObjectId|-SignInName -RoleDefinitionName -Scope|-ResourceGroupName …``."""
        scope = self._scope(Scope, ResourceGroupName, ResourceName, ResourceType)
        return self._s.call("role.assignment.delete", {"scope": scope, "assignee": ObjectId or SignInName,
                                                       "role": RoleDefinitionName}, then=_nothing)

    # ---- Az.Compute: galleries --------------------------------------------------------------------

    def New_AzGallery(self, *, ResourceGroupName: str, Name: str, Location: str, Description: Optional[str] = None,
                      Permission: Optional[str] = None, PublisherUri: Optional[str] = None,
                      PublisherContact: Optional[str] = None, Eula: Optional[str] = None,
                      PublicNamePrefix: Optional[str] = None, Tag: Optional[Dict[str, str]] = None,
                      AsJob: bool = False) -> Any:
        """``New-AzGallery -ResourceGroupName -Name -Location [-Permission Private|Groups|Community …]``."""
        return self._run("sig.create", {"resource_group": ResourceGroupName, "gallery_name": Name, "location": Location,
                                        "description": Description, "permissions": Permission,
                                        "publisher_uri": PublisherUri, "publisher_email": PublisherContact, "eula": Eula,
                                        "public_name_prefix": PublicNamePrefix, "tags": Tag, "no_wait": AsJob})

    def Get_AzGallery(self, *, ResourceGroupName: Optional[str] = None, Name: Optional[str] = None,
                      Expand: Optional[str] = None, Location: Optional[str] = None,
                      GalleryUniqueName: Optional[str] = None, Scope: Optional[str] = None,
                      GalleryPublicName: Optional[str] = None, Community: bool = False) -> Any:
        """``Get-AzGallery [-ResourceGroupName [-Name [-Expand SharingProfile/Groups]]]``, the shared view
        ``Get-AzGallery -Location L [-GalleryUniqueName U] [-Scope subscription|tenant]``, or the community view
        ``Get-AzGallery -GalleryPublicName P -Location L`` / ``-Community [-Location L]``."""
        if GalleryPublicName is not None:
            _need(Location=Location)
            return self._run("sig.show_community", {"location": Location, "public_gallery_name": GalleryPublicName})
        if Community:
            return self._run("sig.list_community", {"location": Location})
        if Location is not None:
            if GalleryUniqueName is not None:
                return self._run("sig.show_shared", {"location": Location, "gallery_unique_name": GalleryUniqueName})
            return self._run("sig.list_shared", {"location": Location, "shared_to": _shared_to(Scope)})
        if Name is not None:
            _need(ResourceGroupName=ResourceGroupName)
            expand = Expand is not None and Expand.lower() == "sharingprofile/groups"
            if Expand is not None and not expand:
                raise ValidationError(f"Cannot validate argument on parameter 'Expand'. The argument \"{Expand}\" does not "
                                      "belong to the set \"SharingProfile/Groups\".", parameter="Expand")
            return self._run("sig.show", {"resource_group": ResourceGroupName, "gallery_name": Name, "sharing_groups": expand})
        return self._run("sig.list", {"resource_group": ResourceGroupName})

    def Update_AzGallery(self, *, ResourceGroupName: str, Name: str, Description: Optional[str] = None,
                         Permission: Optional[str] = None, Share: bool = False,
                         Subscription: Optional[List[str]] = None, Tenant: Optional[List[str]] = None,
                         RemoveSubscription: Optional[List[str]] = None, RemoveTenant: Optional[List[str]] = None,
                         Reset: bool = False, Community: bool = False, PublisherUri: Optional[str] = None,
                         PublisherContact: Optional[str] = None, Eula: Optional[str] = None,
                         PublicNamePrefix: Optional[str] = None, Tag: Optional[Dict[str, str]] = None) -> PSObject:
        """``Update-AzGallery -ResourceGroupName -Name [-Permission] [-Share -Subscription s[] -Tenant t[] |
        -Share -RemoveSubscription s[] -RemoveTenant t[] | -Share -Reset | -Share -Community]``.
        After a sharing change it returns the gallery read with ``$select=Permissions``, as PowerShell does."""
        lists = (Subscription, Tenant, RemoveSubscription, RemoveTenant)
        if any(v is not None for v in lists) and not Share:
            raise ValidationError("Parameters '-Subscription', '-Tenant', '-RemoveSubscription' or '-RemoveTenant'  "
                                  "must be used with '-Share' parameter.", parameter="Share")
        if (Reset or Community) and not Share:
            raise ValidationError("Parameters '-Reset' and '-Community' must be used with '-Share' parameter.", parameter="Share")
        gallery = {"resource_group": ResourceGroupName, "gallery_name": Name}
        changes = {"description": Description, "permissions": Permission, "publisher_uri": PublisherUri,
                   "publisher_email": PublisherContact, "eula": Eula, "public_name_prefix": PublicNamePrefix,
                   "tags": Tag}
        if not Share and all(v is None for v in changes.values()):
            return self.Get_AzGallery(ResourceGroupName=ResourceGroupName, Name=Name)
        share = {"reset": Reset, "community": Community, "add": (Subscription, Tenant),
                 "remove": (RemoveSubscription, RemoveTenant)}
        return self._s.steps(self._update_gallery(gallery, changes, share if Share else None))

    def _update_gallery(self, gallery: Dict[str, Any], changes: Dict[str, Any],
                        share: Optional[Dict[str, Any]]) -> Generator[Any, Any, Any]:
        if any(v is not None for v in changes.values()):
            result = yield self._run("sig.update", {**gallery, **changes})
            if share is None:
                return result
        assert share is not None
        if share["reset"]:
            yield self._s.call("sig.share.reset", gallery)
        elif share["community"]:
            yield self._s.call("sig.share.enable_community", gallery)
        else:
            for op, (subs, tenants) in (("sig.share.add", share["add"]), ("sig.share.remove", share["remove"])):
                if subs is not None or tenants is not None:
                    yield self._s.call(op, {**gallery, "subscription_ids": _list(subs), "tenant_ids": _list(tenants)})
        return (yield self._run("sig.show", {**gallery, "select": "Permissions"}))

    def Test_AzGalleryAccess(self, *, Image: str, Subscription: str, Location: Optional[str] = None,
                             Principal: Optional[str] = None) -> List[PSObject]:
        """Why can (or can't) a consumer subscription see or deploy an image (beyond Az.Compute): one object
        per check, with ``Verdict`` and the fix (``FixPowerShell``) where something blocks."""
        return self._s.call("sig.explain_access", {"image": Image, "subscription": Subscription,
                                                   "location": Location, "principal": Principal}, then=_pascal_rows)

    def Get_AzGallerySharingReport(self, *, ResourceGroupName: Optional[str] = None) -> List[PSObject]:
        """Who can reach each gallery (beyond Az.Compute): one object per RBAC assignment, direct share and
        community publication."""
        return self._s.call("sig.sharing_report", {"resource_group": ResourceGroupName}, then=_pascal_rows)

    def Sync_AzGallerySharing(self, *, ResourceGroupName: str, Name: str, Subscription: Optional[List[str]] = None,
                              Tenant: Optional[List[str]] = None, WhatIf: bool = False) -> PSObject:
        """Desired-state sharing (beyond Az.Compute): the gallery ends shared with exactly these subscriptions
        and tenants; only the difference is applied. ``-WhatIf`` plans without changing anything."""
        return self._s.call("sig.share.sync", {"resource_group": ResourceGroupName, "gallery_name": Name,
                                               "subscription_ids": _list(Subscription) or [],
                                               "tenant_ids": _list(Tenant) or [], "dry_run": WhatIf}, then=_wrap)

    def Remove_AzGallery(self, *, ResourceGroupName: str, Name: str, Force: bool = False, AsJob: bool = False) -> Any:
        """``Remove-AzGallery -ResourceGroupName -Name [-Force]``."""
        return self._run("sig.delete", {"resource_group": ResourceGroupName, "gallery_name": Name, "no_wait": AsJob})

    def New_AzGalleryImageDefinition(self, *, ResourceGroupName: str, GalleryName: str, Name: str, Location: str,
                                     Publisher: str, Offer: str, Sku: str, OsState: str, OsType: str,
                                     HyperVGeneration: Optional[str] = None, Description: Optional[str] = None,
                                     Eula: Optional[str] = None, EndOfLifeDate: Optional[str] = None,
                                     Tag: Optional[Dict[str, str]] = None, AsJob: bool = False) -> Any:
        """``New-AzGalleryImageDefinition -ResourceGroupName -GalleryName -Name -Location -Publisher -Offer -Sku
        -OsState -OsType [-HyperVGeneration]``."""
        return self._run("sig.image_definition.create", {
            "resource_group": ResourceGroupName, "gallery_name": GalleryName, "gallery_image_definition": Name,
            "location": Location, "publisher": Publisher, "offer": Offer, "sku": Sku, "os_state": OsState,
            "os_type": OsType, "hyper_v_generation": HyperVGeneration, "description": Description, "eula": Eula,
            "end_of_life_date": EndOfLifeDate, "tags": Tag, "no_wait": AsJob})

    def Get_AzGalleryImageDefinition(self, *, ResourceGroupName: Optional[str] = None, GalleryName: Optional[str] = None,
                                     Name: Optional[str] = None, GalleryUniqueName: Optional[str] = None,
                                     Location: Optional[str] = None, Scope: Optional[str] = None,
                                     GalleryPublicName: Optional[str] = None) -> Any:
        """``Get-AzGalleryImageDefinition -ResourceGroupName -GalleryName [-Name]`` or the shared view
        ``-GalleryUniqueName U -Location L [-Scope tenant] [-Name I]``, or ``-GalleryPublicName P -Location L [-Name I]``."""
        if GalleryPublicName is not None:
            _need(Location=Location)
            community = {"public_gallery_name": GalleryPublicName, "location": Location}
            if Name is not None:
                return self._run("sig.image_definition.show_community", {**community, "gallery_image_definition": Name})
            return self._run("sig.image_definition.list_community", community)
        if GalleryUniqueName is not None:
            _need(Location=Location)
            if Name is not None:
                return self._run("sig.image_definition.show_shared", {"gallery_unique_name": GalleryUniqueName,
                                                                      "location": Location, "gallery_image_definition": Name})
            return self._run("sig.image_definition.list_shared", {"gallery_unique_name": GalleryUniqueName,
                                                                  "location": Location, "shared_to": _shared_to(Scope)})
        _need(ResourceGroupName=ResourceGroupName, GalleryName=GalleryName)
        if Name is not None:
            return self._run("sig.image_definition.show", {"resource_group": ResourceGroupName, "gallery_name": GalleryName,
                                                           "gallery_image_definition": Name})
        return self._run("sig.image_definition.list", {"resource_group": ResourceGroupName, "gallery_name": GalleryName})

    def New_AzGalleryImageVersion(self, *, ResourceGroupName: str, GalleryName: str, GalleryImageDefinitionName: str,
                                  Name: str, Location: str, SourceImageId: Optional[str] = None,
                                  TargetRegion: Optional[List[Dict[str, Any]]] = None, ReplicaCount: Optional[int] = None,
                                  PublishingProfileExcludeFromLatest: bool = False,
                                  PublishingProfileEndOfLifeDate: Optional[str] = None,
                                  StorageAccountType: Optional[str] = None, Tag: Optional[Dict[str, str]] = None,
                                  AsJob: bool = False) -> Any:
        """``New-AzGalleryImageVersion … -Location -SourceImageId ID -TargetRegion @(@{Name='eastus';
        ReplicaCount=1}, …)``."""
        return self._run("sig.image_version.create", {
            "resource_group": ResourceGroupName, "gallery_name": GalleryName,
            "gallery_image_definition": GalleryImageDefinitionName, "gallery_image_version": Name, "location": Location,
            "managed_image": SourceImageId, "target_regions": _target_regions(TargetRegion), "replica_count": ReplicaCount,
            "exclude_from_latest": PublishingProfileExcludeFromLatest or None,
            "end_of_life_date": PublishingProfileEndOfLifeDate, "storage_account_type": StorageAccountType,
            "tags": Tag, "no_wait": AsJob})

    def Get_AzGalleryImageVersion(self, *, ResourceGroupName: Optional[str] = None, GalleryName: Optional[str] = None,
                                  GalleryImageDefinitionName: str, Name: Optional[str] = None,
                                  GalleryUniqueName: Optional[str] = None, Location: Optional[str] = None,
                                  Scope: Optional[str] = None, GalleryPublicName: Optional[str] = None) -> Any:
        """``Get-AzGalleryImageVersion -ResourceGroupName -GalleryName -GalleryImageDefinitionName [-Name]``, the
        shared view ``-GalleryUniqueName U -GalleryImageDefinitionName I -Location L [-Name V]``, or the community
        view ``-GalleryPublicName P -GalleryImageDefinitionName I -Location L [-Name V]``."""
        if GalleryPublicName is not None:
            _need(Location=Location)
            community = {"public_gallery_name": GalleryPublicName, "gallery_image_definition": GalleryImageDefinitionName,
                         "location": Location}
            if Name is not None:
                return self._run("sig.image_version.show_community", {**community, "gallery_image_version": Name})
            return self._run("sig.image_version.list_community", community)
        if GalleryUniqueName is not None:
            _need(Location=Location)
            shared = {"gallery_unique_name": GalleryUniqueName, "gallery_image_definition": GalleryImageDefinitionName,
                      "location": Location}
            if Name is not None:
                return self._run("sig.image_version.show_shared", {**shared, "gallery_image_version": Name})
            return self._run("sig.image_version.list_shared", {**shared, "shared_to": _shared_to(Scope)})
        _need(ResourceGroupName=ResourceGroupName, GalleryName=GalleryName)
        own = {"resource_group": ResourceGroupName, "gallery_name": GalleryName,
               "gallery_image_definition": GalleryImageDefinitionName}
        if Name is not None:
            return self._run("sig.image_version.show", {**own, "gallery_image_version": Name})
        return self._run("sig.image_version.list", own)

    # ---- Az.Network -------------------------------------------------------------------------------

    def New_AzVirtualNetworkSubnetConfig(self, *, Name: str, AddressPrefix: Union[str, List[str]],
                                         NetworkSecurityGroupId: Optional[str] = None) -> PSObject:
        """``New-AzVirtualNetworkSubnetConfig -Name -AddressPrefix`` (a local object, as in PowerShell)."""
        return PSObject({"Name": Name, "AddressPrefix": _list(AddressPrefix), "NetworkSecurityGroupId": NetworkSecurityGroupId})

    def New_AzVirtualNetwork(self, *, ResourceGroupName: str, Location: str, Name: str,
                             AddressPrefix: Union[str, List[str]], Subnet: Optional[Union[PSObject, List[PSObject]]] = None,
                             Tag: Optional[Dict[str, str]] = None) -> PSObject:
        """``New-AzVirtualNetwork -ResourceGroupName -Location -Name -AddressPrefix -Subnet $subnetConfig``."""
        subnets = []
        for cfg in _objects(Subnet):
            props: Dict[str, Any] = {"addressPrefix": cfg.AddressPrefix[0]}
            if cfg.NetworkSecurityGroupId:
                props["networkSecurityGroup"] = {"id": cfg.NetworkSecurityGroupId}
            subnets.append({"name": cfg.Name, "properties": props})
        body = {"location": Location, "tags": Tag or {},
                "properties": {"addressSpace": {"addressPrefixes": _list(AddressPrefix)}, "subnets": subnets}}
        return self._run("network.put", {"kind": "vnet", "name": Name, "resource_group": ResourceGroupName, "body": body})

    def New_AzPublicIpAddress(self, *, ResourceGroupName: str, Location: str, Name: str, AllocationMethod: str,
                              Sku: str = "Standard", IdleTimeoutInMinutes: int = 4,
                              Tag: Optional[Dict[str, str]] = None) -> PSObject:
        """``New-AzPublicIpAddress -ResourceGroupName -Location -Name -AllocationMethod Static [-IdleTimeoutInMinutes 4]``."""
        body = {"location": Location, "tags": Tag or {}, "sku": {"name": Sku},
                "properties": {"publicIPAllocationMethod": AllocationMethod, "publicIPAddressVersion": "IPv4",
                               "idleTimeoutInMinutes": IdleTimeoutInMinutes}}
        return self._run("network.put", {"kind": "public_ip", "name": Name, "resource_group": ResourceGroupName, "body": body})

    def New_AzNetworkSecurityRuleConfig(self, *, Name: str, Protocol: str, Direction: str, Priority: int,
                                        SourceAddressPrefix: Union[str, List[str]], SourcePortRange: Union[str, List[str]],
                                        DestinationAddressPrefix: Union[str, List[str]],
                                        DestinationPortRange: Union[str, List[str]], Access: str,
                                        Description: Optional[str] = None) -> PSObject:
        """``New-AzNetworkSecurityRuleConfig …`` (a local object, as in PowerShell)."""
        return PSObject({"Name": Name, "Protocol": Protocol, "Direction": Direction, "Priority": Priority,
                         "SourceAddressPrefix": _list(SourceAddressPrefix), "SourcePortRange": _list(SourcePortRange),
                         "DestinationAddressPrefix": _list(DestinationAddressPrefix),
                         "DestinationPortRange": _list(DestinationPortRange), "Access": Access, "Description": Description})

    def New_AzNetworkSecurityGroup(self, *, ResourceGroupName: str, Location: str, Name: str,
                                   SecurityRules: Optional[Union[PSObject, List[PSObject]]] = None,
                                   Tag: Optional[Dict[str, str]] = None) -> PSObject:
        """``New-AzNetworkSecurityGroup -ResourceGroupName -Location -Name -SecurityRules $rule``."""
        rules = [{"name": r.Name, "properties": _rule_properties(r)} for r in _objects(SecurityRules)]
        body = {"location": Location, "tags": Tag or {}, "properties": {"securityRules": rules}}
        return self._run("network.put", {"kind": "nsg", "name": Name, "resource_group": ResourceGroupName, "body": body})

    def New_AzNetworkInterface(self, *, Name: str, ResourceGroupName: str, Location: str, SubnetId: str,
                               PublicIpAddressId: Optional[str] = None, NetworkSecurityGroupId: Optional[str] = None,
                               Tag: Optional[Dict[str, str]] = None) -> PSObject:
        """``New-AzNetworkInterface -Name -ResourceGroupName -Location -SubnetId -PublicIpAddressId -NetworkSecurityGroupId``."""
        return self._run("network.nic.create", {"name": Name, "resource_group": ResourceGroupName, "location": Location,
                                                "subnet": SubnetId, "public_ip_address": PublicIpAddressId,
                                                "network_security_group": NetworkSecurityGroupId, "tags": Tag},
                         unroll=True, unwrap="NewNIC")

    # ---- Az.Compute: virtual machines -------------------------------------------------------------

    def New_AzVMConfig(self, *, VMName: str, VMSize: str) -> "PSVirtualMachine":
        """``New-AzVMConfig -VMName -VMSize``; continue with ``|`` (or methods) as the PowerShell pipeline does."""
        return PSVirtualMachine(VMName, VMSize)

    def Set_AzVMOperatingSystem(self, *, VM: Optional["PSVirtualMachine"] = None, Windows: bool = False,
                                Linux: bool = False, ComputerName: str, Credential: PSCredential,
                                DisablePasswordAuthentication: bool = False) -> Any:
        """``Set-AzVMOperatingSystem -Windows|-Linux -ComputerName -Credential``."""
        return _stage(VM, "Set_AzVMOperatingSystem", Windows=Windows, Linux=Linux, ComputerName=ComputerName,
                      Credential=Credential, DisablePasswordAuthentication=DisablePasswordAuthentication)

    def Set_AzVMSourceImage(self, *, VM: Optional["PSVirtualMachine"] = None, Id: Optional[str] = None,
                            PublisherName: Optional[str] = None, Offer: Optional[str] = None, Skus: Optional[str] = None,
                            Version: str = "latest", SharedGalleryImageId: Optional[str] = None,
                            CommunityGalleryImageId: Optional[str] = None) -> Any:
        """``Set-AzVMSourceImage -Id $image`` (or ``-PublisherName -Offer -Skus -Version``)."""
        return _stage(VM, "Set_AzVMSourceImage", Id=Id, PublisherName=PublisherName, Offer=Offer, Skus=Skus,
                      Version=Version, SharedGalleryImageId=SharedGalleryImageId,
                      CommunityGalleryImageId=CommunityGalleryImageId)

    def Set_AzVMOSDisk(self, *, VM: Optional["PSVirtualMachine"] = None, Name: Optional[str] = None,
                       Caching: Optional[str] = None, CreateOption: str = "FromImage",
                       StorageAccountType: Optional[str] = None, Windows: bool = False, Linux: bool = False) -> Any:
        """``Set-AzVMOSDisk -Name -Caching -CreateOption FromImage -StorageAccountType``."""
        return _stage(VM, "Set_AzVMOSDisk", Name=Name, Caching=Caching, CreateOption=CreateOption,
                      StorageAccountType=StorageAccountType)

    def Add_AzVMNetworkInterface(self, *, VM: Optional["PSVirtualMachine"] = None, Id: str, Primary: bool = False) -> Any:
        """``Add-AzVMNetworkInterface -Id $nic.Id``."""
        return _stage(VM, "Add_AzVMNetworkInterface", Id=Id, Primary=Primary)

    def New_AzVM(self, *, ResourceGroupName: str, Location: Optional[str] = None, VM: Optional["PSVirtualMachine"] = None,
                 Name: Optional[str] = None, Image: Optional[str] = None, ImageReferenceId: Optional[str] = None,
                 SharedGalleryImageId: Optional[str] = None, Credential: Optional[PSCredential] = None,
                 Size: Optional[str] = None, VirtualNetworkName: Optional[str] = None, SubnetName: Optional[str] = None,
                 PublicIpAddressName: Optional[str] = None, SecurityGroupName: Optional[str] = None,
                 AsJob: bool = False) -> Any:
        """``New-AzVM -ResourceGroupName -Location -VM $vmConfig``, or the simple set ``New-AzVM -Name -Image|
        -ImageReferenceId|-SharedGalleryImageId -Credential``. An image in another tenant gets the auxiliary
        token of the login for that tenant (``Connect_AzAccount`` to both tenants first)."""
        if VM is not None:
            if not isinstance(VM, PSVirtualMachine):
                raise TypeError("VM must be the object New_AzVMConfig returns")
            _need(Location=Location)
            return self._run("vm.put", {"name": VM.Name, "resource_group": ResourceGroupName,
                                        "body": VM._body(Location), "no_wait": AsJob})
        _need(Name=Name, Credential=Credential)
        images = [i for i in (Image, ImageReferenceId, SharedGalleryImageId) if i is not None]
        if len(images) != 1:
            raise ValidationError("Parameter set cannot be resolved: use exactly one of -Image, -ImageReferenceId or "
                                  "-SharedGalleryImageId.", parameter="Image")
        return self._run("vm.create", {
            "name": Name, "resource_group": ResourceGroupName, "image": images[0], "location": Location,
            "size": Size, "admin_username": Credential.UserName, "admin_password": Credential._password,
            "authentication_type": "password", "vnet_name": VirtualNetworkName, "subnet": SubnetName,
            "public_ip_address": PublicIpAddressName, "nsg": SecurityGroupName, "no_wait": AsJob,
            # PowerShell shows no EULA prompt for community images; the terms are the publisher's.
            "accept_term": True}, kind=None)

    def New_AzVmssConfig(self, *, Location: str, SkuCapacity: int, SkuName: str,
                         UpgradePolicyMode: str = "Manual") -> PSObject:
        """``New-AzVmssConfig -Location -SkuCapacity -SkuName -UpgradePolicyMode`` (a local object)."""
        return PSVmssConfig({"Location": Location, "Sku": {"Name": SkuName, "Capacity": SkuCapacity},
                         "UpgradePolicy": {"Mode": UpgradePolicyMode}, "StorageProfile": None, "OsProfile": None,
                         "NetworkInterfaceConfigurations": []})

    def Set_AzVmssStorageProfile(self, *, VirtualMachineScaleSet: PSObject, ImageReferenceId: Optional[str] = None,
                                 SharedGalleryImageId: Optional[str] = None, CommunityGalleryImageId: Optional[str] = None,
                                 OsDiskCreateOption: str = "FromImage", ManagedDisk: Optional[str] = None) -> PSObject:
        """``Set-AzVmssStorageProfile -ImageReferenceId … -OsDiskCreateOption FromImage``."""
        given = {"id": ImageReferenceId, "sharedGalleryImageId": SharedGalleryImageId,
                 "communityGalleryImageId": CommunityGalleryImageId}
        ref = {k: v for k, v in given.items() if v is not None}
        if len(ref) != 1:
            raise ValidationError("Use exactly one of -ImageReferenceId, -SharedGalleryImageId or -CommunityGalleryImageId.",
                                  parameter="ImageReferenceId")
        disk: Dict[str, Any] = {"createOption": OsDiskCreateOption}
        if ManagedDisk:
            disk["managedDisk"] = {"storageAccountType": ManagedDisk}
        VirtualMachineScaleSet.StorageProfile = {"imageReference": ref, "osDisk": disk}
        return VirtualMachineScaleSet

    def Set_AzVmssOsProfile(self, *, VirtualMachineScaleSet: PSObject, ComputerNamePrefix: str, AdminUsername: str,
                            AdminPassword: str) -> PSObject:
        """``Set-AzVmssOsProfile -ComputerNamePrefix -AdminUsername -AdminPassword`` (the password never shows)."""
        VirtualMachineScaleSet.OsProfile = {"ComputerNamePrefix": ComputerNamePrefix, "AdminUsername": AdminUsername}
        object.__setattr__(VirtualMachineScaleSet, "_secret", AdminPassword)
        return VirtualMachineScaleSet

    def New_AzVmssIpConfig(self, *, Name: str, SubnetId: str) -> PSObject:
        """``New-AzVmssIpConfig -Name -SubnetId`` (a local object)."""
        return PSObject({"Name": Name, "SubnetId": SubnetId})

    def Add_AzVmssNetworkInterfaceConfiguration(self, *, VirtualMachineScaleSet: PSObject, Name: str,
                                                IPConfiguration: Union[PSObject, List[PSObject]],
                                                Primary: bool = False) -> PSObject:
        """``Add-AzVmssNetworkInterfaceConfiguration -Name -Primary -IPConfiguration $ipConfig``."""
        ips = [{"name": ip.Name, "properties": {"subnet": {"id": ip.SubnetId}}} for ip in _objects(IPConfiguration)]
        VirtualMachineScaleSet._data["NetworkInterfaceConfigurations"].append(
            {"name": Name, "properties": {"primary": Primary, "ipConfigurations": ips}})
        return VirtualMachineScaleSet

    def New_AzVmss(self, *, ResourceGroupName: str, VMScaleSetName: str,
                   VirtualMachineScaleSet: Optional[PSObject] = None, Location: Optional[str] = None,
                   ImageName: Optional[str] = None, Credential: Optional[PSCredential] = None,
                   InstanceCount: Optional[int] = None, VmSize: Optional[str] = None,
                   VirtualNetworkName: Optional[str] = None, SubnetName: Optional[str] = None,
                   UpgradePolicyMode: Optional[str] = None, AsJob: bool = False) -> Any:
        """``New-AzVmss -ResourceGroupName -VMScaleSetName -VirtualMachineScaleSet $config``, or the simple set
        ``New-AzVmss … -ImageName <alias, URN, /SharedGalleries/… or id> -Credential -InstanceCount``."""
        if VirtualMachineScaleSet is not None:
            return self._run("vmss.put", {"name": VMScaleSetName, "resource_group": ResourceGroupName,
                                          "body": _vmss_body(VirtualMachineScaleSet), "no_wait": AsJob})
        _need(ImageName=ImageName, Credential=Credential)
        return self._s.call("vmss.create", {
            "name": VMScaleSetName, "resource_group": ResourceGroupName, "image": ImageName, "location": Location,
            "instance_count": InstanceCount, "vm_sku": VmSize, "admin_username": Credential.UserName,
            "admin_password": Credential._password, "authentication_type": "password", "vnet_name": VirtualNetworkName,
            "subnet": SubnetName, "upgrade_policy_mode": UpgradePolicyMode, "accept_term": True, "no_wait": AsJob},
            then=lambda result: self._run_shape(result["vmss"], "Resource") if isinstance(result, dict) else result)

    def Get_AzVmss(self, *, ResourceGroupName: Optional[str] = None, VMScaleSetName: Optional[str] = None) -> Any:
        """``Get-AzVmss [-ResourceGroupName [-VMScaleSetName]]``."""
        if VMScaleSetName is not None:
            _need(ResourceGroupName=ResourceGroupName)
            return self._run("vmss.show", {"name": VMScaleSetName, "resource_group": ResourceGroupName})
        return self._run("vmss.list", {"resource_group": ResourceGroupName})

    def Get_AzVM(self, *, ResourceGroupName: Optional[str] = None, Name: Optional[str] = None) -> Any:
        """``Get-AzVM [-ResourceGroupName [-Name]]``."""
        if Name is not None:
            _need(ResourceGroupName=ResourceGroupName)
            return self._run("vm.show", {"name": Name, "resource_group": ResourceGroupName})
        return self._run("vm.list", {"resource_group": ResourceGroupName})

    def Clear_AzContext(self) -> None:
        """``Clear-AzContext``: forgets every login of this session."""
        return self._s.call("account.clear", {}, then=_nothing)

    def __repr__(self) -> str:
        return f"<galleryshare.Pwsh cloud={self._s.cloud.name!r}>"


class PSVmssConfig(PSObject):
    """What ``New_AzVmssConfig`` returns; the admin password is held aside so no repr or to_dict() shows it."""

    def __init__(self, data: Dict[str, Any]):
        super().__init__(data)
        object.__setattr__(self, "_secret", None)


def _vmss_body(cfg: "PSVmssConfig") -> Dict[str, Any]:
    """The ARM body of a scale set from its New_AzVmssConfig object."""
    if cfg.StorageProfile is None or cfg.OsProfile is None or not cfg.NetworkInterfaceConfigurations:
        raise ValidationError("The scale set configuration needs Set_AzVmssStorageProfile, Set_AzVmssOsProfile and "
                              "Add_AzVmssNetworkInterfaceConfiguration before New_AzVmss.", parameter="VirtualMachineScaleSet")
    data = cfg.to_dict()
    os_profile = {"computerNamePrefix": data["OsProfile"]["ComputerNamePrefix"],
                  "adminUsername": data["OsProfile"]["AdminUsername"], "adminPassword": cfg._secret}
    return {"location": data["Location"], "sku": {"name": data["Sku"]["Name"], "capacity": data["Sku"]["Capacity"]},
            "properties": {"upgradePolicy": {"mode": data["UpgradePolicy"]["Mode"]},
                           "virtualMachineProfile": {"storageProfile": data["StorageProfile"], "osProfile": os_profile,
                                                     "networkProfile": {"networkInterfaceConfigurations":
                                                                        data["NetworkInterfaceConfigurations"]}}}}


class PSVirtualMachine(PSObject):
    """What ``New-AzVMConfig`` returns; ``Set_AzVMOperatingSystem``, ``Set_AzVMSourceImage`` and
    ``Add_AzVMNetworkInterface`` fill it in, by ``|`` or as methods."""

    def __init__(self, name: str, size: str):
        super().__init__({"Name": name, "HardwareProfile": {"VmSize": size}, "OSProfile": None,
                          "StorageProfile": {"ImageReference": None}, "NetworkProfile": {"NetworkInterfaces": []}})
        object.__setattr__(self, "_secret", None)

    def Set_AzVMOperatingSystem(self, *, Windows: bool = False, Linux: bool = False, ComputerName: str,
                                Credential: PSCredential, DisablePasswordAuthentication: bool = False) -> "PSVirtualMachine":
        if Windows == Linux:
            raise ValidationError("Set-AzVMOperatingSystem needs exactly one of -Windows or -Linux.", parameter="Windows")
        if not isinstance(Credential, PSCredential):
            raise TypeError("Credential must be a galleryshare.PSCredential(user, password)")
        self._data["OSProfile"] = {"ComputerName": ComputerName, "AdminUsername": Credential.UserName,
                                   "OsType": "Windows" if Windows else "Linux"}
        object.__setattr__(self, "_secret", Credential._password)
        return self

    def Set_AzVMSourceImage(self, *, Id: Optional[str] = None, PublisherName: Optional[str] = None,
                            Offer: Optional[str] = None, Skus: Optional[str] = None, Version: str = "latest",
                            SharedGalleryImageId: Optional[str] = None,
                            CommunityGalleryImageId: Optional[str] = None) -> "PSVirtualMachine":
        if Id is not None:
            ref: Dict[str, Any] = {"id": Id}
        elif SharedGalleryImageId is not None:
            ref = {"sharedGalleryImageId": SharedGalleryImageId}
        elif CommunityGalleryImageId is not None:
            ref = {"communityGalleryImageId": CommunityGalleryImageId}
        else:
            _need(PublisherName=PublisherName, Offer=Offer, Skus=Skus)
            ref = {"publisher": PublisherName, "offer": Offer, "sku": Skus, "version": Version}
        self._data["StorageProfile"]["ImageReference"] = ref
        return self

    def Set_AzVMOSDisk(self, *, Name: Optional[str] = None, Caching: Optional[str] = None,
                       CreateOption: str = "FromImage", StorageAccountType: Optional[str] = None) -> "PSVirtualMachine":
        self._data["StorageProfile"]["OsDisk"] = {k: v for k, v in {
            "Name": Name, "Caching": Caching, "CreateOption": CreateOption, "StorageAccountType": StorageAccountType}.items()
            if v is not None}
        return self

    def Add_AzVMNetworkInterface(self, *, Id: str, Primary: bool = False) -> "PSVirtualMachine":
        nics = self._data["NetworkProfile"]["NetworkInterfaces"]
        nics.append({"Id": Id, "Primary": Primary or not nics})
        return self

    def _body(self, location: str) -> Dict[str, Any]:
        """The ARM body of the VM (the password goes only here, never into repr)."""
        os_profile = self._data["OSProfile"]
        ref = self._data["StorageProfile"]["ImageReference"]
        if os_profile is None or ref is None or not self._data["NetworkProfile"]["NetworkInterfaces"]:
            raise ValidationError("The VM configuration needs Set_AzVMOperatingSystem, Set_AzVMSourceImage and "
                                  "Add_AzVMNetworkInterface before New_AzVM.", parameter="VM")
        profile: Dict[str, Any] = {"computerName": os_profile["ComputerName"], "adminUsername": os_profile["AdminUsername"],
                                   "adminPassword": self._secret}
        if os_profile["OsType"] == "Windows":
            profile["windowsConfiguration"] = {"provisionVMAgent": True}
        else:
            profile["linuxConfiguration"] = {"disablePasswordAuthentication": False}
        nics = [{"id": n["Id"], "properties": {"primary": n["Primary"]}} for n in self._data["NetworkProfile"]["NetworkInterfaces"]]
        disk = self._data["StorageProfile"].get("OsDisk") or {"CreateOption": "FromImage"}
        os_disk: Dict[str, Any] = {"createOption": disk["CreateOption"]}
        if "Name" in disk:
            os_disk["name"] = disk["Name"]
        if "Caching" in disk:
            os_disk["caching"] = disk["Caching"]
        if "StorageAccountType" in disk:
            os_disk["managedDisk"] = {"storageAccountType": disk["StorageAccountType"]}
        return {"location": location, "properties": {
            "hardwareProfile": {"vmSize": self._data["HardwareProfile"]["VmSize"]},
            "storageProfile": {"imageReference": ref, "osDisk": os_disk},
            "osProfile": profile, "networkProfile": {"networkInterfaces": nics}}}


class _Stage:
    """One pipeline step (``| ps.Set_AzVMSourceImage(Id=image)``): applied to the config on its left."""

    def __init__(self, method: str, kwargs: Dict[str, Any]):
        self._method, self._kwargs = method, kwargs

    def __ror__(self, vm: "PSVirtualMachine") -> "PSVirtualMachine":
        if not isinstance(vm, PSVirtualMachine):
            raise TypeError(f"{self._method}: the left side of | must be the object New_AzVMConfig returns")
        return getattr(vm, self._method)(**self._kwargs)


def _stage(vm: Optional[PSVirtualMachine], method: str, **kwargs: Any) -> Any:
    return _Stage(method, kwargs) if vm is None else getattr(vm, method)(**kwargs)


def _objects(v: Optional[Union[PSObject, List[PSObject]]]) -> List[PSObject]:
    return [] if v is None else [v] if isinstance(v, PSObject) else list(v)


def _rule_properties(r: PSObject) -> Dict[str, Any]:
    """A security rule config as ARM properties (one value → the singular field, several → the plural)."""
    props: Dict[str, Any] = {"protocol": r.Protocol, "direction": r.Direction, "priority": r.Priority, "access": r.Access}
    for singular, plural, values in [("sourceAddressPrefix", "sourceAddressPrefixes", r.SourceAddressPrefix),
                                     ("sourcePortRange", "sourcePortRanges", r.SourcePortRange),
                                     ("destinationAddressPrefix", "destinationAddressPrefixes", r.DestinationAddressPrefix),
                                     ("destinationPortRange", "destinationPortRanges", r.DestinationPortRange)]:
        if len(values) == 1:
            props[singular] = str(values[0])
        else:
            props[plural] = [str(v) for v in values]
    if r.Description:
        props["description"] = r.Description
    return props


def _odata(value: str) -> str:
    return value.replace("'", "''")


def _list(v: Any) -> Optional[List[Any]]:
    """PowerShell accepts one value (a string, a port number) where it takes an array."""
    if v is None:
        return None
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _shared_to(scope: Optional[str]) -> Optional[str]:
    if scope is None or scope.lower() == "subscription":
        return None
    if scope.lower() == "tenant":
        return "tenant"
    raise ValidationError(f"Cannot validate argument on parameter 'Scope'. The argument \"{scope}\" does not belong to "
                          "the set \"subscription,tenant\".", parameter="Scope")


def _target_regions(regions: Optional[List[Dict[str, Any]]]) -> Optional[List[str]]:
    """``@(@{Name='eastus'; ReplicaCount=2; StorageAccountType='Standard_ZRS'})`` as the CLI's ``eastus=2=Standard_ZRS``."""
    if regions is None:
        return None
    out = []
    for r in regions:
        if not isinstance(r, dict) or "Name" not in r:
            raise ValidationError("Each -TargetRegion entry must be a hashtable with at least Name.", parameter="TargetRegion")
        parts = [str(r["Name"])]
        if r.get("ReplicaCount") is not None or r.get("StorageAccountType") is not None:
            parts.append(str(r.get("ReplicaCount", 1)))
        if r.get("StorageAccountType") is not None:
            parts.append(str(r["StorageAccountType"]))
        out.append("=".join(parts))
    return out
