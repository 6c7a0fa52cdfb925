"""`python -m simulator` is the `threadsim` command."""

from simulator.cli import main

# Guarded: worker processes started by spawning (Dask's) import the parent's main module again.
if __name__ == "__main__":
    main(prog_name="threadsim")
