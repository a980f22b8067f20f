"""Delivery: the only writer of delivery rows (queue), the sender that sends them, pacing and follow-ups.

It sits below the core: it imports channels' base classes, messages and the database, nothing above.
"""
