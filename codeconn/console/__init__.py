"""The console: server-rendered pages at `/console/` over the same service functions as the API.

A page calls the registry's handlers (the API's own operations) as the signed-in
principal, through the server's authorizer, so it may do exactly what that
principal may do with boto3; each call leaves the API's audit line. Modules:

    parts        what the server hands down (its components; the audit writer and reader)
    sessions     server-side session records named by an encrypted HttpOnly cookie
    calls        a page's API call, and the repository picker's UseConnection
    problems     a failed call as a page shows it (a denial with its explanation)
    web          the page machinery: CSRF, security headers, templates, errors
    pages_*      the pages: access (sign in/out), connections (and the handshake),
                 hosts, repositories (the picker), pipelines, audit
    routes       the route table and the static files; `Console`, what the server mounts

The server mounts it (`codeconn.server.console_mount`); the console never imports
the server.
"""
