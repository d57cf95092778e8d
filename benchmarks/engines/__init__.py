"""The engines the IAM benchmark compares, each behind one shape: `Prepared`.

Every engine module has `prepare(workload) -> Prepared`: it does all of its one-off
work (parsing or translating policies, building its own request objects) before the
clock starts, so that the timed loop, `decide_all(requests)`, holds only decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Prepared:
    """One engine ready to run: its own request objects and the loop that decides them.

    `decide_all` returns one of AWS's decision names ("allowed", "explicitDeny",
    "implicitDeny") per request, in order.
    """

    engine: str
    requests: Sequence[Any]
    decide_all: Callable[[Sequence[Any]], list[str]]
