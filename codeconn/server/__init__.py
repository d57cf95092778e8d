"""The server edge: HTTP in, protocol decoding, SigV4, dispatch to the service layer, audit."""
