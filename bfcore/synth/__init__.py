"""Instruction-level program synthesis: the agent that writes real BF (loops, input)."""
