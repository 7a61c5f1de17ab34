"""Tables as data: the pure core of question answering over financial tables.

Nothing here reads files, opens a database or calls a model; ingest and answering build on it.

* :mod:`~ragkb.tables.numbers`: a cell's text as a number with its unit, and back to text.
* :mod:`~ragkb.tables.metrics`: financial metrics by synonym, and matching a row label to one.
* :mod:`~ragkb.tables.statements`: which statement a table is (balance sheet, income, cash flow;
  consolidated or parent company).
* :mod:`~ragkb.tables.formulas`: ratios and growth computed in code, with a formula a reader can check.
* :mod:`~ragkb.tables.question`: what a question asks (type, entities, route), without an LLM,
  with :mod:`~ragkb.tables.years` and :mod:`~ragkb.tables.companies` for its years and companies.
* :mod:`~ragkb.tables.text`: folding of full-width and spaced text, and label similarity.
"""
