"""Forecast stage, computational core: pure functions on frames and series, no I/O.

- `nowcast`: completes recent care months that late declarations (nadeclaraties)
  still leave open, per perceel or per aanbieder, and flags providers that stopped
  declaring (achterstand) so a silence is not mistaken for a cost drop.
- `models`: forecasts one monthly series with a few well-understood candidates,
  chosen per series by a rolling-origin backtest, with 80 % and 95 % intervals.
- `spec`: the analyst-editable specification (`forecasts/*.yaml`) that says which
  candidates may be used and which months are one-offs.

The database queries that build the inputs, the prognosis against the budget and
the reports live elsewhere and call these functions.
"""
