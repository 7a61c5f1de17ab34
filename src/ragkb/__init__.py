"""ragkb: local-first knowledge-base question answering with cited sources."""

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.models import SearchHit

__all__ = ["KBSettings", "KnowledgeBase", "SearchHit", "Settings"]
__version__ = "0.1.0"
