"""Joint entity and relation extraction (SpERT-style, JEREX-flavoured): sprintopt's demo workload.

The objective is ``examples.jere.objective:objective``; the specs are ``paper.toml`` (the paper's
three phases with MiniLM on a CPU) and ``tiny.toml`` (all three phases in seconds, for CI).
"""
