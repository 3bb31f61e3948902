"""Street addresses (ADRESSE), postcodes (ZIP) and cities (VILLE)."""

from hopia.privacy.pipes.places.places import find_places

__all__ = ["find_places"]
