"""Rule components of the note de-identifier: one folder per component, patterns beside it.

Each component is a function ``find_…(text) -> list[Candidate]``; the pipeline in
``hopia.privacy._deid`` runs them all and keeps the strongest non-overlapping spans.
"""
