"""What went wrong with storage, in words a beheerder can act on.

A locked database, a full disk, a server that does not answer and a file without
permission each get their own Dutch sentence with the cause and what to do, never
a traceback. The driver's text is read for its kind only: it can quote SQL
parameters (values from the input), so it is never shown beyond its first line,
and a database address is shown without its password.
"""

from __future__ import annotations

import errno

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

#: Exit code of a command that stopped on a fault of the machine (not of the input).
EXIT_FAULT = 3


def describe(exc: BaseException, *, database: str | None = None) -> str | None:
    """The Dutch sentence for a storage fault, or None when `exc` is not one."""
    if isinstance(exc, OSError):
        return _os_fault(exc)
    if isinstance(exc, SQLAlchemyError):
        return _database_fault(exc, database)
    return None


def _os_fault(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"De schijf is vol{where}. Maak ruimte vrij en probeer het opnieuw; niets is half "
            "opgeslagen, bestanden die nog niet verwerkt waren staan op hun plek."
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"Geen toegang{where}: het besturingssysteem weigert het lezen of schrijven. "
            "Controleer de rechten van de map of het bestand voor de gebruiker die "
            "monitorbot draait."
        )
    if exc.errno == errno.EROFS:
        return f"Alleen-lezen bestandssysteem{where}: monitorbot kan daar niet schrijven."
    return f"Fout van het bestandssysteem{where}: {exc.strerror or type(exc).__name__}."


def _database_fault(exc: SQLAlchemyError, database: str | None) -> str:
    driver = (
        str(exc.orig).splitlines()[0] if isinstance(exc, DBAPIError) and exc.orig else ""
    ).lower()
    where = f" ({_safe_address(database)})" if database else ""
    # Before "unreachable": psycopg says "connection ... failed: FATAL: password
    # authentication failed" for a server that answered.
    if "authentication" in driver or "password" in driver:
        return (
            f"De databaseserver weigert de aanmelding{where}. Controleer gebruiker en "
            "wachtwoord in MONITORBOT_DATABASE_URL."
        )
    if "does not exist" in driver and "database" in driver:
        return (
            f"De database bestaat niet op de server{where}. Maak hem aan of verbeter de naam "
            "in MONITORBOT_DATABASE_URL."
        )
    if "locked" in driver or "busy" in driver:
        return (
            f"De database is bezet{where}: een ander proces schrijft er al langer dan 30 "
            "seconden in. Wacht tot dat klaar is (een ingest of `monitorbot run`) en probeer "
            "het opnieuw."
        )
    if "full" in driver or "no space" in driver:
        return (
            f"De schijf van de database is vol{where}. Maak ruimte vrij en probeer het "
            "opnieuw; de lopende transactie is teruggedraaid."
        )
    if (
        "connection refused" in driver
        or "could not connect" in driver
        or ("connection" in driver and ("failed" in driver or "timeout" in driver))
    ):
        return (
            f"De databaseserver is niet bereikbaar{where}. Controleer of PostgreSQL draait "
            "en of MONITORBOT_DATABASE_URL de juiste host en poort noemt."
        )
    if "unable to open database" in driver or "readonly" in driver or "read-only" in driver:
        return (
            f"De database kan niet worden geopend of beschreven{where}. Controleer of de "
            "map bestaat en of monitorbot er mag schrijven."
        )
    kind = (
        type(exc.orig).__name__ if isinstance(exc, DBAPIError) and exc.orig else type(exc).__name__
    )
    return f"Databasefout{where} ({kind}); de lopende transactie is teruggedraaid."


def _safe_address(url: str) -> str:
    """The database address without its password (`postgresql://user@host:5432/db`)."""
    try:
        parsed = make_url(url)
    except Exception:
        return "onbekend adres"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "sqlite"
    # No password, and no query either: it may carry one (`?password=`, `sslpassword`).
    return parsed.set(password=None, query={}).render_as_string(hide_password=True)
