"""The file agent over HTTP (docs/api.md, "File agent"): make a plan, show it, execute that plan once
the user confirms it, undo the last one, read the audit log.

The agent changes files on the server, so it is off until ``RAGKB_AGENT_ROOTS`` lists the folders it
may work in (a root must be one of them or below one), and only a caller allowed every knowledge
base may use it (a key made with ``--all-kbs``, or a loopback client when there are no keys).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from ragkb.agent.audit import AgentHome, AuditRecord
from ragkb.agent.execute import execute_plan, undo_last
from ragkb.agent.plan import PLAN_ID, ExecutionReport, Plan
from ragkb.agent.planner import check_plan, make_plan
from ragkb.config import Settings
from ragkb.server.auth import Caller
from ragkb.server.deps import app_state
from ragkb.server.errors import ERROR_RESPONSES, error_response
from ragkb.server.schemas import AgentPlanIn

router = APIRouter(
    prefix="/api/agent", tags=["file agent"], responses={**ERROR_RESPONSES, 409: error_response("that plan has run already")}
)


class AgentRoots(BaseModel):
    roots: list[str] = Field(description="folders the agent may change (RAGKB_AGENT_ROOTS), and everything below them")


def configured_roots(settings: Settings) -> list[Path]:
    return [Path(os.path.realpath(Path(root.strip()).expanduser())) for root in settings.agent_roots.split(",") if root.strip()]


def agent_settings(request: Request, caller: Caller) -> Settings:
    """The server's settings, once the caller may use the agent and the agent is on."""
    if caller.kbs is not None:
        raise HTTPException(
            403, f"API key '{caller.name}' may not use the file agent; it needs a key for all knowledge bases (--all-kbs)"
        )
    settings = app_state(request).settings
    if not configured_roots(settings):
        raise HTTPException(403, "the file agent is off on this server; set RAGKB_AGENT_ROOTS to the folders it may change")
    return settings


AgentSettings = Annotated[Settings, Depends(agent_settings)]


def check_root(root: str, settings: Settings) -> None:
    real = Path(os.path.realpath(Path(root).expanduser()))
    if not any(real.is_relative_to(allowed) for allowed in configured_roots(settings)):
        raise HTTPException(403, f"{root} is not one of the agent's folders (RAGKB_AGENT_ROOTS); see GET /api/agent/roots")


def stored(plan_id: str, settings: Settings) -> Path:
    if not re.fullmatch(PLAN_ID.strip("^$"), plan_id):
        raise HTTPException(404, f"no plan {plan_id!r}; make one with POST /api/agent/plans")
    path = AgentHome(settings).plans / f"{plan_id}.json"
    if not path.is_file():
        raise HTTPException(404, f"no plan {plan_id!r}; make one with POST /api/agent/plans")
    return path


@router.get("/roots", response_model=AgentRoots)
def roots(settings: AgentSettings) -> AgentRoots:
    """The folders the agent may change."""
    return AgentRoots(roots=[str(root) for root in configured_roots(settings)])


@router.post("/plans", response_model=Plan)
def plan(body: AgentPlanIn, settings: AgentSettings) -> Plan:
    """Plan for an instruction (nothing changes), or check an edited plan; the plan is stored until it runs."""
    if (body.plan is None) == (body.instruction is None or body.root is None):
        raise HTTPException(422, "give either instruction and root, or plan")
    if body.plan is not None:
        check_root(body.plan.root, settings)
        made = check_plan(body.plan, settings, body.max_operations)
    else:
        check_root(body.root or "", settings)
        made = make_plan(
            body.instruction or "",
            body.root or "",
            settings,
            kb=body.kb,
            planner=body.planner,
            max_operations=body.max_operations,
        )
    folder = AgentHome(settings).plans
    folder.mkdir(parents=True, exist_ok=True)
    made.save(folder / f"{made.id}.json")
    return made


@router.get("/plans/{plan_id}", response_model=Plan)
def read_plan(plan_id: str, settings: AgentSettings) -> Plan:
    """A plan made before, as it was shown."""
    return Plan.load(stored(plan_id, settings))


@router.post("/plans/{plan_id}/execute", response_model=ExecutionReport)
def execute(plan_id: str, settings: AgentSettings) -> ExecutionReport:
    """Run the plan (the user confirmed it): each operation backed up, journaled and kept in step with the KB."""
    plan = Plan.load(stored(plan_id, settings))
    check_root(plan.root, settings)
    if AgentHome(settings).ran(plan.id):
        raise HTTPException(409, f"plan {plan.id} has run already; make a new plan")
    return execute_plan(plan, settings)


@router.post("/undo", response_model=ExecutionReport)
def undo(settings: AgentSettings) -> ExecutionReport:
    """Revert the last plan that ran and is not undone yet."""
    return undo_last(settings)


@router.get("/audit", response_model=list[AuditRecord])
def audit(settings: AgentSettings, last: Annotated[int, Query(ge=1, le=10_000)] = 100) -> list[AuditRecord]:
    """The newest records of the audit log, oldest first."""
    return AgentHome(settings).records()[-last:]
