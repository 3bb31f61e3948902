"""The note's own person: their name, birth date, address and numbers, found verbatim."""

from hopia.privacy.pipes.context.context import PersonData, find_person_data

__all__ = ["PersonData", "find_person_data"]
