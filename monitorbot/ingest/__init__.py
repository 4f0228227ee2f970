"""Ingestion: turn iJw/iWmo messages and backoffice exports into validated, pseudonymised records.

The parsing layer (`xml_messages`, `tabular`) is pure: it reads a file and yields
typed records or refuses the whole file with `errors.RejectedInput`. It never
touches the database and never lets a clear BSN, name, address or birth date
out: a BSN becomes a pseudonym (`privacy.Pseudonymizer`) at parse time and a
birth date becomes an age band. `periods` splits a care period over the months
it covers. Loading into the database is built on top of this API.
"""
