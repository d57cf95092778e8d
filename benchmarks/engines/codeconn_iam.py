"""codeconn's own engine: one `Authorizer` compiled for the workload's policy set.

Requests are the `codeconn.iam.Request` objects the test-file loader built (already
normalised by `make_request`), so the timed loop is `Authorizer.evaluate` alone. Each
Decision carries the statements that decided (`Decision.matched`); the loop keeps only
the decision name, as the other engines' loops do.
"""

from __future__ import annotations

from collections.abc import Sequence

from codeconn.iam import Authorizer, Request
from engines import Prepared
from engines.workload import Workload

NAME = "codeconn"


def prepare(workload: Workload) -> Prepared:
    authorizer = Authorizer(workload.cases[0].policies)  # load_workload checked every case shares it

    def decide_all(requests: Sequence[Request]) -> list[str]:
        evaluate = authorizer.evaluate
        return [evaluate(request).decision for request in requests]

    return Prepared(NAME, [case.request for case in workload.cases], decide_all)
