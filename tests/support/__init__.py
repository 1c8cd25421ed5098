"""Test environment builders: the vLLM CPU venv, the tiny model, llama-server, stream capture."""
