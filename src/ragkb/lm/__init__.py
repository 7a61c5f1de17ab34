"""ragkb's own small language model: a byte-level BPE tokenizer, a decoder-only transformer, its
pretraining, supervised fine-tuning and reasoning stage, and the ``lm:<name>`` generator that serves it.

Everything here needs the ``[lm]`` extra (torch, tokenizers, safetensors, matplotlib) and runs on
CUDA when present, else on the CPU. Nothing here reads knowledge bases: the commands pass text in.
"""
