"""Hospital identifiers: patient (IPP) and stay (NDA) numbers after their cue words."""

from hopia.privacy.pipes.identifiers.identifiers import find_identifiers

__all__ = ["find_identifiers"]
