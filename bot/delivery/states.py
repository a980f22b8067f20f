"""The states of a delivery row and the priorities of the queue, in one place."""

from enum import StrEnum


class State(StrEnum):
    """Where a delivery row is; the sender claims only `QUEUED` rows."""

    QUEUED = "queued"  # waiting for the sender (maybe not before `not_before`)
    SENDING = "sending"  # claimed by a sender (lease in `claimed_at`)
    SENT = "sent"
    HELD = "held"  # the platform may not message the member now: waits for them to write
    REROUTED = "rerouted"  # held here, sent over another channel of the member instead
    FAILED = "failed"  # can never be sent as is
    UNREACHABLE = "unreachable"  # the member blocked the bot or left
    PAUSED = "paused"  # its broadcast is paused
    CANCELLED = "cancelled"  # its broadcast was cancelled


REPLY, BULK = 0, 10  # priorities: answers to members go before broadcasts and reminders
UNSENT = (State.QUEUED, State.SENDING, State.PAUSED)  # what cancelling a broadcast drops
PENDING = (State.QUEUED, State.SENDING, State.PAUSED, State.HELD)  # not sent yet, nor given up
# Rows a watcher is done with; "held" waits for the member to write first (Zalo OA's 7-day window),
# which may be never: watching it would not end.
DONE = (State.SENT, State.FAILED, State.UNREACHABLE, State.CANCELLED, State.HELD)
