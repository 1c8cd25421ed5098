"""``slm-harness dashboards build|push``: write the dashboard JSON from code, or upload it to Grafana."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.config.errors import ConfigError

app = typer.Typer(help="Grafana dashboards generated from code.", no_args_is_help=True)

EXIT_STALE = 1


@app.command("build")
def build(
    out: Annotated[Path, typer.Option(help="Directory for the dashboard JSON files.")] = Path("dashboards"),
    docs: Annotated[
        Path,
        typer.Option(help="Metrics reference whose catalogue table is regenerated (skipped when absent)."),
    ] = Path("docs/metrics.md"),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a file differs from the code.")
    ] = False,
) -> int:
    """Generate dashboards/*.json and the metric table of docs/metrics.md from code."""
    from harness.dashboards.build import stale_files, write_generated

    if check:
        stale = stale_files(out, docs)
        for path in stale:
            print(f"{path}: differs from the code; run `slm-harness dashboards build`", file=sys.stderr)
        return EXIT_STALE if stale else 0
    for path in write_generated(out, docs):
        print(path)
    return 0


@app.command("push")
def push(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. http://localhost:3000.")],
    token_env: Annotated[
        str, typer.Option(help="Environment variable holding a Grafana service-account token.")
    ] = "GRAFANA_TOKEN",
    datasource_uid: Annotated[
        str, typer.Option(help="UID of the Prometheus datasource in that Grafana.")
    ] = "slm-prometheus",
) -> int:
    """Upload every dashboard to a running Grafana (folder "SLM harness", overwriting older versions)."""
    from harness.dashboards.build import DASHBOARDS
    from harness.dashboards.upload import upload_dashboards

    token = os.environ.get(token_env)
    if not token:
        raise ConfigError(
            "--token-env",
            token_env,
            "the environment variable is not set",
            f"export {token_env}=<service-account token>",
        )
    for link in upload_dashboards(url, token, DASHBOARDS.values(), datasource_uid):
        print(link)
    return 0
