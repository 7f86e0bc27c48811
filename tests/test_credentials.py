"""Every way to log in, over HTTPS against the emulator's Entra ID: a certificate (CLI and PowerShell), the
azure-identity environment variables, and ``credential=`` with a real ``azure.identity`` credential — then a
real read or a sharing round trip with the login. Secrets and keys never appear in errors or reprs."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, List

import pytest

import galleryshare as gs
from conftest import login_app

# Test dependencies (dev.py TEST): azure-identity brings msal and PyJWT.
import jwt
from azure.identity import CertificateCredential, ClientSecretCredential

ARM = "https://management.azure.com/.default"
RG, GALLERY = "credRG", "credGallery"


def tenant_id(emu, name: str = "contoso") -> str:
    return emu.directory.tenant(name).id


def secret_credential(emu, app: str = "contoso-admin", tenant: str = "contoso", secret: str = "") -> ClientSecretCredential:
    a = emu.directory.app(app)
    return ClientSecretCredential(tenant_id(emu, tenant), a.client_id, secret or a.secret, authority=emu.endpoint,
                                  disable_instance_discovery=True, connection_verify=emu.ca_cert_path)


class Counting:
    """A credential that counts get_token calls per scope (to see the core's token cache at work)."""

    def __init__(self, inner: Any):
        self.inner, self.calls = inner, []  # type: ignore[var-annotated]

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.calls.append(scopes)
        return self.inner.get_token(*scopes, **kwargs)


def token_requests(emu) -> List[dict]:
    return [r for r in emu.requests() if r["path"].endswith("/oauth2/v2.0/token")]


# -- credential= ----------------------------------------------------------------------------------------------

def test_azure_identity_credential_does_a_sharing_round_trip(emu, fabrikam):
    cred = Counting(secret_credential(emu))
    az = gs.Az(cloud=emu.cloud)
    accounts = az.login(credential=cred)  # the tenant comes from the token's tid claim
    admin = emu.directory.app("contoso-admin")
    assert {a["tenantId"] for a in accounts} == {tenant_id(emu)}
    assert {a["user"]["name"] for a in accounts} == {admin.client_id}
    assert {a["user"]["type"] for a in accounts} == {"servicePrincipal"}
    az.account.set(subscription="contoso-prod")

    az.group.create(name=RG, location="eastus")
    gallery = az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups")
    fab_sub = emu.directory.subscription("fabrikam-prod").id
    assert az.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub]) == {}
    unique = gallery["identifier"]["uniqueName"]
    assert [g["name"] for g in fabrikam.sig.list_shared(location="eastus")] == [unique]
    assert az.sig.share.remove(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub]) == {}
    assert fabrikam.sig.list_shared(location="eastus") == []

    # Many ARM requests, one get_token per scope: the core keeps the token until 5 minutes before expiry.
    assert cred.calls == [(ARM,)]


def test_credential_with_explicit_tenant_and_powershell(emu):
    ps = gs.Pwsh(cloud=emu.cloud)
    ctx = ps.Connect_AzAccount(TokenCredential=secret_credential(emu), Tenant=tenant_id(emu), Subscription="contoso-dev")
    assert ctx.Subscription == emu.directory.subscription("contoso-dev").id
    assert sorted(s.Name for s in ps.Get_AzSubscription()) == ["contoso-dev", "contoso-prod"]
    ps.Set_AzContext(Subscription="contoso-prod")
    assert ps.Get_AzResourceGroup(Name="images").ResourceGroupName == "images"


def test_credential_works_from_asyncio(emu):
    async def main() -> Any:
        az = gs.aio.Az(cloud=emu.cloud)
        await az.login(credential=secret_credential(emu))
        return await az.group.show(name="images", subscription="contoso-prod")

    assert asyncio.run(main())["name"] == "images"


