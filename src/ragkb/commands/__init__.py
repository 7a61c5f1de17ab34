"""Command groups of the ``ragkb`` command line that live outside :mod:`ragkb.cli` (one module each),
and the console output they share with it."""
