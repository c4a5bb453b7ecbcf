"""The shipped default agent (assets/agent/): loads with no path and writes working programs."""

import pytest

from bfcore.agent import Agent, default_agent_dir
from bfcore.agent.evaluate import evaluate
from bfcore.interp.fast import run
from bfcore.tasks import load_tasks, default_task_file

pytestmark = pytest.mark.skipif(not (default_agent_dir() / "model.safetensors").is_file(),
                                reason="no shipped agent in this checkout")


@pytest.fixture(scope="module")
def agent():
    return Agent.load()


def test_default_agent_solves_held_out_tasks(agent):
    tasks = load_tasks(default_task_file("test"))[::8]  # every family, held-out phrasings and values
    rep = evaluate(agent, tasks)
    assert rep["overall"]["valid"] == 1.0
    assert rep["overall"]["success"] >= 0.8, rep["overall"]  # the shipped agent: 90.5% on this slice


@pytest.mark.parametrize("prompt, expect", [("say hi", b"hi"), ("what is 3 plus 4", b"7")])
def test_default_agent_simple_prompts(agent, prompt, expect):
    g = agent.generate(prompt, best_of=8, expect=expect, seed=0)
    assert run(g.program).output == g.output
    assert g.success, (prompt, g.output)
