"""What a database remembers about itself: the fingerprint of the key that filled it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitorbot.store import models

KEY_FINGERPRINT = "pseudoniem_sleutel"


def key_fingerprint_of(session: Session, fingerprint: str, now: datetime) -> str:
    """The fingerprint this database was filled under; the first key to ingest sets it."""
    stored = session.get(models.Instelling, KEY_FINGERPRINT)
    if stored is None:
        session.add(models.Instelling(naam=KEY_FINGERPRINT, waarde=fingerprint, gezet_op=now))
        session.flush()
        return fingerprint
    return stored.waarde
