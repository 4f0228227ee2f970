"""The Regels pages' words: a rule as a sentence, a change from a form, months to replay."""

from __future__ import annotations

from datetime import date

from monitorbot.config.edit import EditRefused
from monitorbot.core.calendar import month_name, shift_months
from monitorbot.core.money import format_euros
from monitorbot.core.states import Ernst
from monitorbot.evaluate.catalogue import BY_NAME
from monitorbot.evaluate.outcome import CHANGED, CURRENT, Trial
from monitorbot.evaluate.rule_edit import RuleChange
from monitorbot.evaluate.rules import Rule

SCOPE_WORDS = {
    "perceel": "perceel",
    "aanbieder": "aanbieder",
    "perceel_aanbieder": "perceel en aanbieder",
    "domein": "domein",
    "totaal": "het totaal",
    "gemeente": "de gemeente",
}
MAX_MONTHS = 36  # three years: a replay of more takes minutes and says little more
DEFAULT_MONTHS = 12


def in_words(rule: Rule) -> str:
    """`perceel-prognose-boven-begroting` as a controller would say it."""
    conditions = " of ".join(
        f"{condition.tekst} ({Ernst.label_of(ernst)})" for ernst, condition in rule.drempels.items()
    )
    text = f"Per {SCOPE_WORDS.get(rule.scope, rule.scope)}: meldt als {rule.metric} {conditions}"
    if rule.minimale_impact is not None:
        text += f", alleen bij minstens {rule.minimale_impact.tekst.removeprefix('>=').strip()}"
    wait = "meteen" if rule.voor == 1 else f"pas na {rule.voor} maanden op rij"
    return f"{text}; {wait}; naar kanaal {rule.kanaal}."


def change_from_form(
    rule: Rule, waarschuwing: str, kritiek: str, voor: str, minimale_impact: str
) -> RuleChange:
    """What the form asks for; EditRefused says which field is wrong."""
    drempels = {
        ernst: text.strip()
        for ernst, text in ((Ernst.WAARSCHUWING, waarschuwing), (Ernst.KRITIEK, kritiek))
        if text.strip()
    }
    if not drempels:
        raise EditRefused("Geef minstens een drempel (waarschuwing of kritiek).")
    try:
        months = int(voor.strip())
    except ValueError:
        raise EditRefused(f"'Voor' is een aantal maanden (1 tot 24), niet {voor!r}.") from None
    if not 1 <= months <= 24:
        raise EditRefused("'Voor' is een aantal maanden van 1 tot 24.")
    floor = minimale_impact.strip() or None
    if floor is not None and not BY_NAME[rule.metric].impact:
        raise EditRefused(f"Metric {rule.metric} heeft geen bedrag voor een minimale impact.")
    return RuleChange(drempels, months, floor)


def form_values(rule: Rule) -> dict[str, str]:
    """The rule's current values, to start the form with."""
    floor = rule.minimale_impact
    return {
        "waarschuwing": _threshold(rule, Ernst.WAARSCHUWING),
        "kritiek": _threshold(rule, Ernst.KRITIEK),
        "voor": str(rule.voor),
        "minimale_impact": floor.tekst.removeprefix(">=").strip() if floor else "",
    }


def _threshold(rule: Rule, ernst: Ernst) -> str:
    condition = rule.drempels.get(ernst)
    return condition.tekst if condition else ""


def months_from_form(van: str, tot: str) -> list[date]:
    """The peilmaanden from `van` to `tot` (JJJJ-MM), at most MAX_MONTHS."""
    try:
        first, last = (date.fromisoformat(f"{text.strip()}-01") for text in (van, tot))
    except ValueError:
        raise EditRefused(
            f"Kies de maanden als JJJJ-MM, bv. 2026-01 (niet {van!r} en {tot!r})."
        ) from None
    if last < first:
        raise EditRefused("De laatste maand ligt voor de eerste.")
    months = [first]
    while months[-1] < last:
        months.append(shift_months(months[-1], 1))
        if len(months) > MAX_MONTHS:
            raise EditRefused(f"Probeer hoogstens {MAX_MONTHS} maanden tegelijk.")
    return months


def default_months(last: date) -> tuple[str, str]:
    """The year of peilmaanden up to `last`, as the form's JJJJ-MM values."""
    return f"{shift_months(last, 1 - DEFAULT_MONTHS):%Y-%m}", f"{last:%Y-%m}"


def trial_rows(trial: Trial) -> list[dict]:
    """Per month what the rule did and what the change would have done, in words."""
    return [
        {
            "maand": month_name(month.peilmaand),
            CURRENT: _told(month.huidig),
            CHANGED: _told(month.voorstel),
            "anders": [f.onderwerp for f in month.huidig] != [f.onderwerp for f in month.voorstel]
            or [f.ernst for f in month.huidig] != [f.ernst for f in month.voorstel],
        }
        for month in trial.maanden
    ]


def _told(fired: tuple) -> list[str]:
    return [
        f"{f.onderwerp}: {f.waarde} ({Ernst.label_of(f.ernst) if f.ernst else ''})"
        + (" — gemeld" if f.nieuw else "")
        for f in fired
    ]


def lead_rows(trial: Trial) -> list[dict]:
    """Per material overrun: when each version first warned, months before the year end."""
    rows = []
    start = trial.maanden[0].peilmaand if trial.maanden else None
    for overrun in trial.overschrijdingen:
        row = {
            "jaar": overrun.jaar,
            "naam": overrun.naam,
            "bedrag": f"€ {format_euros(overrun.overschrijding_cents)}",
            "soort": overrun.soort,
        }
        for version in (CURRENT, CHANGED):
            first = overrun.eerste.get(version)
            if first is None:
                row[version] = "geen melding"
                continue
            # the replay starts without history: an alert in its first month may be older
            caveat = (
                "; eerste maand van de proef, het kan eerder" if first.peilmaand == start else ""
            )
            lead = overrun.lead_months(version)
            row[version] = f"{month_name(first.peilmaand)} ({lead} mnd vooraf{caveat})"
        rows.append(row)
    return rows
