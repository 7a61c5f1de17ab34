"""A knowledge base's assistant persona: read, replace, reset (docs/api.md, "Personas")."""

from __future__ import annotations

from fastapi import APIRouter

from ragkb.config import Persona
from ragkb.server.auth import KB
from ragkb.server.errors import ERROR_RESPONSES
from ragkb.server.schemas import PersonaIn

router = APIRouter(prefix="/api/kbs/{kb}/persona", tags=["knowledge bases"], responses=ERROR_RESPONSES)


@router.get("", response_model=Persona)
def read_persona(kb: KB) -> Persona:
    """The persona the KB answers with; all fields empty for none."""
    return kb.settings.persona


@router.put("", response_model=Persona)
def replace_persona(kb: KB, body: PersonaIn) -> Persona:
    """Replace the persona (fields left out are cleared). Citations and refusals hold whatever it says."""
    return kb.set_persona(body.model_dump(), reset=True)


@router.delete("", response_model=Persona)
def reset_persona(kb: KB) -> Persona:
    """Answer without a persona from now on."""
    return kb.set_persona(reset=True)
