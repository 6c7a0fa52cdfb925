"""`python -m simulator` is the `threadsim` command."""

from simulator.cli import main

main(prog_name="threadsim")
