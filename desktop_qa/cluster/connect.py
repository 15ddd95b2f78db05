"""Joining a Ray cluster, or starting one on this machine."""

from __future__ import annotations

import logging
from typing import Any

from desktop_qa.core.errors import DesktopQAError

log = logging.getLogger(__name__)


class ClusterError(DesktopQAError):
    """Ray is missing, or the cluster cannot be reached."""

    exit_code = 70


def ray_module() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ClusterError(
            "running on a cluster needs Ray: pip install 'desktop-qa[cluster]'"
        ) from exc
    return ray


def connect(address: str) -> Any:
    """``ray`` joined to the cluster at ``address`` ("local": a Ray started here)."""
    ray = ray_module()
    if ray.is_initialized():
        return ray
    try:
        if address == "local":
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot join the Ray cluster at {address}: {exc}") from exc
    return ray
