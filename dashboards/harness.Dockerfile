# The harness as an image, for the compose stack's simulator service
# (build context: the repository root; see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /src
COPY pyproject.toml README.md ./
COPY harness ./harness
COPY scenarios ./scenarios
COPY golden ./golden
COPY dashboards ./dashboards
COPY examples ./examples
RUN pip install --no-cache-dir .
EXPOSE 8000
ENTRYPOINT ["slm-harness"]
CMD ["sim", "--host", "0.0.0.0", "--port", "8000"]
