"""Delivery: the only writer of delivery rows (queue), the sender that sends them, pacing, follow-ups
and dead letters (rows whose send keeps raising).

It sits below the core: it imports channels' base classes, messages and the database, nothing above.
"""
