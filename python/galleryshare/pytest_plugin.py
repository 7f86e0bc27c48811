"""pytest plugin (registered through the ``pytest11`` entry point): the ``azure_emulator`` fixture.

One emulator serves the whole session; each test gets it reset to the seeded state, with no LRO delay.
"""

from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(scope="session")
def _galleryshare_session_emulator():
    from . import emulator

    emu = emulator.start(lro_delay=0)
    yield emu
    emu.stop()


@pytest.fixture
def azure_emulator(_galleryshare_session_emulator) -> Iterator["object"]:
    emu = _galleryshare_session_emulator
    emu.reset()
    emu.set_lro_delay(0)
    yield emu
