"""Horizontal ruling lines in a page image: the rules a scanned table is drawn with, which a
scan has as pixels only (a text PDF's are drawings, :mod:`~ragkb.ingest.loaders.pdf_tables`).

A rule is a run of dark pixels longer than any stroke of a letter (:data:`MIN_LENGTH` points);
the pixel rows of a thick or slightly skewed line are one rule.
"""

from __future__ import annotations

import numpy as np

Rule = tuple[float, float, float]
"""A horizontal rule: its y and the x where it starts and ends, in points."""

DARK = 170
"""A pixel darker than this (0–255, its darkest channel) is ink: a thin rule scanned or rendered
at 150 dpi is a grey of 120–150 across two pixel rows, not black."""
MIN_LENGTH = 30.0
"""Points: longer than any stroke of type up to 20 pt, shorter than a narrow table column."""
SAME_LINE = 3
"""Pixel rows of runs this close (and overlapping) are one line drawn thick or a little skewed."""
MAX_THICKNESS = 3.0
"""Points: a thicker dark band is a filled area (a photo, a shaded bar), no rule."""


def horizontal_rules(image: np.ndarray, scale: float) -> list[Rule]:
    """The horizontal rules of an RGB image, top to bottom, in points (``scale``: points a pixel)."""
    dark = image.min(axis=2) < DARK
    dark[1:] |= dark[:-1]  # a line a little skewed steps down a pixel row now and then
    length = max(int(MIN_LENGTH / scale), 2)
    if dark.shape[1] <= length:
        return []
    counts = np.cumsum(dark, axis=1, dtype=np.int32)
    full = (counts[:, length:] - counts[:, :-length]) == length  # a run of `length` ends right of here
    runs: list[tuple[int, int, int]] = []  # pixel row, first column, the column after the last
    for y in np.flatnonzero(full.any(axis=1)):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], full[y].astype(np.int8), [0]))))
        runs.extend((int(y), int(start) + 1, int(end) + length) for start, end in zip(edges[::2], edges[1::2], strict=True))
    lines: list[list[tuple[int, int, int]]] = []
    for run in sorted(runs):
        near = next((line for line in lines if run[0] - line[-1][0] <= SAME_LINE and _overlap(line, run)), None)
        if near is None:
            lines.append([run])
        else:
            near.append(run)
    return [
        (
            scale * sum(run[0] for run in line) / len(line),
            scale * min(run[1] for run in line),
            scale * max(run[2] for run in line),
        )
        for line in lines
        if scale * (line[-1][0] - line[0][0]) <= MAX_THICKNESS
    ]


def _overlap(line: list[tuple[int, int, int]], run: tuple[int, int, int]) -> bool:
    return run[1] < max(part[2] for part in line) and run[2] > min(part[1] for part in line)
