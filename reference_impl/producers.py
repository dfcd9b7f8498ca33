"""Idempotent producer validation (PROTOCOL.md §5.2.1), free of side effects: the store
commits the returned state only after the append itself succeeded."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from reference_impl.errors import InvalidRequest, SequenceGap, StaleEpoch


@dataclass(frozen=True, slots=True)
class ProducerClaim:
    producer_id: str
    epoch: int
    seq: int


@dataclass(frozen=True, slots=True)
class ProducerState:
    epoch: int
    last_seq: int


class Verdict(Enum):
    ACCEPT = "accept"
    DUPLICATE = "duplicate"


def judge(state: ProducerState | None, claim: ProducerClaim) -> tuple[Verdict, ProducerState]:
    """Accept (with the state to commit) or call a duplicate; raise for 403/400/409."""
    if state is None:
        if claim.seq != 0:
            raise SequenceGap(expected=0, received=claim.seq)
        return Verdict.ACCEPT, ProducerState(claim.epoch, 0)
    if claim.epoch < state.epoch:
        raise StaleEpoch(state.epoch)
    if claim.epoch > state.epoch:
        if claim.seq != 0:
            raise InvalidRequest("a new producer epoch must start at Producer-Seq 0")
        return Verdict.ACCEPT, ProducerState(claim.epoch, 0)
    if claim.seq <= state.last_seq:
        return Verdict.DUPLICATE, state
    if claim.seq == state.last_seq + 1:
        return Verdict.ACCEPT, ProducerState(claim.epoch, claim.seq)
    raise SequenceGap(expected=state.last_seq + 1, received=claim.seq)
