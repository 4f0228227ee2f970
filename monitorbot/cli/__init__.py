"""The `monitorbot` command line (typer)."""
