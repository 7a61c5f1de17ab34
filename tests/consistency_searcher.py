"""Searches a KB over and over while another process ingests into it (tests/test_store_consistency.py).

Usage: python consistency_searcher.py STATE_FILE KB_NAME CHUNKS_PER_FILE. The ingester writes the
number of files it has committed to STATE_FILE, then "done". Before each round of searches this
reads that number; every round must show each committed file, and every file it shows must be
complete. Prints one JSON line: rounds made and the violations found.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from ragkb import KnowledgeBase

DEADLINE_S = 300


def main() -> None:
    state, name, per_file = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    kb = KnowledgeBase.open(name)
    rounds, violations = 0, []
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_S:
        text = state.read_text().strip()
        done = text.endswith("done")
        committed = int(text.split()[0])
        for mode in ("sparse", "dense"):
            counts = Counter(hit.file for hit in kb.search("lighthouse keeper logbook", k=1000, mode=mode))
            partial = {file: n for file, n in counts.items() if file.startswith("log-") and n != per_file}
            missing = [f"log-{i:02d}" for i in range(committed) if f"log-{i:02d}" not in counts]
            if partial or missing:
                violations.append({"mode": mode, "committed": committed, "partial": partial, "missing": missing})
        rounds += 1
        if done:
            break
    print(json.dumps({"rounds": rounds, "violations": violations}))


if __name__ == "__main__":
    main()
