"""Entry point of the bundled app: the same as the ``desktop-qa`` command."""

import sys

from desktop_qa.cli import main

sys.exit(main())
