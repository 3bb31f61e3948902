"""Telephone numbers (TEL) and e-mail addresses (MAIL)."""

from hopia.privacy.pipes.contact.contact import find_contacts

__all__ = ["find_contacts"]
