"""`python -m ranger_app` is the same as the `ranger-app` command."""

import sys

from ranger_app.cli import main

sys.exit(main())
