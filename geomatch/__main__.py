"""``python -m geomatch`` runs the command line."""

from geomatch.cli.main import run

run()
