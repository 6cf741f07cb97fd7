"""``python -m optimizer`` is the ``consolidate`` command."""

from optimizer.cli import main

main()
