"""Hospital and clinic names (HOPITAL)."""

from hopia.privacy.pipes.hospitals.hospitals import find_hospitals

__all__ = ["find_hospitals"]
