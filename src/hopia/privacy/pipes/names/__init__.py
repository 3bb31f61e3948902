"""Person names (NOM, PRENOM) from context: titles, forms, family words, signatures."""

from hopia.privacy.pipes.names.names import find_names, is_name_word

__all__ = ["find_names", "is_name_word"]
