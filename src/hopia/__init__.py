"""hopia — from a hospital's health data to validated, explainable, deployed AI.

The public surface is small; each stage lives in its own package
(``hopia.warehouse``, ``hopia.synth``, ``hopia.tasks``, ``hopia.features``, ``hopia.models``,
``hopia.evaluation``, ``hopia.pathways``, ``hopia.surveillance``, ``hopia.privacy``,
``hopia.serve``) and every stage is also a verb of the ``hopia`` command.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
