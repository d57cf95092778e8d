"""The service layer: one function per API operation; it owns the rules.

Handlers take a `Call` (who, where, when, the store, the authorizer) and the
validated request parameters, and return the response parameters. They never
see HTTP, protocols or signatures (the server edge does), and they raise
`ServiceError`s named after the model's error shapes.
"""
