"""What the server built at start is kept out of the cyclic collector's walks (issue 13: p99)."""

from __future__ import annotations

import gc

from codeconn.server.runner import settle_heap


def test_objects_built_before_serving_are_frozen_and_new_ones_are_not() -> None:
    built_at_start = [[n] for n in range(1000)]  # lists: always tracked by the collector
    try:
        settle_heap()
        assert gc.get_freeze_count() >= len(built_at_start)
        made_later = [[n] for n in range(10)]
        tracked = {id(o) for o in gc.get_objects()}
        assert all(id(o) in tracked for o in made_later)
        assert not any(id(o) in tracked for o in built_at_start)
    finally:
        gc.unfreeze()
