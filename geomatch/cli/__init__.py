"""The ``geomatch`` command line (typer + rich). Entry point: :func:`geomatch.cli.main.main`."""
