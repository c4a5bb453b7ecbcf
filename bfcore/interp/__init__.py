"""The interpreter: parsing (``program``), the step debugger's ``machine``, the fast path's IR
and executors (``fast``: plain Python, then numba), native code for long runs (``native``), and
random programs for tests and benchmarks (``randprog``)."""
