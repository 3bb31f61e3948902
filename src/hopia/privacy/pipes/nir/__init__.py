"""French social security numbers (SECU): NIR with its control key."""

from hopia.privacy.pipes.nir.nir import find_nir, nir_is_valid, nir_key

__all__ = ["find_nir", "nir_is_valid", "nir_key"]
