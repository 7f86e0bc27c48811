"""Shared helpers for the end-to-end tests (the `azure_emulator` fixture comes from galleryshare's plugin)."""

from __future__ import annotations

import pytest

import galleryshare as gs


def login_app(emu, app: str, tenant: str) -> gs.Az:
    """A CLI session logged in as a seeded app in one tenant."""
    a = emu.directory.app(app)
    az = gs.Az(cloud=emu.cloud)
    az.login(service_principal=True, username=a.client_id, password=a.secret, tenant=emu.directory.tenant(tenant).id)
    return az


@pytest.fixture
def emu(azure_emulator):
    return azure_emulator


@pytest.fixture
def contoso(emu) -> gs.Az:
    az = login_app(emu, "contoso-admin", "contoso")
    az.account.set(subscription="contoso-prod")
    return az


@pytest.fixture
def fabrikam(emu) -> gs.Az:
    return login_app(emu, "fabrikam-admin", "fabrikam")