def test_object_without_get_token_is_a_type_error_before_any_request(emu):
    emu.clear_requests()
    with pytest.raises(TypeError, match="get_token"):
        gs.Az(cloud=emu.cloud).login(credential=object())
    with pytest.raises(TypeError, match="get_token"):
        gs.Pwsh(cloud=emu.cloud).Connect_AzAccount(TokenCredential="a token string")
    with pytest.raises(gs.ValidationError, match="cannot be combined"):
        gs.Az(cloud=emu.cloud).login(credential=secret_credential(emu), password="x")
    assert emu.requests() == []


def test_failing_credential_is_an_authentication_error_with_the_aadsts_code_and_no_secret(emu):
    wrong = "wrong-" + uuid.uuid4().hex
    with pytest.raises(gs.ClientAuthenticationError) as e:
        gs.Az(cloud=emu.cloud).login(credential=secret_credential(emu, secret=wrong))
    assert "AADSTS7000215" in str(e.value)
    assert wrong not in str(e.value)


def test_get_token_returning_the_wrong_shape_is_a_type_error(emu):
    class Bad:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            return "just a string"

    with pytest.raises(TypeError, match="expires_on"):
        gs.Az(cloud=emu.cloud).login(credential=Bad(), tenant=tenant_id(emu))


def test_an_asyncio_credential_is_refused_with_a_clear_type_error(emu):
    class AsyncOnly:
        async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise AssertionError("never awaited")

    with pytest.raises(TypeError, match="azure.identity.aio"):
        gs.Az(cloud=emu.cloud).login(credential=AsyncOnly(), tenant=tenant_id(emu))


# -- certificates ---------------------------------------------------------------------------------------------

def test_certificate_login_cli_then_a_read(emu):
    app = emu.directory.app("contoso-admin")
    assert "PRIVATE KEY" not in repr(app) and app.certificate_pem not in repr(emu.directory)
    assert app.certificate_pem.startswith("-----BEGIN CERTIFICATE-----") and "-----BEGIN PRIVATE KEY-----" in app.certificate_pem
    az = gs.Az(cloud=emu.cloud)
    accounts = az.login(service_principal=True, username=app.client_id, certificate=app.certificate_path,
                        tenant=tenant_id(emu))
    assert {a["name"] for a in accounts} == {"contoso-prod", "contoso-dev"}
    assert az.group.show(name="images", subscription="contoso-prod")["location"] == "eastus"
    # The PEM text itself works as well (no file needed).
    az2 = gs.Az(cloud=emu.cloud)
    az2.login(service_principal=True, username=app.client_id, certificate=app.certificate_pem, tenant="contoso.com")
    assert az2.account.show()["user"] == {"name": app.client_id, "type": "servicePrincipal"}


def test_certificate_login_powershell_then_a_read(emu):
    app = emu.directory.app("fabrikam-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ctx = ps.Connect_AzAccount(ServicePrincipal=True, ApplicationId=app.client_id, CertificatePath=app.certificate_path,
                               Tenant=tenant_id(emu, "fabrikam"))
    assert ctx.Tenant == tenant_id(emu, "fabrikam")
    assert ps.Get_AzSubscription().Name == "fabrikam-prod"


def test_another_apps_certificate_is_aadsts700027_without_key_material(emu):
    mine, other = emu.directory.app("contoso-admin"), emu.directory.app("fabrikam-admin")
    with pytest.raises(gs.ClientAuthenticationError) as e:
        gs.Az(cloud=emu.cloud).login(service_principal=True, username=mine.client_id,
                                     certificate=other.certificate_pem, tenant=tenant_id(emu))
    text = str(e.value)
    assert "AADSTS700027" in text and "not registered on application" in text
    key_body = other.certificate_pem.split("-----BEGIN PRIVATE KEY-----")[1].split()[0]
    assert "PRIVATE" not in text and key_body[:40] not in text


