"""monitorbot: monthly cost and waiting-time monitoring for the Dutch social domain.

The package follows the flow of the data, one subpackage per stage:
ingest -> store -> forecast -> evaluate -> notify, plus `cli` and `service`
that drive them. `config` and `money` are shared foundations every stage may use.
A stage imports from the stages before it, never from the ones after it.
"""

__version__ = "0.1.0"
