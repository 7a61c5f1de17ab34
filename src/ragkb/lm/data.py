"""Training examples and the order they are read in, resumable to the exact batch.

The classic bug this module keeps out: the label of position t is the token at t + 1
(:func:`shift`), so a model never learns to copy its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

IGNORE = -100
"""Label of a position that does not count in the loss (``cross_entropy``'s ``ignore_index``)."""


def shift(ids: list[int], mask: list[bool] | None = None) -> tuple[list[int], list[int]]:
    """Inputs and labels of one sequence: input t predicts token t + 1; labels where the mask of
    the predicted token is off are :data:`IGNORE`."""
    labels = ids[1:] if mask is None else [token if keep else IGNORE for token, keep in zip(ids[1:], mask[1:], strict=False)]
    return ids[:-1], labels


@dataclass
class BatchOrder:
    """Which examples come next: a seeded permutation per epoch and a position in it. Its state is
    saved with each checkpoint, so a resumed run reads the same batches an uninterrupted one would."""

    size: int
    seed: int = 0
    epoch: int = 0
    index: int = 0
    _order: list[int] = field(default_factory=list, repr=False)

    def _permutation(self) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return torch.randperm(self.size, generator=generator).tolist()

    def take(self, count: int) -> list[int]:
        picked: list[int] = []
        while len(picked) < count:
            if not self._order:
                self._order = self._permutation()
            if self.index >= self.size:
                self.epoch, self.index = self.epoch + 1, 0
                self._order = self._permutation()
            picked.append(self._order[self.index])
            self.index += 1
        return picked

    def state(self) -> dict[str, int]:
        return {"seed": self.seed, "epoch": self.epoch, "index": self.index}

    def restore(self, state: dict[str, int]) -> None:
        self.seed, self.epoch, self.index = state["seed"], state["epoch"], state["index"]
        self._order = self._permutation()


class Examples:
    """Sequences of token ids with loss masks, batched by padding to the longest."""

    def __init__(self, sequences: list[tuple[list[int], list[bool] | None]], pad_id: int):
        self.pairs = [shift(ids, mask) for ids, mask in sequences if len(ids) >= 2]
        self.pad_id = pad_id

    def __len__(self) -> int:
        return len(self.pairs)

    def batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        longest = max(len(self.pairs[i][0]) for i in indices)
        inputs = torch.full((len(indices), longest), self.pad_id, dtype=torch.long)
        labels = torch.full((len(indices), longest), IGNORE, dtype=torch.long)
        for row, i in enumerate(indices):
            ids, targets = self.pairs[i]
            inputs[row, : len(ids)] = torch.tensor(ids)
            labels[row, : len(targets)] = torch.tensor(targets)
        return inputs, labels

    def trained_tokens(self) -> int:
        return sum(sum(label != IGNORE for label in labels) for _, labels in self.pairs)


def windows(stream: list[int], length: int) -> list[tuple[list[int], list[bool] | None]]:
    """A pretraining token stream cut into sequences of ``length`` + 1 tokens (inputs and labels
    overlap by one), every token counted."""
    span = length + 1
    return [(stream[start : start + span], None) for start in range(0, len(stream) - span + 1, length)]


def split(sequences: list, val_fraction: float, seed: int = 0) -> tuple[list, list]:
    """A fixed held-out share for validation (at least one sequence when there are two)."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(sequences), generator=generator).tolist()
    held = max(1, round(len(sequences) * val_fraction)) if len(sequences) > 1 else 0
    return [sequences[i] for i in order[held:]], [sequences[i] for i in order[:held]]
