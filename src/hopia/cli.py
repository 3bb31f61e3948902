"""The ``hopia`` command: one verb per stage of the data flow.

Each package keeps its own verbs in a private ``_cli.py`` (imports of heavy libraries stay
inside the commands, so ``hopia --help`` is fast); this module only assembles them.
"""

from __future__ import annotations

import typer

from hopia import __version__

app = typer.Typer(
    name="hopia",
    help="hopia — hospital health data to validated, explainable, deployed AI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hopia {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """hopia — hospital health data to validated, explainable, deployed AI."""


def _register() -> None:
    """Attach every package's verbs (one line per package)."""
    from hopia.warehouse import _cli as warehouse_cli

    warehouse_cli.register(app)
    from hopia import _demo

    _demo.register(app)
    # --- package verbs: one line each, keep sorted ---
    from hopia.evaluation import _cli as evaluation_cli

    evaluation_cli.register(app)
    from hopia.features import _cli as features_cli

    features_cli.register(app)
    from hopia.models import _cli as models_cli

    models_cli.register(app)
    from hopia.pathways import _cli as pathways_cli

    pathways_cli.register(app)
    from hopia.privacy import _cli as privacy_cli

    privacy_cli.register(app)
    from hopia.serve import _cli as serve_cli

    serve_cli.register(app)
    from hopia.surveillance import _cli as surveillance_cli

    surveillance_cli.register(app)
    from hopia.synth import _cli as synth_cli

    synth_cli.register(app)
    from hopia.tasks import _cli as tasks_cli

    tasks_cli.register(app)
    # --- end of package verbs ---


_register()


def main() -> None:
    """Entry point of the console script: bad input ends with its message, not a traceback."""
    from hopia.errors import HopiaError

    try:
        app()
    except HopiaError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
