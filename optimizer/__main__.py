"""``python -m optimizer`` is the ``consolidate`` command."""

from .cli import main

main()
