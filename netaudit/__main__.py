"""`python -m netaudit` runs the command-line interface."""

from netaudit.cli import main

main()
