"""The running service: the evaluation cycle, and (later) the scheduler that runs it."""