def test_unusable_certificate_is_a_validation_error_before_any_request(emu, tmp_path):
    app = emu.directory.app("contoso-admin")
    cert_only = app.certificate_pem.split("-----BEGIN PRIVATE KEY-----")[0]
    emu.clear_requests()
    az = gs.Az(cloud=emu.cloud)
    with pytest.raises(gs.ValidationError, match="no private key"):
        az.login(service_principal=True, username=app.client_id, certificate=cert_only, tenant=tenant_id(emu))
    with pytest.raises(gs.ValidationError, match="does not exist"):
        az.login(service_principal=True, username=app.client_id, certificate=str(tmp_path / "missing.pem"),
                 tenant=tenant_id(emu))
    with pytest.raises(gs.ValidationError, match="--service-principal"):
        az.login(username=app.client_id, certificate=app.certificate_pem, tenant=tenant_id(emu))
    with pytest.raises(gs.ValidationError, match="tenant"):
        az.login(service_principal=True, username=app.client_id, certificate=app.certificate_pem)
    assert emu.requests() == []


def test_official_certificate_credential_gets_tokens_and_logs_in(emu):
    app = emu.directory.app("contoso-admin")
    cred = CertificateCredential(tenant_id(emu), app.client_id, certificate_path=app.certificate_path,
                                 authority=emu.endpoint, disable_instance_discovery=True,
                                 connection_verify=emu.ca_cert_path)
    token = cred.get_token(ARM)
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert claims["appid"] == app.client_id and claims["tid"] == tenant_id(emu)
    az = gs.Az(cloud=emu.cloud)
    az.login(credential=cred)
    assert az.group.show(name="images", subscription="contoso-prod")["name"] == "images"


def post_assertion(emu, app, assertion: str) -> dict:
    body = ("grant_type=client_credentials&scope=" + urllib.request.quote(ARM, safe="") + "&client_id=" + app.client_id +
            "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" +
            assertion).encode()
    req = urllib.request.Request(f"{emu.endpoint}/{tenant_id(emu)}/oauth2/v2.0/token", data=body, method="POST")
    ctx = ssl.create_default_context(cafile=emu.ca_cert_path)
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())


def signed_assertion(emu, app, **overrides: Any) -> str:
    import base64
    import hashlib

    from cryptography import x509

    pem = app.certificate_pem
    cert = x509.load_pem_x509_certificate(pem.encode())
    x5t = base64.urlsafe_b64encode(hashlib.sha1(cert.public_bytes(serialization_der())).digest()).decode().rstrip("=")
    key = pem[pem.index("-----BEGIN PRIVATE KEY-----"):]
    now = int(time.time())
    claims = {"aud": f"{emu.endpoint}/{tenant_id(emu)}/oauth2/v2.0/token", "iss": app.client_id, "sub": app.client_id,
              "jti": str(uuid.uuid4()), "nbf": now, "exp": now + 600, **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t})


def serialization_der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


@pytest.mark.parametrize("overrides, code", [
    ({}, None),
    ({"exp": int(time.time()) - 3600, "nbf": int(time.time()) - 7200}, 700024),
    ({"iss": "00000000-0000-0000-0000-000000000000"}, 700021),
    ({"aud": "https://login.microsoftonline.com/common/oauth2/v2.0/token"}, 700016),
])
def test_token_endpoint_checks_the_assertion_as_entra_does(emu, overrides, code):
    app = emu.directory.app("contoso-admin")
    answer = post_assertion(emu, app, signed_assertion(emu, app, **overrides))
    if code is None:
        assert answer["token_type"] == "Bearer" and answer["access_token"]
    else:
        assert answer["error"] == "invalid_client" and answer["error_codes"] == [code], answer
        assert answer["error_description"].startswith(f"AADSTS{code}: ")


def test_tampered_assertion_fails_signature_validation(emu):
    app = emu.directory.app("contoso-admin")
    head, body, sig = signed_assertion(emu, app).split(".")
    forged = jwt.utils.base64url_encode(json.dumps({**jwt.decode(f"{head}.{body}.{sig}", options={"verify_signature": False}),
                                                     "sub": "someone-else"}).encode()).decode()
    answer = post_assertion(emu, app, f"{head}.{forged}.{sig}")
    assert answer["error_codes"] == [700027] and "signature validation" in answer["error_description"]


