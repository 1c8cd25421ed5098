"""Capacity planning: stage planners that look for where an endpoint stops meeting its SLOs.

``sweep``: a synchronous stage, a throughput probe, then open-loop rates between them.
``search``: bracket then bisect the arrival rate (or closed-loop users) to the highest load
whose SLO attainment meets a target. ``probe`` judges one stage against that target.
"""
