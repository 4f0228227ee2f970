"""The trend chart in an alert: the year so far, where it is heading, and the budget.

Cumulative over the calendar year, because that is how the budget is read:
as declared (grey), expected when complete (blue), the forecast with its 80 %
and 95 % fan, and the begroting as a horizontal line. The year figure at the
end of the fan is the prognosis in the budget table, and so are its bands.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

# The object API (Figure, no pyplot): no global state, no screen, safe in a scheduler thread.
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from monitorbot.core.money import format_euros
from monitorbot.forecast.results import MonthlyPrognosis

MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
DECLARED, EXPECTED, FORECAST, BUDGET = "#7f7f7f", "#1f5fa8", "#1f5fa8", "#c0392b"


def _thousands(value: float, _position: int) -> str:
    return format_euros(round(value * 100), thousands=True)


BANDS = ("mid", "lo80", "hi80", "lo95", "hi95")


@dataclass(frozen=True)
class Fan:
    """The cumulative forecast from the last month with data to December, in euros."""

    x: list[int]
    mid: list[float]
    lo80: list[float]
    hi80: list[float]
    lo95: list[float]
    hi95: list[float]


def cumulative_fan(path: MonthlyPrognosis, start_index: int | None, start_cents: float) -> Fan:
    """The months' forecasts added up from `start_cents` (expected complete so far).

    Adding the monthly bands would treat the months' errors as moving together fully;
    the year's interval (`path.model`, the budget table's) knows better how much they
    do. So each band's spread is scaled to end at the year's band, and the fan ends
    where the table's interval is.
    """
    x = [start_index] if start_index is not None else []
    lines: dict[str, list[float]] = {b: [start_cents] if x else [] for b in BANDS}
    running = dict.fromkeys(BANDS, start_cents)
    for index, month in enumerate(path.maanden):
        if month.prognose is None:
            continue
        for band in BANDS:
            running[band] += getattr(month.prognose, band)
            lines[band].append(running[band])
        x.append(index)
    if path.model is not None and len(x) > 1:
        mid = lines["mid"]
        for band in BANDS[1:]:
            spread = lines[band][-1] - mid[-1]
            target = getattr(path.model, band) - path.model.mid
            scale = target / spread if spread else 1.0
            lines[band] = [m + (v - m) * scale for m, v in zip(mid, lines[band], strict=True)]
    return Fan(x, *([value / 100 for value in lines[band]] for band in BANDS))


def trend_chart(path: MonthlyPrognosis, begroting_cents: int | None) -> bytes:
    """A PNG of the cumulative year path of one perceel (amounts in € × 1.000)."""
    declared, expected, months = [], [], []
    total_declared = total_expected = 0.0
    for index, month in enumerate(path.maanden):
        if month.gedeclareerd_cents is None:
            break
        total_declared += month.gedeclareerd_cents
        total_expected += month.verwacht_compleet_cents or 0.0
        declared.append(total_declared / 100)
        expected.append(total_expected / 100)
        months.append(index)
    # The fan starts where the data ends, so the two lines join.
    fan = cumulative_fan(path, months[-1] if months else None, total_expected)

    figure = Figure(figsize=(8, 4.2), dpi=100)
    axis = figure.subplots()
    if len(fan.x) > 1:
        axis.fill_between(
            fan.x,
            fan.lo95,
            fan.hi95,
            color=FORECAST,
            alpha=0.12,
            linewidth=0,
            label="95 %-interval",
        )
        axis.fill_between(
            fan.x,
            fan.lo80,
            fan.hi80,
            color=FORECAST,
            alpha=0.25,
            linewidth=0,
            label="80 %-interval",
        )
        axis.plot(fan.x, fan.mid, color=FORECAST, linestyle="--", linewidth=2, label="prognose")
    if months:
        axis.plot(
            months,
            declared,
            color=DECLARED,
            linewidth=2,
            marker="o",
            markersize=3,
            label="gedeclareerd",
        )
        axis.plot(months, expected, color=EXPECTED, linewidth=2, label="verwacht compleet")
    if begroting_cents is not None:
        axis.axhline(
            begroting_cents / 100, color=BUDGET, linestyle=":", linewidth=2, label="begroting"
        )
    axis.set_xticks(range(12), MONTHS)
    axis.set_xlim(-0.3, 11.3)
    axis.yaxis.set_major_formatter(FuncFormatter(_thousands))
    axis.set_ylabel("cumulatief, € × 1.000")
    axis.set_title(f"{path.naam} {path.jaar} (stand {path.as_of:%d-%m-%Y})", fontsize=11)
    axis.grid(axis="y", alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)
    axis.legend(loc="lower right", fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