# -- workload identity (federated tokens) --------------------------------------------------------------------

def test_federated_token_login_cli_and_powershell_then_a_read(emu):
    app = emu.directory.app("contoso-admin")
    az = gs.Az(cloud=emu.cloud)
    az.login(service_principal=True, username=app.client_id, federated_token=app.federated_token(), tenant=tenant_id(emu))
    assert az.group.show(name="images", subscription="contoso-prod")["name"] == "images"
    fab = emu.directory.app("fabrikam-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ctx = ps.Connect_AzAccount(ServicePrincipal=True, ApplicationId=fab.client_id, FederatedToken=fab.federated_token(),
                               Tenant=tenant_id(emu, "fabrikam"))
    assert ctx.Subscription == emu.directory.subscription("fabrikam-prod").id


def test_another_apps_federated_token_is_aadsts700213_without_the_token(emu):
    mine, other = emu.directory.app("contoso-admin"), emu.directory.app("fabrikam-admin")
    token = other.federated_token()
    with pytest.raises(gs.ClientAuthenticationError) as e:
        gs.Az(cloud=emu.cloud).login(service_principal=True, username=mine.client_id, federated_token=token,
                                     tenant=tenant_id(emu))
    assert "AADSTS700213" in str(e.value) and "system:serviceaccount:default:fabrikam-admin" in str(e.value)
    assert token not in str(e.value) and token.split(".")[2] not in str(e.value)


def test_an_access_token_is_not_a_federated_token(emu, contoso):
    app = emu.directory.app("contoso-admin")
    access = secret_credential(emu).get_token(ARM).token
    answer = post_assertion(emu, app, access)
    assert answer["error_codes"] == [700211] and "sts.windows.net" in answer["error_description"]


