"""Local inference servers (vLLM, llama-server) started and stopped for a run: `server.LaunchedServer`,
`spec.ServerSpec`, `errors.LaunchError`."""
