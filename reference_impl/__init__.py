"""The in-memory Durable Streams reference server.

`store` is the storage core (streams, offsets, forks, producers, expiry) and knows nothing
of HTTP; `app` maps the protocol's HTTP surface onto it; `embedded` runs it in a thread.
"""
