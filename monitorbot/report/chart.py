"""The trend chart in an alert: the year so far, where it is heading, and the budget.

Cumulative over the calendar year, because that is how the budget is read:
as declared (grey), expected when complete (blue), the forecast with its 80 %
and 95 % fan, and the begroting as a horizontal line. The year figure at the
end of the fan is the prognosis in the budget table.
"""

from __future__ import annotations

import io

# The object API (Figure, no pyplot): no global state, no screen, safe in a scheduler thread.
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from monitorbot.core.money import format_euros
from monitorbot.forecast.results import MonthlyPrognosis

MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
DECLARED, EXPECTED, FORECAST, BUDGET = "#7f7f7f", "#1f5fa8", "#1f5fa8", "#c0392b"


def _thousands(value: float, _position: int) -> str:
    return format_euros(round(value * 100), thousands=True)


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
    fan_x = [months[-1]] if months else []
    mid, lo80, hi80, lo95, hi95 = ([total_expected / 100] if months else [] for _ in range(5))
    running = [total_expected] * 5
    for index, month in enumerate(path.maanden):
        if month.prognose is None:
            continue
        band = month.prognose
        for k, value in enumerate((band.mid, band.lo80, band.hi80, band.lo95, band.hi95)):
            running[k] += value
        fan_x.append(index)
        for series, value in zip((mid, lo80, hi80, lo95, hi95), running, strict=True):
            series.append(value / 100)

    figure = Figure(figsize=(8, 4.2), dpi=100)
    axis = figure.subplots()
    if len(fan_x) > 1:
        axis.fill_between(
            fan_x, lo95, hi95, color=FORECAST, alpha=0.12, linewidth=0, label="95 %-interval"
        )
        axis.fill_between(
            fan_x, lo80, hi80, color=FORECAST, alpha=0.25, linewidth=0, label="80 %-interval"
        )
        axis.plot(fan_x, mid, color=FORECAST, linestyle="--", linewidth=2, label="prognose")
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