def test_official_workload_identity_credential_and_the_env_file(emu, clean_env, tmp_path):
    from azure.identity import WorkloadIdentityCredential

    app = emu.directory.app("contoso-admin")
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(app.federated_token())
    cred = WorkloadIdentityCredential(tenant_id=tenant_id(emu), client_id=app.client_id, token_file_path=str(token_file),
                                      authority=emu.endpoint, disable_instance_discovery=True,
                                      connection_verify=emu.ca_cert_path)
    az = gs.Az(cloud=emu.cloud)
    az.login(credential=cred)
    assert az.group.show(name="images", subscription="contoso-prod")["name"] == "images"

    clean_env.setenv("AZURE_TENANT_ID", tenant_id(emu))
    clean_env.setenv("AZURE_CLIENT_ID", app.client_id)
    clean_env.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    az2 = gs.Az(cloud=emu.cloud)
    az2.login(env=True)
    assert az2.account.show()["user"]["name"] == app.client_id
    clean_env.setenv("AZURE_FEDERATED_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(gs.ValidationError, match="not a file"):
        gs.Az(cloud=emu.cloud).login(env=True)


# -- managed identity (App Service style endpoint) ------------------------------------------------------------

@pytest.fixture
def app_service(emu, monkeypatch):
    """The process runs "on App Service": IDENTITY_ENDPOINT/IDENTITY_HEADER point at the emulator."""
    for name, value in emu.directory.managed_identity_env().items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_managed_identity_login_cli_and_powershell_then_a_read(emu, app_service):
    app = emu.directory.app("contoso-admin")
    az = gs.Az(cloud=emu.cloud)
    accounts = az.login(identity=True, username=app.client_id)
    assert {a["tenantId"] for a in accounts} == {tenant_id(emu)}
    assert az.group.show(name="images", subscription="contoso-prod")["name"] == "images"
    fab = emu.directory.app("fabrikam-admin")
    ctx = gs.Pwsh(cloud=emu.cloud).Connect_AzAccount(Identity=True, AccountId=fab.client_id)
    assert ctx.Subscription == emu.directory.subscription("fabrikam-prod").id
    msi = [r for r in emu.requests() if r["path"] == "/msi/token"]
    assert len(msi) == 2 and all(r["status"] == 200 for r in msi)


def test_managed_identity_without_an_assigned_identity_or_with_a_wrong_header(emu, app_service):
    with pytest.raises(gs.ClientAuthenticationError, match="not been assigned"):
        gs.Az(cloud=emu.cloud).login(identity=True)
    wrong = "wrong-" + uuid.uuid4().hex
    app_service.setenv("IDENTITY_HEADER", wrong)
    with pytest.raises(gs.ClientAuthenticationError) as e:
        gs.Az(cloud=emu.cloud).login(identity=True, username=emu.directory.app("contoso-admin").client_id)
    assert "IDENTITY_HEADER" in str(e.value) and wrong not in str(e.value)
    with pytest.raises(gs.ValidationError, match="cannot be combined"):
        gs.Az(cloud=emu.cloud).login(identity=True, password="x")


def test_official_managed_identity_credential_against_the_emulator(emu, app_service):
    from azure.identity import ManagedIdentityCredential

    app = emu.directory.app("contoso-admin")
    cred = ManagedIdentityCredential(client_id=app.client_id, connection_verify=emu.ca_cert_path)
    az = gs.Az(cloud=emu.cloud)
    az.login(credential=cred)
    assert az.account.show(subscription="contoso-prod")["user"]["name"] == app.client_id


# -- the Azure CLI's own login, reused -------------------------------------------------------------------------

FAKE_AZ = """#!{python}
# A stand-in for the Azure CLI: `az account get-access-token -o json --scope S [--tenant T]`, answered with a
# real token from the emulator for the app in FAKE_AZ_* (as if `az login` had been run as it). Counts its runs.
import json, os, ssl, sys, time, urllib.parse, urllib.request
args = sys.argv[1:]
assert args[:4] == ["account", "get-access-token", "-o", "json"], args
scope = args[args.index("--scope") + 1]
tenant = args[args.index("--tenant") + 1] if "--tenant" in args else os.environ["FAKE_AZ_TENANT"]
form = urllib.parse.urlencode({{"grant_type": "client_credentials", "client_id": os.environ["FAKE_AZ_CLIENT"],
                               "client_secret": os.environ["FAKE_AZ_SECRET"], "scope": scope}}).encode()
ctx = ssl.create_default_context(cafile=os.environ["FAKE_AZ_CA"])
with urllib.request.urlopen(os.environ["FAKE_AZ_ENDPOINT"] + "/" + tenant + "/oauth2/v2.0/token", form, context=ctx) as r:
    t = json.loads(r.read())
with open(os.environ["FAKE_AZ_COUNT"], "a") as f:
    f.write(scope + "\\n")
exp = int(time.time()) + t["expires_in"]
print(json.dumps({{"accessToken": t["access_token"], "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(exp)),
                  "expires_on": exp, "subscription": "", "tenant": tenant, "tokenType": "Bearer"}}))
"""


@pytest.fixture
def fake_az(emu, monkeypatch, tmp_path):
    import os
    import sys

    app = emu.directory.app("contoso-admin")
    script = tmp_path / "bin" / "az"
    script.parent.mkdir()
    script.write_text(FAKE_AZ.format(python=sys.executable))
    script.chmod(0o755)
    count = tmp_path / "calls"
    count.write_text("")
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    for name, value in {"FAKE_AZ_TENANT": tenant_id(emu), "FAKE_AZ_CLIENT": app.client_id, "FAKE_AZ_SECRET": app.secret,
                        "FAKE_AZ_CA": emu.ca_cert_path, "FAKE_AZ_ENDPOINT": emu.endpoint,
                        "FAKE_AZ_COUNT": str(count)}.items():
        monkeypatch.setenv(name, value)
    return count


def test_azure_cli_login_is_reused_and_its_tokens_cached(emu, fake_az):
    az = gs.Az(cloud=emu.cloud)
    accounts = az.login(azure_cli=True)
    assert {a["tenantId"] for a in accounts} == {tenant_id(emu)}
    for _ in range(5):
        assert az.group.show(name="images", subscription="contoso-prod")["name"] == "images"
    assert fake_az.read_text().split() == [ARM]  # one CLI run for the login and every later request


def test_azure_cli_missing_is_an_authentication_error(emu, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(gs.ClientAuthenticationError, match="(?i)azure cli|az"):
        gs.Az(cloud=emu.cloud).login(azure_cli=True, tenant=tenant_id(emu))


# -- environment variables ------------------------------------------------------------------------------------

AZURE_ENV = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
             "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_SUBSCRIPTION_ID"]


@pytest.fixture
def clean_env(monkeypatch):
    for name in AZURE_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_env_login_with_a_secret_selects_the_subscription(emu, clean_env):
    app = emu.directory.app("contoso-admin")
    clean_env.setenv("AZURE_TENANT_ID", tenant_id(emu))
    clean_env.setenv("AZURE_CLIENT_ID", app.client_id)
    clean_env.setenv("AZURE_CLIENT_SECRET", app.secret)
    clean_env.setenv("AZURE_SUBSCRIPTION_ID", emu.directory.subscription("contoso-dev").id)
    az = gs.Az(cloud=emu.cloud)
    accounts = az.login(env=True)
    assert [a["name"] for a in accounts if a["isDefault"]] == ["contoso-dev"]
    assert az.group.show(name="images", subscription="contoso-prod", query="name") == "images"


def test_env_login_with_a_certificate_path(emu, clean_env):
    app = emu.directory.app("fabrikam-admin")
    clean_env.setenv("AZURE_TENANT_ID", tenant_id(emu, "fabrikam"))
    clean_env.setenv("AZURE_CLIENT_ID", app.client_id)
    clean_env.setenv("AZURE_CLIENT_CERTIFICATE_PATH", app.certificate_path)
    az = gs.Az(cloud=emu.cloud)
    az.login(env=True)
    assert az.account.show()["name"] == "fabrikam-prod"


def test_env_login_names_missing_variables_and_never_a_value(emu, clean_env):
    secret = "s3cr3t-" + uuid.uuid4().hex
    clean_env.setenv("AZURE_CLIENT_SECRET", secret)
    emu.clear_requests()
    with pytest.raises(gs.ValidationError) as e:
        gs.Az(cloud=emu.cloud).login(env=True)
    assert "AZURE_TENANT_ID" in str(e.value) and "AZURE_CLIENT_ID" in str(e.value)
    assert secret not in str(e.value)
    assert emu.requests() == []


def test_env_login_with_a_wrong_secret_does_not_echo_it(emu, clean_env):
    wrong = "wrong-" + uuid.uuid4().hex
    clean_env.setenv("AZURE_TENANT_ID", tenant_id(emu))
    clean_env.setenv("AZURE_CLIENT_ID", emu.directory.app("contoso-admin").client_id)
    clean_env.setenv("AZURE_CLIENT_SECRET", wrong)
    with pytest.raises(gs.ClientAuthenticationError) as e:
        gs.Az(cloud=emu.cloud).login(env=True)
    assert "AADSTS7000215" in str(e.value) and wrong not in str(e.value)


# -- sovereign clouds (no network) ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, arm, authority", [
    ("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com"),
    ("AzureUSGovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us"),
    ("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ("azureusgovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us"),
])
def test_named_clouds_resolve(name, arm, authority):
    for cloud in (gs.Az(cloud=name).cloud, gs.Cloud.named(name)):
        assert cloud.resource_manager == arm
        assert cloud.active_directory == authority
        assert cloud.arm_scope == arm + "/.default"
    gs.Pwsh(cloud=name)  # accepted by the PowerShell mirror too


def test_unknown_cloud_is_a_validation_error():
    with pytest.raises(gs.ValidationError, match="AzureMoonCloud"):
        gs.Az(cloud="AzureMoonCloud")
