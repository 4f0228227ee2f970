"""The aggregates more than one stage reads, each written once.

Every query is scoped by gemeente and cut at a peildatum where its source has a
date: `known` says which date of each source counts as "known at the peildatum".
"""
