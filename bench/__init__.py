"""Detalka's benchmark suite: ``python -m bench --quick`` (a smoke run) or ``--full``."""
