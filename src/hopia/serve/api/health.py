"""``GET /health``: is the service up, can it open the warehouse (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter

from hopia import __version__
from hopia.serve._state import WarehouseUnavailable
from hopia.serve.deps import State
from hopia.serve.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(state: State) -> Health:
    """Liveness, version, and whether a warehouse is available."""
    try:
        with state.warehouses.checkout():
            available = True
    except WarehouseUnavailable:
        available = False
    return Health(status="ok", version=__version__, warehouse=available)
