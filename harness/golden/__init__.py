"""Golden sets: datasets, scorers, the runner and its results.

Modules: `dataset` (load and check sets), `scorers`, `transport` + `runner` (ask the
endpoint), `results` (golden.parquet), `accuracy` (Wilson intervals, the summary section),
`output` (run directories), `alongside` (golden rounds beside a load run), `metrics`
(Prometheus), `pytest_plugin`. Nothing is imported here: the pytest plugin loads this
package in every pytest session and must stay cheap when unused.
"""
