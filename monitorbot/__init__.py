"""monitorbot: monthly cost and waiting-time monitoring for the Dutch social domain.

The package follows the flow of the data, one subpackage per stage:
ingest -> store -> forecast -> evaluate -> notify, plus `cli` and `service`
that drive them. `config` and `money` are shared foundations every stage may use,
and `store` holds the schema every stage reads from or writes to (ingest writes
into it). Otherwise a stage imports from the stages before it, never from the
ones after it; `demo` only produces input files.
"""

import os

# The forecast fits thousands of small statsmodels models; OpenBLAS's worker threads
# only fight over the two cores (4-8x slower). Set before numpy is first imported;
# an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
