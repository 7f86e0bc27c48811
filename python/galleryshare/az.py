"""The Azure CLI mirror: ``az.sig.share.add(...)`` for ``az sig share add ...``.

Command groups are attributes, flags are keyword arguments named as the CLI's Python dest names, and
results are what ``az ... -o json`` prints. ``query=`` applies a JMESPath like ``--query``. Every command
takes ``subscription=`` (the CLI's global ``--subscription``). Long-running commands block like the CLI;
``no_wait=True`` returns a :class:`Poller` instead.
"""

from __future__ import annotations

from ._cloud import Cloud, resolve
from ._credentials import environment_login, environment_subscription, only_one, read_certificate
from ._session import Poller, Session
from ._tables import Findings, SharingReport

__all__ = ["Az"]

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Any, Dict, Generator, List, Optional, Union

    from ._credentials import PathOrPem

    Tags = Optional[Dict[str, str]]


class _Group:
    def __init__(self, session: Session):
        self._s = session


class Az:
    """An Azure CLI session: ``az = gs.Az()`` or ``gs.Az(cloud=emulator.cloud)``.

    ``api_versions`` overrides api-versions per family (``"gallery"``, ``"compute"``, ``"resources"``,
    ``"subscriptions"``) or per command (``"sig.show_shared"``).
    """

    _Session = Session

    def __init__(self, cloud: Union[None, str, Cloud] = None, *, api_versions: Optional[Dict[str, str]] = None,
                 progress: bool = True):
        self._s = self._Session(resolve(cloud), api_versions, ", ", progress)
        self.account = _Account(self._s)
        self.group = _ResourceGroup(self._s)
        self.sig = _Sig(self._s)
        self.role = _Role(self._s)
        self.ad = _Ad(self._s)
        self.network = _Network(self._s)
        self.vm = _Vm(self._s)
        self.vmss = _Vmss(self._s)

    @property
    def cloud(self) -> Cloud:
        return self._s.cloud

    def login(self, *, service_principal: bool = False, username: Optional[str] = None, password: Optional[str] = None,
              tenant: Optional[str] = None, certificate: Optional[PathOrPem] = None,
              federated_token: Optional[str] = None, identity: bool = False, credential: Any = None,
              env: bool = False, azure_cli: bool = False, query: Optional[str] = None) -> Any:
        """``az login``. Logging in to a second tenant keeps the first login, as the CLI does. One of:

        - ``service_principal=True, username=APP_ID, password=SECRET, tenant=T`` (``--service-principal -u -p``);
        - ``service_principal=True, username=APP_ID, certificate=PATH, tenant=T`` (``--certificate``): a PEM file
          (or its text) with the certificate and its unencrypted RSA private key;
        - ``service_principal=True, username=APP_ID, federated_token=TOKEN, tenant=T`` (``--federated-token``):
          workload identity federation, e.g. a GitHub Actions OIDC token or a Kubernetes service account token;
        - ``username=USER, password=PASSWORD`` (a user; ``tenant`` optional);
        - ``identity=True`` (``--identity``): the host's managed identity — App Service's ``IDENTITY_ENDPOINT`` /
          ``IDENTITY_HEADER`` when set, the VM's IMDS otherwise; ``username=CLIENT_ID`` picks a user-assigned one.
          The tenant is read from the token;
        - ``credential=cred``: any object with azure-core's ``get_token(*scopes, **kwargs)``, e.g.
          ``azure.identity.DefaultAzureCredential()`` or a managed identity credential. Its tokens are kept until
          5 minutes before they expire. ``tenant`` defaults to the ``tid`` claim of its first token;
        - ``env=True``: azure-identity's environment variables — ``AZURE_TENANT_ID`` and ``AZURE_CLIENT_ID`` with
          ``AZURE_CLIENT_SECRET``, ``AZURE_CLIENT_CERTIFICATE_PATH`` or ``AZURE_FEDERATED_TOKEN_FILE`` (AKS workload
          identity; the file is re-read as it rotates), or ``AZURE_USERNAME``/``AZURE_PASSWORD``;
          ``AZURE_SUBSCRIPTION_ID``, when set, becomes the current subscription;
        - ``azure_cli=True``: reuse the login of an installed Azure CLI (``az account get-access-token``, once
          per scope and hour); ``tenant`` picks one of its tenants, else the CLI's default.

        Bad combinations and unreadable files fail before any request; secrets never appear in errors."""
        if credential is not None:
            only_one("credential=", username=username, password=password, certificate=certificate,
                     federated_token=federated_token, identity=identity, env=env, azure_cli=azure_cli)
            handle = self._s.native.register_credential(credential)
            return self._s.call("login", {"credential": handle, "tenant": tenant}, query)
        if azure_cli:
            only_one("azure_cli=True", username=username, password=password, certificate=certificate,
                     federated_token=federated_token, identity=identity, env=env)
            return self._s.call("login", {"azure_cli": True, "tenant": tenant}, query)
        if identity:
            only_one("identity=True", password=password, certificate=certificate, federated_token=federated_token,
                     env=env)
            return self._s.call("login", {"identity": True, "username": username}, query)
        if env:
            only_one("env=True", username=username, password=password, certificate=certificate,
                     federated_token=federated_token)
            return self._s.steps(self._login_env(query))
        if federated_token is not None:
            only_one("federated_token=", password=password, certificate=certificate)
            return self._s.call("login", {"service_principal": service_principal, "username": username,
                                          "tenant": tenant, "federated_token": federated_token}, query)
        if certificate is not None:
            only_one("certificate=", password=password)
            return self._s.call("login", {"service_principal": service_principal, "username": username,
                                          "tenant": tenant, "certificate": read_certificate(certificate)}, query)
        return self._s.call("login", {"service_principal": service_principal, "username": username,
                                      "password": password, "tenant": tenant}, query)

    def _login_env(self, query: Optional[str]) -> Generator[Any, Any, Any]:
        login, subscription = environment_login(), environment_subscription()
        yield self._s.call("login", login)
        if subscription is not None:
            self._s.local("account.set", {"subscription": subscription})
        return (yield self._s.call("account.list", {}, query))

    def rest(self, *, method: str = "get", url: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
             skip_authorization_header: bool = False, subscription: Optional[str] = None, no_wait: bool = False,
             query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az rest --method --url [--body] [--headers]``: any ARM (or Microsoft Graph) request with the login's
        token for the right tenant. ``url`` may be a path (``/subscriptions/{subscriptionId}/...``;
        ``{subscriptionId}`` becomes the current subscription); ``body`` a dict or JSON text. Retried like every
        command, and a long-running answer is polled to its end (``no_wait=True`` returns the poller)."""
        return self._s.call("rest", locals(), query)

    def resume(self, continuation_token: str) -> Poller:
        """Continues a long-running operation from ``Poller.continuation_token()``."""
        return self._s.resume(continuation_token)

    def __repr__(self) -> str:
        return f"<galleryshare.Az cloud={self._s.cloud.name!r}>"


class _Account(_Group):
    def list(self, *, query: Optional[str] = None) -> Any:
        """``az account list``."""
        return self._s.call("account.list", {}, query)

    def show(self, *, subscription: Optional[str] = None, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:
        """``az account show``."""
        return self._s.call("account.show", locals(), query)

    def set(self, *, subscription: str, timeout: Optional[float] = None) -> None:
        """``az account set --subscription NAME_OR_ID``."""
        return self._s.call("account.set", locals())


class _ResourceGroup(_Group):
    def create(self, *, name: str, location: str, tags: Tags = None, subscription: Optional[str] = None,
               query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az group create --name --location``."""
        return self._s.call("group.create", locals(), query)

    def show(self, *, name: str, subscription: Optional[str] = None, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:
        """``az group show --name``."""
        return self._s.call("group.show", locals(), query)


class _RoleAssignment(_Group):
    def create(self, *, role: str, scope: str, assignee: Optional[str] = None,
               assignee_object_id: Optional[str] = None, assignee_principal_type: Optional[str] = None,
               description: Optional[str] = None, name: Optional[str] = None, query: Optional[str] = None,
               timeout: Optional[float] = None) -> Any:
        """``az role assignment create --role Reader --assignee EMAIL|APP_ID|OBJECT_ID --scope ID``.
        An identical existing assignment is returned as it is, as the CLI does."""
        return self._s.call("role.assignment.create", locals(), query)

    def list(self, *, scope: Optional[str] = None, assignee: Optional[str] = None, role: Optional[str] = None,
             subscription: Optional[str] = None, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az role assignment list [--scope] [--assignee] [--role]``."""
        return self._s.call("role.assignment.list", locals(), query)

    def delete(self, *, ids: Optional[List[str]] = None, scope: Optional[str] = None, assignee: Optional[str] = None,
               role: Optional[str] = None, subscription: Optional[str] = None, timeout: Optional[float] = None) -> None:
        """``az role assignment delete --ids … | --assignee/--role/--scope``."""
        return self._s.call("role.assignment.delete", locals())


class _RoleDefinition(_Group):
    def list(self, *, name: Optional[str] = None, scope: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az role definition list [--name Reader] [--scope]``."""
        return self._s.call("role.definition.list", locals(), query)


class _Role(_Group):
    def __init__(self, session: Session):
        super().__init__(session)
        self.assignment = _RoleAssignment(session)
        self.definition = _RoleDefinition(session)


class _AdUser(_Group):
    def show(self, *, id: str, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:  # noqa: A002 - the CLI's dest name
        """``az ad user show --id UPN_OR_OBJECT_ID``."""
        return self._s.call("ad.user.show", locals(), query)

    def list(self, *, upn: Optional[str] = None, display_name: Optional[str] = None, filter: Optional[str] = None,
              # noqa: A002
             query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az ad user list [--upn] [--display-name PREFIX] [--filter ODATA]``."""
        return self._s.call("ad.user.list", locals(), query)


class _AdSp(_Group):
    def show(self, *, id: str, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:  # noqa: A002 - the CLI's dest name
        """``az ad sp show --id APP_ID_OR_OBJECT_ID``."""
        return self._s.call("ad.sp.show", locals(), query)

    def list(self, *, spn: Optional[str] = None, display_name: Optional[str] = None, filter: Optional[str] = None,
              # noqa: A002
             query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az ad sp list [--spn] [--display-name PREFIX] [--filter ODATA]``."""
        return self._s.call("ad.sp.list", locals(), query)


class _Ad(_Group):
    def __init__(self, session: Session):
        super().__init__(session)
        self.user = _AdUser(session)
        self.sp = _AdSp(session)


class _NetworkKind(_Group):
    """show/list/delete, shared by every network resource group of commands."""

    _kind = ""

    def show(self, *, name: str, resource_group: str, subscription: Optional[str] = None, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:
        return self._s.call("network.show", {**locals(), "kind": self._kind}, query)

    def list(self, *, resource_group: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        return self._s.call("network.list", {**locals(), "kind": self._kind}, query)

    def delete(self, *, name: str, resource_group: str, subscription: Optional[str] = None, no_wait: bool = False,
               timeout: Optional[float] = None) -> None:
        return self._s.call("network.delete", {**locals(), "kind": self._kind})


class _Subnet(_Group):
    def create(self, *, name: str, resource_group: str, vnet_name: str, address_prefixes: List[str],
               network_security_group: Optional[str] = None, subscription: Optional[str] = None,
               no_wait: bool = False, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az network vnet subnet create``."""
        return self._s.call("network.vnet.subnet.create", locals(), query)


class _Vnet(_NetworkKind):
    _kind = "vnet"

    def __init__(self, session: Session):
        super().__init__(session)
        self.subnet = _Subnet(session)

    def create(self, *, name: str, resource_group: str, location: Optional[str] = None,
               address_prefixes: Optional[List[str]] = None, subnet_name: Optional[str] = None,
               subnet_prefixes: Optional[List[str]] = None, tags: Tags = None, subscription: Optional[str] = None,
               no_wait: bool = False, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az network vnet create`` (prints ``{"newVNet": …}``)."""
        return self._s.call("network.vnet.create", locals(), query)


class _PublicIp(_NetworkKind):
    _kind = "public_ip"

    def create(self, *, name: str, resource_group: str, location: Optional[str] = None, sku: Optional[str] = None,
               allocation_method: Optional[str] = None, tags: Tags = None, subscription: Optional[str] = None,
               no_wait: bool = False, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az network public-ip create`` (prints ``{"publicIp": …}``)."""
        return self._s.call("network.public_ip.create", locals(), query)


class _NsgRule(_Group):
    def create(self, *, name: str, resource_group: str, nsg_name: str, priority: int, direction: Optional[str] = None,
               access: Optional[str] = None, protocol: Optional[str] = None,
               source_address_prefixes: Optional[List[str]] = None, source_port_ranges: Optional[List[str]] = None,
               destination_address_prefixes: Optional[List[str]] = None,
               destination_port_ranges: Optional[List[str]] = None, description: Optional[str] = None,
               subscription: Optional[str] = None, no_wait: bool = False, query: Optional[str] = None,
               timeout: Optional[float] = None) -> Any:
        """``az network nsg rule create``."""
        return self._s.call("network.nsg.rule.create", locals(), query)


class _Nsg(_NetworkKind):
    _kind = "nsg"

    def __init__(self, session: Session):
        super().__init__(session)
        self.rule = _NsgRule(session)

    def create(self, *, name: str, resource_group: str, location: Optional[str] = None, tags: Tags = None,
               subscription: Optional[str] = None, no_wait: bool = False, query: Optional[str] = None,
               timeout: Optional[float] = None) -> Any:
        """``az network nsg create`` (prints ``{"NewNSG": …}``)."""
        return self._s.call("network.nsg.create", locals(), query)


class _Nic(_NetworkKind):
    _kind = "nic"

    def create(self, *, name: str, resource_group: str, subnet: str, vnet_name: Optional[str] = None,
               location: Optional[str] = None, public_ip_address: Optional[str] = None,
               network_security_group: Optional[str] = None, private_ip_address: Optional[str] = None,
               tags: Tags = None, subscription: Optional[str] = None, no_wait: bool = False,
               query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az network nic create`` (prints ``{"NewNIC": …}``)."""
        return self._s.call("network.nic.create", locals(), query)


class _Network(_Group):
    def __init__(self, session: Session):
        super().__init__(session)
        self.vnet = _Vnet(session)
        self.public_ip = _PublicIp(session)
        self.nsg = _Nsg(session)
        self.nic = _Nic(session)


class _Vm(_Group):
    def create(self, *, name: str, resource_group: str, image: str, location: Optional[str] = None,
               size: Optional[str] = None, admin_username: Optional[str] = None, admin_password: Optional[str] = None,
               ssh_key_values: Optional[List[str]] = None, generate_ssh_keys: bool = False,
               authentication_type: Optional[str] = None, os_type: Optional[str] = None,
               nics: Optional[List[str]] = None, vnet_name: Optional[str] = None, subnet: Optional[str] = None,
               public_ip_address: Optional[str] = None, nsg: Optional[str] = None,
               os_disk_name: Optional[str] = None, os_disk_caching: Optional[str] = None,
               storage_sku: Optional[str] = None, accept_term: bool = False,
               tags: Tags = None, subscription: Optional[str] = None, no_wait: bool = False,
               query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az vm create``: ``image`` may be ``/SharedGalleries/…/Versions/…`` (needs ``location``),
        ``/CommunityGalleries/…`` (needs ``accept_term=True``), a full image resource id — in another tenant
        too: log in to both tenants and the auxiliary token is sent for you — a URN, or an alias. Missing
        VNet, subnet, public IP, NSG and NIC are created with the CLI's names."""
        return self._s.call("vm.create", locals(), query)

    def show(self, *, name: str, resource_group: str, subscription: Optional[str] = None, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:
        """``az vm show``."""
        return self._s.call("vm.show", locals(), query)

    def list(self, *, resource_group: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        """``az vm list``."""
        return self._s.call("vm.list", locals(), query)

    def delete(self, *, name: str, resource_group: str, subscription: Optional[str] = None, no_wait: bool = False,
               timeout: Optional[float] = None) -> None:
        """``az vm delete``."""
        return self._s.call("vm.delete", locals())


class _Vmss(_Group):
    def create(self, *, name: str, resource_group: str, image: str, location: Optional[str] = None,
               instance_count: Optional[int] = None, vm_sku: Optional[str] = None,
               admin_username: Optional[str] = None, admin_password: Optional[str] = None,
               ssh_key_values: Optional[List[str]] = None, generate_ssh_keys: bool = False,
               authentication_type: Optional[str] = None, os_type: Optional[str] = None,
               vnet_name: Optional[str] = None, subnet: Optional[str] = None,
               upgrade_policy_mode: Optional[str] = None, orchestration_mode: Optional[str] = None,
               os_disk_caching: Optional[str] = None, storage_sku: Optional[str] = None,
               disable_overprovision: bool = False, accept_term: bool = False, tags: Tags = None,
               subscription: Optional[str] = None, no_wait: bool = False, query: Optional[str] = None,
               timeout: Optional[float] = None) -> Any:
        """``az vmss create`` (the same image kinds as ``vm.create``; prints ``{"vmss": …}``)."""
        return self._s.call("vmss.create", locals(), query)

    def show(self, *, name: str, resource_group: str, subscription: Optional[str] = None, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:
        """``az vmss show``."""
        return self._s.call("vmss.show", locals(), query)

    def list(self, *, resource_group: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        """``az vmss list``."""
        return self._s.call("vmss.list", locals(), query)

    def delete(self, *, name: str, resource_group: str, subscription: Optional[str] = None, no_wait: bool = False,
               timeout: Optional[float] = None) -> None:
        """``az vmss delete``."""
        return self._s.call("vmss.delete", locals())


class _Share(_Group):
    def add(self, *, resource_group: str, gallery_name: str, subscription_ids: Optional[List[str]] = None,
            tenant_ids: Optional[List[str]] = None, subscription: Optional[str] = None, no_wait: bool = False,
            query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig share add --subscription-ids … --tenant-ids …`` (the gallery must have ``permissions=Groups``)."""
        return self._s.call("sig.share.add", locals(), query)

    def remove(self, *, resource_group: str, gallery_name: str, subscription_ids: Optional[List[str]] = None,
               tenant_ids: Optional[List[str]] = None, subscription: Optional[str] = None, no_wait: bool = False,
               query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig share remove``."""
        return self._s.call("sig.share.remove", locals(), query)

    def reset(self, *, resource_group: str, gallery_name: str, subscription: Optional[str] = None,
              no_wait: bool = False, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig share reset``: back to Private; every consumer loses sight at once."""
        return self._s.call("sig.share.reset", locals(), query)

    def sync(self, *, resource_group: str, gallery_name: str, subscription_ids: Optional[List[str]] = None,
             tenant_ids: Optional[List[str]] = None, dry_run: bool = False, subscription: Optional[str] = None,
             query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """Desired-state sharing (beyond the CLI): make the gallery shared with exactly these subscriptions and
        tenants. Reads the live groups, applies only the Add/Remove difference (nothing when in sync; a Private
        gallery is switched to Groups), and returns the plan and what was applied. ``dry_run=True`` only plans."""
        return self._s.call("sig.share.sync", {**locals(), "subscription_ids": subscription_ids or [],
                                               "tenant_ids": tenant_ids or []}, query)

    def enable_community(self, *, resource_group: str, gallery_name: str, subscription: Optional[str] = None,
                         no_wait: bool = False, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig share enable-community``: publishes a ``permissions="community"`` gallery to every Azure user."""
        return self._s.call("sig.share.enable_community", locals(), query)

    def wait(self, *, resource_group: str, gallery_name: str, timeout: int = 3600, interval: int = 30,
             subscription: Optional[str] = None) -> None:
        """``az sig share wait``: until the gallery's provisioning and sharing states settle, polling every
        ``interval`` seconds; OperationTimeoutError after ``timeout`` seconds (the command's own ``--timeout``,
        sent as ``wait_timeout`` since a facade's ``timeout`` is the limit of the call)."""
        for name, value in (("timeout", timeout), ("interval", interval)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TypeError(f"{name} must be a whole number of seconds ≥ 0, not {value!r}")
        return self._s.call("sig.share.wait", {"resource_group": resource_group, "gallery_name": gallery_name,
                                                "wait_timeout": timeout, "interval": interval,
                                                "subscription": subscription})


class _ImageDefinition(_Group):
    def create(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str, publisher: str,
               offer: str, sku: str, os_type: str, os_state: Optional[str] = None,
               hyper_v_generation: Optional[str] = None, architecture: Optional[str] = None,
               location: Optional[str] = None, description: Optional[str] = None, eula: Optional[str] = None,
               end_of_life_date: Optional[str] = None, privacy_statement_uri: Optional[str] = None,
               release_note_uri: Optional[str] = None, tags: Tags = None, subscription: Optional[str] = None,
               no_wait: bool = False, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig image-definition create``."""
        return self._s.call("sig.image_definition.create", locals(), query)

    def show(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
             subscription: Optional[str] = None, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig image-definition show``."""
        return self._s.call("sig.image_definition.show", locals(), query)

    def list(self, *, resource_group: str, gallery_name: str, subscription: Optional[str] = None,
             query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        """``az sig image-definition list``."""
        return self._s.call("sig.image_definition.list", locals(), query)

    def delete(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
               subscription: Optional[str] = None, no_wait: bool = False, timeout: Optional[float] = None) -> Any:
        """``az sig image-definition delete``."""
        return self._s.call("sig.image_definition.delete", locals())

    def list_shared(self, *, gallery_unique_name: str, location: str, shared_to: Optional[str] = None,
                    subscription: Optional[str] = None, query: Optional[str] = None, stream: bool = False,
                    timeout: Optional[float] = None) -> Any:
        """``az sig image-definition list-shared`` (consumer view)."""
        return self._s.call("sig.image_definition.list_shared", locals(), query)

    def show_shared(self, *, gallery_unique_name: str, location: str, gallery_image_definition: str,
                    subscription: Optional[str] = None, query: Optional[str] = None,
                    timeout: Optional[float] = None) -> Any:
        """``az sig image-definition show-shared`` (consumer view)."""
        return self._s.call("sig.image_definition.show_shared", locals(), query)

    def list_community(self, *, public_gallery_name: str, location: str, subscription: Optional[str] = None,
                       query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        """``az sig image-definition list-community``."""
        return self._s.call("sig.image_definition.list_community", locals(), query)

    def show_community(self, *, public_gallery_name: str, location: str, gallery_image_definition: str,
                       subscription: Optional[str] = None, query: Optional[str] = None,
                       timeout: Optional[float] = None) -> Any:
        """``az sig image-definition show-community``."""
        return self._s.call("sig.image_definition.show_community", locals(), query)


class _ImageVersion(_Group):
    def create(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
               gallery_image_version: str, managed_image: Optional[str] = None,
               virtual_machine: Optional[str] = None, image_version: Optional[str] = None,
               target_regions: Optional[List[str]] = None, replica_count: Optional[int] = None,
               exclude_from_latest: Optional[bool] = None, end_of_life_date: Optional[str] = None,
               storage_account_type: Optional[str] = None, location: Optional[str] = None, tags: Tags = None,
               subscription: Optional[str] = None, no_wait: bool = False, query: Optional[str] = None,
               timeout: Optional[float] = None) -> Any:
        """``az sig image-version create`` (``target_regions`` as the CLI takes them: ``"westus=2=standard_zrs"``)."""
        return self._s.call("sig.image_version.create", locals(), query)

    def update(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
               gallery_image_version: str, target_regions: Optional[List[str]] = None,
               replica_count: Optional[int] = None, exclude_from_latest: Optional[bool] = None,
               end_of_life_date: Optional[str] = None, subscription: Optional[str] = None, no_wait: bool = False,
               query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig image-version update`` (replicate to more regions, include in or exclude from latest)."""
        return self._s.call("sig.image_version.update", locals(), query)

    def show(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
             gallery_image_version: str, expand: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig image-version show [--expand ReplicationStatus]``."""
        return self._s.call("sig.image_version.show", locals(), query)

    def list(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
             subscription: Optional[str] = None, query: Optional[str] = None, stream: bool = False,
             timeout: Optional[float] = None) -> Any:
        """``az sig image-version list``."""
        return self._s.call("sig.image_version.list", locals(), query)

    def delete(self, *, resource_group: str, gallery_name: str, gallery_image_definition: str,
               gallery_image_version: str, subscription: Optional[str] = None, no_wait: bool = False,
               timeout: Optional[float] = None) -> Any:
        """``az sig image-version delete``."""
        return self._s.call("sig.image_version.delete", locals())

    def list_shared(self, *, gallery_unique_name: str, gallery_image_definition: str, location: str,
                    shared_to: Optional[str] = None, subscription: Optional[str] = None,
                    query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        """``az sig image-version list-shared`` (consumer view)."""
        return self._s.call("sig.image_version.list_shared", locals(), query)

    def show_shared(self, *, gallery_unique_name: str, gallery_image_definition: str, gallery_image_version: str,
                    location: str, subscription: Optional[str] = None, query: Optional[str] = None,
                    timeout: Optional[float] = None) -> Any:
        """``az sig image-version show-shared`` (consumer view)."""
        return self._s.call("sig.image_version.show_shared", locals(), query)

    def list_community(self, *, public_gallery_name: str, gallery_image_definition: str, location: str,
                       subscription: Optional[str] = None, query: Optional[str] = None, stream: bool = False,
                       timeout: Optional[float] = None) -> Any:
        """``az sig image-version list-community``."""
        return self._s.call("sig.image_version.list_community", locals(), query)

    def show_community(self, *, public_gallery_name: str, gallery_image_definition: str, gallery_image_version: str,
                       location: str, subscription: Optional[str] = None, query: Optional[str] = None,
                       timeout: Optional[float] = None) -> Any:
        """``az sig image-version show-community``."""
        return self._s.call("sig.image_version.show_community", locals(), query)


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
               no_wait: bool = False, query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig create`` (``permissions``: Private, Groups or Community; location defaults to the group's)."""
        return self._s.call("sig.create", locals(), query)

    def show(self, *, resource_group: str, gallery_name: str, select: Optional[str] = None,
             sharing_groups: bool = False, subscription: Optional[str] = None, query: Optional[str] = None,
             timeout: Optional[float] = None) -> Any:
        """``az sig show [--select Permissions] [--sharing-groups]``."""
        return self._s.call("sig.show", locals(), query)

    def list(self, *, resource_group: Optional[str] = None, subscription: Optional[str] = None,
             query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        """``az sig list [-g RG]``."""
        return self._s.call("sig.list", locals(), query)

    def delete(self, *, resource_group: str, gallery_name: str, subscription: Optional[str] = None,
               no_wait: bool = False, timeout: Optional[float] = None) -> Any:
        """``az sig delete``."""
        return self._s.call("sig.delete", locals())

    def explain_access(self, *, image: str, subscription: str, location: Optional[str] = None,
                       principal: Optional[str] = None, timeout: Optional[float] = None) -> Findings:
        """Why can (or can't) the consumer ``subscription`` see or deploy ``image`` (a gallery/definition/version
        id, ``/SharedGalleries/…`` or ``/CommunityGalleries/…``)? Read calls only. Each finding has a verdict
        and, where something blocks, the CLI, PowerShell and Python line that fixes it (beyond the CLI)."""
        return self._s.call("sig.explain_access", locals(), then=Findings)

    def sharing_report(self, *, resource_group: Optional[str] = None, subscription: Optional[str] = None,
                       timeout: Optional[float] = None) -> SharingReport:
        """Who can reach each gallery in scope (beyond the CLI): RBAC assignments with role and where they are
        inherited from, direct shares to subscriptions and tenants, community publication — one row each,
        ready for ``pandas.DataFrame(rows)``; renders as a table in Jupyter."""
        return self._s.call("sig.sharing_report", locals(), then=SharingReport)

    def list_shared(self, *, location: str, shared_to: Optional[str] = None, subscription: Optional[str] = None,
                    query: Optional[str] = None, stream: bool = False, timeout: Optional[float] = None) -> Any:
        """``az sig list-shared --location L [--shared-to tenant]`` (consumer view)."""
        return self._s.call("sig.list_shared", locals(), query)

    def show_shared(self, *, gallery_unique_name: str, location: str, subscription: Optional[str] = None,
                    query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig show-shared`` (consumer view)."""
        return self._s.call("sig.show_shared", locals(), query)

    def show_community(self, *, public_gallery_name: str, location: str, subscription: Optional[str] = None,
                       query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig show-community --public-gallery-name P --location L``: the publisher's metadata and EULA."""
        return self._s.call("sig.show_community", locals(), query)

    def list_community(self, *, location: Optional[str] = None, subscription: Optional[str] = None,
                       query: Optional[str] = None, timeout: Optional[float] = None) -> Any:
        """``az sig list-community [--location L]`` (through Azure Resource Graph, as the CLI does)."""
        return self._s.call("sig.list_community", locals(), query)
