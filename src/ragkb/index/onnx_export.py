"""Export a sentence-transformers model to ONNX once, offline, for :mod:`ragkb.index.onnx_embedder`.

The whole model (transformer, pooling, any dense or normalising layer) is traced into one graph
that maps token ids to the sentence embedding, from the model as installed (a local folder, the
bundled MiniLM or a hub id already cached): nothing is downloaded. ``int8`` quantizes the weights
of the matrix products dynamically, per output channel (per tensor moved MiniLM's vectors a lot:
cosine 0.95 on average against the model's own, 0.993 per channel; bench/RESULTS.md).

The folder is written beside its final place and renamed into it, so a killed export leaves no
half model and two processes exporting at once both end with a whole one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from ragkb.errors import ConfigError
from ragkb.extras import require

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "ragkb-onnx.json"
OPSET = 17
EXPORT_VERSION = 1
"""Bumped when an export would come out differently: older exports are then made again."""


def export_model(location: str, folder: Path, precision: str) -> None:
    """Write ``folder`` (model, tokenizer and :data:`CONFIG_FILE`) from the model at ``location``."""
    torch = require("torch", "exporting an embedding model to ONNX")
    sentence_transformers = require("sentence_transformers", "exporting an embedding model to ONNX")
    try:
        model = sentence_transformers.SentenceTransformer(location, device="cpu")
    except Exception as error:
        raise ConfigError(
            f"cannot load embedding model '{location}' to export it to ONNX ({type(error).__name__}); "
            "give a local sentence-transformers folder or a hub id downloaded before"
        ) from error
    tokenizer = model.tokenizer
    inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in tokenizer.model_input_names]
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        sample = tokenizer(["an example sentence", "and a second, longer example sentence"], padding=True, return_tensors="pt")
        traced = _traceable(torch, model, inputs)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it takes as constants (none here)
            torch.onnx.export(
                traced,
                tuple(sample[name] for name in inputs),
                str(work / "fp32.onnx"),
                input_names=inputs,
                output_names=["sentence_embedding"],
                dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in inputs}, "sentence_embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
        if precision == "int8":
            _quantize(work / "fp32.onnx", work / MODEL_FILE)
            (work / "fp32.onnx").unlink()
        else:
            (work / "fp32.onnx").rename(work / MODEL_FILE)
        tokenizer.backend_tokenizer.save(str(work / TOKENIZER_FILE))
        config = {
            "source": location,
            "precision": precision,
            "inputs": inputs,
            "max_tokens": int(model.max_seq_length),
            "pad_id": int(tokenizer.pad_token_id or 0),
            "lowercase": bool(getattr(model[0], "do_lower_case", False)),
        }
        (work / CONFIG_FILE).write_text(json.dumps(config, indent=1))
        work.chmod(0o755)
        try:
            os.replace(work, folder)
        except OSError:  # another process put a whole export there first
            if not (folder / CONFIG_FILE).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _quantize(source: Path, target: Path) -> None:
    require("onnx", "quantizing an ONNX embedding model")
    require("onnxruntime", "quantizing an ONNX embedding model")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # it advises pre-processing through the root logger
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)


def _traceable(torch, model, inputs: list[str]):
    """The model as a module from positional tensors to sentence embeddings, which ``torch.onnx``
    traces (the class is made here because torch is an optional extra)."""

    class Sentence(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(dict(zip(inputs, tensors, strict=True)))["sentence_embedding"]

    return Sentence().eval()
