"""The audit log, with the filters of `codeconn audit`, read by the same reader.

Reading it is decided like any call, as `cloudtrail:LookupEvents` on `*` (AWS's
action for reading the account's event history), and a principal sees only the
lines of its own account.
"""

from __future__ import annotations

from starlette.responses import Response

from codeconn.console.parts import AuditQuery
from codeconn.console.web import Page

FILTERS = ("principal", "action", "decision", "connection", "repository", "branch", "provider_action")
DECISIONS = ("allowed", "explicitDeny", "implicitDeny")
READ_ACTION = "cloudtrail:LookupEvents"
DEFAULT_LAST = 200


def audit(page: Page) -> Response:
    actor = page.signed_in()
    page.web.calls.authorize(actor, *READ_ACTION.split(":"))
    chosen = {name: page.arg(name) or None for name in FILTERS}
    if chosen["decision"] not in (None, *DECISIONS):
        chosen["decision"] = None
    last = page.arg("last")
    query = AuditQuery(**chosen, last=int(last) if last.isdigit() and 0 < int(last) <= 5000 else DEFAULT_LAST)
    lines = page.web.parts.read_audit(actor.caller.account_id, query)
    return page.render("audit.html", lines=list(reversed(lines)), filters=chosen, last=query.last,
                       decisions=DECISIONS)


__all__ = ["DECISIONS", "FILTERS", "READ_ACTION", "audit"]
