"""bfcore: the Brainfuck machine, the language encoder, the agent and its trainer. No UI code here.

Kept import-light on purpose: ``bftui run`` imports the interpreter and nothing heavy (no MLX).
"""

__version__ = "0.1.0"
