"""Load testing for Durable Streams servers: Locust profiles, the `dscheck load` runner,
the history checker and the benchmark driver (see docs/loadtest.md)."""
