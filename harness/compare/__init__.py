"""Comparisons of endpoints and model variants: runs or targets side by side, with intervals.

A *side* is a set of request records (a run, or one target of a multi-target run) with its
summary block. ``compare_sides`` gives per-metric ratios to the first side with the interval
that covers the noise at hand, answer agreement and paired golden accuracy; the writers turn
that into ``compare.json``, ``compare.md`` and ``compare.html``.
"""
