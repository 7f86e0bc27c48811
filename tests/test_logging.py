"""Rust-side log records reach Python `logging` under `galleryshare`, and never carry a secret or token."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import io, json, logging
    stream = io.StringIO()
    logging.basicConfig(level=logging.DEBUG, stream=stream, format="%(name)s %(levelname)s %(message)s")
    import galleryshare as gs
    with gs.emulator.start(lro_delay=0) as emu:
        d = emu.directory
        admin = d.app("contoso-admin")
        az = gs.Az(cloud=emu.cloud)
        az.login(service_principal=True, username=admin.client_id, password=admin.secret, tenant=d.tenant("contoso").id)
        az.account.set(subscription="contoso-prod")
        az.group.create(name="rg", location="eastus")
        az.sig.create(resource_group="rg", gallery_name="g", permissions="groups")
        az.sig.share.add(resource_group="rg", gallery_name="g", subscription_ids=[d.subscription("fabrikam-prod").id])
        user = d.user("alinne_montes@contoso.com")
        try:
            gs.Az(cloud=emu.cloud).login(username=user.upn, password=user.password)
        except gs.AzureError as e:
            stream.write(repr(e) + str(e))
        secrets = [a.secret for a in d.apps] + [u.password for u in d.users] + [emu.control_key]
        served = emu.requests()
    print(json.dumps({"log": stream.getvalue(), "secrets": secrets, "served": served}))
''')


def test_debug_log_has_requests_and_no_secrets():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout)
    log = result["log"]
    assert "galleryshare.http DEBUG Request: POST" in log, log[:2000]
    assert "/share?api-version=" in log
    assert "authorization: REDACTED" in log
    for secret in result["secrets"]:
        assert secret not in log
        assert secret not in json.dumps(result["served"])
    # JWTs start with a base64url '{"' header: `eyJ`.
    assert "eyJ" not in log
    assert "eyJ" not in json.dumps(result["served"])
