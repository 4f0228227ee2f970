"""The demo region: Demodorp and six neighbours that buy their care together.

Each member is simulated with the same care streams and providers as Demodorp
(they share the regional contracts), scaled to its size and given its own quirk,
so that comparing them says something: one municipality whose youth care grows
fastest, one with long waiting times, one with a provider that declares late.
Demodorp itself is generated exactly as the single demo generates it, so the
single demo's figures are one member's figures in the region.

Every code and name is made up (99xx is no CBS code); `config/gemeenten` and
`config/regio/demoregio.yaml` carry the same members.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitorbot.demo.catalog import DEMO_GEMEENTE

DEMOREGIO = "demoregio"
"""The region's name: `config/regio/demoregio.yaml`."""


@dataclass(frozen=True)
class DemoLid:
    """One member municipality of the demo: who it is, how big, and what is its own."""

    code: str
    naam: str
    nummer: int
    """0 for Demodorp; keeps the members' allocation and declaration numbers apart
    (one provider numbers its messages to all members in one series)."""
    schaal: float
    """Care volume against Demodorp's (new requests per month, PGB totals)."""
    scenario: str = "standaard"
    jeugd_groei: float = 1.0
    """Extra yearly growth factor of youth requests, around 2024."""
    wachttijd: float = 1.0
    """Factor on every provider's waiting time to the start of care."""

    @property
    def is_demodorp(self) -> bool:
        """Demodorp keeps what the single demo has: its CSV export, its planted defects."""
        return self.code == DEMO_GEMEENTE

    @property
    def seed_offset(self) -> int:
        """Added to the demo's seed: each member has its own clients and draws."""
        return 7919 * self.nummer

    @property
    def map(self) -> str:
        """The member's folder inside the region's generated input."""
        return f"{self.code}-{self.naam.lower()}"


DEMODORP = DemoLid(DEMO_GEMEENTE, "Demodorp", 0, 1.0)

LEDEN: tuple[DemoLid, ...] = (
    DemoLid("9991", "Demostad", 1, 3.9),
    DemoLid("9992", "Beekdal", 2, 1.95, scenario="late-aanbieder"),
    DemoLid("9993", "Heidewijk", 3, 1.3, jeugd_groei=1.11),
    DEMODORP,
    DemoLid("9994", "Vennebroek", 4, 0.78, wachttijd=2.1),
    DemoLid("9995", "Polderzicht", 5, 0.6),
    DemoLid("9996", "Kleindorp", 6, 0.43),
)
"""The seven members, largest first (about 90.000 down to 10.000 inhabitants)."""


def lid(code: str) -> DemoLid:
    return next(m for m in LEDEN if m.code == code)
