"""Evaluation: the metrics of one municipality as known at a peildatum, the alert rules
controllers write, and the lifecycle that decides what to tell whom.
"""
