"""The agent: a GRU pointer-generator policy that writes Brainfuck one print token at a time.

``Agent.load(path=None)`` (None = the shipped default under ``assets/agent/``) and
``agent.generate(prompt, ...) -> Generation``. See ``model.py`` for the network and ``memory.py``
for what it can point at.
"""

from bfcore.agent.agent import Agent, AgentError, Generation, default_agent_dir

__all__ = ["Agent", "AgentError", "Generation", "default_agent_dir"]
