"""Making and checking plans: the entry points the CLI and the HTTP API call (running them is
:mod:`ragkb.agent.execute`)."""

from __future__ import annotations

from pathlib import Path

from ragkb.agent.audit import AgentHome
from ragkb.agent.kbfiles import KBFiles
from ragkb.agent.llm_planner import plan_by_llm
from ragkb.agent.plan import Plan, new_plan_id
from ragkb.agent.rules import plan_by_rules
from ragkb.agent.sandbox import MAX_OPERATIONS, Sandbox
from ragkb.config import Settings
from ragkb.kb import KnowledgeBase

LLM_BACKENDS = ("openai:", "ollama:")


def planner_for(choice: str, settings: Settings) -> str:
    """``auto``: the installation's generator when it calls tools over HTTP (openai:, ollama:), else
    the offline rules; any other choice is taken as given (``rules`` or a model spec)."""
    if choice == "auto":
        return settings.generator if settings.generator.startswith(LLM_BACKENDS) else "rules"
    return choice


def sandbox_for(root: str | Path, settings: Settings, max_operations: int = MAX_OPERATIONS) -> Sandbox:
    """The sandbox of ``root``; ragkb's home (catalog, backups, audit log) is never inside it."""
    return Sandbox(root, protected=[settings.home], max_operations=max_operations)


def make_plan(
    instruction: str,
    root: str | Path,
    settings: Settings,
    *,
    kb: str | None = None,
    planner: str = "auto",
    max_operations: int = MAX_OPERATIONS,
) -> Plan:
    """The plan for ``instruction`` in ``root``, checked by the sandbox as a whole; nothing changes."""
    sandbox = sandbox_for(root, settings, max_operations)
    files = KBFiles(KnowledgeBase.open(kb, settings=settings) if kb else None)
    spec = planner_for(planner, settings)
    if spec == "rules":
        plan = plan_by_rules(instruction, sandbox, files, kb)
    else:
        plan = plan_by_llm(instruction, sandbox, files, kb, spec, settings)
    sandbox.check_plan(plan)
    return plan


def check_plan(plan: Plan, settings: Settings, max_operations: int = MAX_OPERATIONS) -> Plan:
    """A saved or edited plan, checked by the sandbox as it would be before running; a plan that has
    run already is given a new id (running a saved plan again is a new run, undone on its own)."""
    sandbox_for(plan.root, settings, max_operations).check_plan(plan)
    if AgentHome(settings).ran(plan.id):
        plan = plan.model_copy(update={"id": new_plan_id()})
    return plan
