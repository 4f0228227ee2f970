"""The small shared core every stage may use and that uses none of them.

`calendar` (months, the peildatum), `clock`, `money` (integer cents and their
Dutch display), `privacy` (the BSN pseudonym and what looks like a BSN) and
`states` (every stored state as an enum with its Dutch label). Nothing here
touches the database, the configuration or a file.
"""
