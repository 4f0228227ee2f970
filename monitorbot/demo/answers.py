"""The municipality's answers: 325 on every youth declaration, 319 refusals, technical returns.

A municipality answers every 323 with a 325 one to three weeks later. Most lines
are granted; a few are rejected:

* a line with the wrong tariff (retourcode 0611) was real care: the provider
  sends it again, corrected, under a new ProductReferentie in the month after
  the answer (`RESENT`), so the care is paid once;
* a line the provider should not have declared (8187, "hoort niet bij deze
  client") is an extra line next to the care, never sent again.

One provider (`HIGH_REJECTER`) gets many of its lines rejected, so the rule
`afwijzingen-per-aanbieder` has something to find. Wmo declarations get no 325
in the demo: the Wmo return messages' schemas are not shipped yet, and a
monitorbot that reads them would only record "niet gevalideerd".

Besides: a few requests (315) are refused with a 319, and a few start messages
(305) bounce with a technical return message (306).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from monitorbot.demo import months
from monitorbot.demo.catalog import CSV_PROVIDER, PROVIDER_BY_AGB
from monitorbot.demo.declarations import Batch, Row

REJECTED_SHARE = 0.02
"""Share of a provider's debit lines rejected with a wrong tariff (and resent)."""
HIGH_REJECTER = "98990103"
HIGH_REJECTED_SHARE = 0.12
WRONG_LINE_SHARE = 0.004
"""Extra lines per debit line that a provider should not have declared (never resent)."""
TARIEF_FOUT = "0611"
HOORT_NIET_BIJ_CLIENT = "8187"


@dataclass
class Answer:
    """One 325: the declaration it answers, its date and the rows it rejects with their code."""

    batch: Batch
    dagtekening: date
    rejected: list[tuple[Row, str]] = field(default_factory=list)

    @property
    def ingediend_cents(self) -> int:
        return self.batch.net_cents

    @property
    def afgewezen_cents(self) -> int:
        return sum(row.signed_amount for row, _ in self.rejected)

    @property
    def toegekend_cents(self) -> int:
        return self.ingediend_cents - self.afgewezen_cents

    @property
    def identificatie(self) -> str:
        """At most twelve characters (LDT_IdentificatieBericht), one per declaration: the
        DeclaratieNummer (AGB digits, yyyymm, sequence) with the century left out."""
        number = self.batch.declaratienummer
        return f"A{number[:4]}{number[6:]}"


def answered(batch: Batch) -> bool:
    """Clean XML youth declarations are answered (exports and Wmo are not, see above)."""
    return (
        batch.dirty_kind is None
        and batch.total_override is None
        and batch.provider.wet == "jw"
        and batch.provider.agb != CSV_PROVIDER
    )


def _stream(seed: int, kind: str, batch: Batch) -> random.Random:
    """A seeded stream per declaration: the same batch draws the same, whatever else changes."""
    return random.Random(f"{seed}/{kind}/{batch.provider.agb}/{batch.care_month}/{batch.submitted}")


def answer_date(seed: int, batch: Batch) -> date:
    rng = _stream(seed, "antwoord", batch)
    return batch.submitted + timedelta(days=rng.randint(7, 20))


def plan_answers(
    seed: int, batches: list[Batch], dates: dict[tuple[str, months.Month], date]
) -> list[Answer]:
    """Decide the rejections, add the wrong lines and the resends to `batches` (in place),
    and return one answer per answered declaration."""
    credited = {r.referentie for b in batches for r in b.rows if r.debet_credit == "C"}
    rejected: dict[int, list[tuple[Row, str]]] = {}
    resends: dict[tuple[str, months.Month, date, str], list[Row]] = {}
    for batch in list(batches):
        if not answered(batch):
            continue
        rng = _stream(seed, "afwijzing", batch)
        share = HIGH_REJECTED_SHARE if batch.provider.agb == HIGH_REJECTER else REJECTED_SHARE
        day = answer_date(seed, batch)
        resend_on = dates.get((batch.provider.agb, months.month_of(day) + 1))
        chosen: list[tuple[Row, str]] = []
        for row in list(batch.rows):
            if row.debet_credit != "D" or row.vorig_referentie or row.referentie in credited:
                continue
            if rng.random() < share:
                chosen.append((row, TARIEF_FOUT))
                if resend_on is not None:  # beyond the simulated submissions: never known
                    resend = replace(row, referentie=f"{row.referentie}H")
                    key = (row.agb, row.care_month, resend_on, batch.ontvanger)
                    resends.setdefault(key, []).append(resend)
            if rng.random() < WRONG_LINE_SHARE:
                wrong = replace(row, referentie=f"{row.referentie}F")
                batch.rows.append(wrong)
                chosen.append((wrong, HOORT_NIET_BIJ_CLIENT))
        rejected[id(batch)] = chosen
    _add_resends(batches, resends)
    return [
        Answer(batch, answer_date(seed, batch), rejected.get(id(batch), []))
        for batch in batches
        if answered(batch)
    ]


def _add_resends(
    batches: list[Batch], resends: dict[tuple[str, months.Month, date, str], list[Row]]
) -> None:
    """Each resend joins the provider's declaration of that care month on that day to the
    same municipality, or becomes one of its own."""
    by_key = {
        (b.provider.agb, b.care_month, b.submitted, b.ontvanger): b for b in batches if answered(b)
    }
    for (agb, care_month, day, ontvanger), rows in sorted(resends.items()):
        target = by_key.get((agb, care_month, day, ontvanger))
        if target is None:
            target = Batch(PROVIDER_BY_AGB[agb], care_month, day, [], ontvanger=ontvanger)
            batches.append(target)
            by_key[(agb, care_month, day, ontvanger)] = target
        submit_month = months.month_of(day)
        target.rows.extend(replace(row, submit_month=submit_month) for row in rows)
    batches.sort(key=lambda b: (b.submitted, b.provider.agb, b.care_month))
