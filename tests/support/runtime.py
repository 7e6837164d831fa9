"""The runtime a flow under test builds for itself: from the settings (the environment the test set)."""

from __future__ import annotations

from tasks.runtime import Runtime
from tasks.settings import get_settings


def env_runtime() -> Runtime:
    return Runtime.from_settings(get_settings())
