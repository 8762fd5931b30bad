"""``python -m sim`` is the ``quorumsim`` command."""

from sim.cli import main

main()
