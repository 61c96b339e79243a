"""Running the mock as a server people share: the HTTP front (host and origin checks, body
and connection limits, timeouts), the request log, and the process's life (signals)."""
