"""The dscheck scenario suite, shipped as data: `pytest --dscheck-url URL --pyargs dscheck_scenarios`."""
