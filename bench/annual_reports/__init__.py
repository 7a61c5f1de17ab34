"""Synthetic annual reports (年度报告) with verified questions, for measuring table QA.

``generate.py`` is the entry point. The parts: :mod:`finance` (statements that add up),
:mod:`companies` (invented names, people, addresses, businesses and print styles),
:mod:`statements` (the rows of each statement), :mod:`phrases` (the words, in Chinese and
English), :mod:`formats` (how numbers are printed), :mod:`pdf` (page layout), :mod:`report` (what
each report says and on which page each fact lands), :mod:`formulas` (ratios and growth rates),
:mod:`questions` (questions about one company) and :mod:`across` (statistics over all of them).
"""
