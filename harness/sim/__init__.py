"""The built-in OpenAI-compatible LLM server simulator (runs in its own process).

Entry points:
  ``harness.sim.config.SimConfig``      every setting, documented field by field.
  ``harness.sim.server.run_server(cfg)`` serve in this process until SIGINT/SIGTERM (blocking).
  ``harness.sim.process.SimProcess(cfg)`` context manager running it as a child process.
  ``python -m harness.sim --help``      the same as a command (flags in ``harness.sim.args``).

Module map: ``scheduler`` (slots, KV cache, FIFO queue) and ``timing`` (when each token is due)
form the continuous-batching model; ``plan`` turns a request into a prompt size and an output;
``generation`` sends it as SSE or JSON with ground-truth timings; ``chunks`` holds vLLM's byte
format; ``faults``, ``golden`` and ``profiles`` shape the behaviour; ``metrics`` is ``/metrics``.
Nothing is imported here, so ``harness.sim.profiles`` stays cheap to import.
"""
