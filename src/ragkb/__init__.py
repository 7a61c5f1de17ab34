"""ragkb: local-first knowledge-base question answering with cited sources."""

import os

# Offline by default (docs/security.md, "Offline"): libraries ragkb loads read these switches once, when they
# are first imported, so they are set before anything below imports them; a value the user set wins.
# - onnxruntime (loaded by `import pymupdf` when pymupdf-layout is installed) looks up a Microsoft telemetry
#   host about 8 s after import unless ORT_DISABLE_TELEMETRY is set before it loads.
# - huggingface_hub, transformers and sentence-transformers ask the Hub about a model even when it is cached;
#   offline they load local folders and cached models only (HF_HUB_OFFLINE=0 lets a hub id download).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", os.environ.get("TRANSFORMERS_OFFLINE", "1"))
os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.models import SearchHit

__all__ = ["KBSettings", "KnowledgeBase", "SearchHit", "Settings"]
__version__ = "0.1.0"
