"""Fitting the models to a knowledge base: synthetic questions from its chunks (``ragkb synth``), a
fine-tuned embedder and a distilled cross-encoder reranker (``ragkb tune embedder|reranker``).

Beside :mod:`ragkb.answer` and :mod:`ragkb.agent`: it reads and changes a KB through
:class:`ragkb.kb.KnowledgeBase` and the store, and nothing below imports it. Training needs the
``embed`` extra (torch, sentence-transformers); a GPU is used when torch sees one.
"""
