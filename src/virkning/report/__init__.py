"""The report house style shared by every analysis: components (tables, figures, blocks), formatting of numbers and
dates, Danish and English words, labels of the domain's names, and one document template.

    from virkning.report.render import render_document
    html = render_document(sections, title=..., kicker=..., language="da")

Each analysis builds its own sections from these parts (e.g. `virkning.analyses.effect.sections`); the report
computes nothing.
"""
