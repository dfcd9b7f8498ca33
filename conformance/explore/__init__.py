"""Stateful model testing (`dscheck explore`) and hostile-input fuzzing (`dscheck fuzz`)."""
