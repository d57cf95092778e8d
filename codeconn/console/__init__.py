"""The console: server-rendered pages at `/console/` over the same service functions as the API."""
