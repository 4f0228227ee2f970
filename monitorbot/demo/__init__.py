"""A deterministic demo municipality ("Demodorp", code 9999) for trying monitorbot.

`generate.generate_demo(out_dir, seed=..., scenario=..., vandaag=...)` writes
iJw/iWmo 3.2 messages, a provider's CSV export, SVB/CAK monthly totals and a
manifest of everything it planted (totals, budgets, dirty messages, the slow
provider, the trend break), covering the years up to the month before
`vandaag`, so the whole pipeline can be demonstrated and tested on data that
look real but are entirely fictional.

This file imports nothing: the command line reads the demo's code and scenario
names (`catalog`, `scenarios`) without loading the generator.
"""
