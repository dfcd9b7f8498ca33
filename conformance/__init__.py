"""dscheck: conformance and load testing for the Durable Streams protocol."""

__version__ = "0.1.0"
