"""A deterministic demo municipality ("Demodorp", code 9999) for trying monitorbot.

`generate_demo(out_dir, seed=..., scenario=...)` writes iJw/iWmo 3.2 messages,
a provider's CSV export, SVB/CAK monthly totals and a manifest of everything it
planted (totals, dirty messages, the slow provider, the trend break), so the
whole pipeline can be demonstrated and tested on data that look real but are
entirely fictional.
"""

from monitorbot.demo.catalog import DEMO_GEMEENTE
from monitorbot.demo.generate import generate_demo
from monitorbot.demo.manifest import DemoManifest
from monitorbot.demo.scenarios import SCENARIOS

__all__ = ["DEMO_GEMEENTE", "SCENARIOS", "DemoManifest", "generate_demo"]
