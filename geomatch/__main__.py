"""``python -m geomatch`` runs the command line."""

import sys

from geomatch.cli.main import main

sys.exit(main())
