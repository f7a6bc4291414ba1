# narrative-bot: one image for Slack, Discord and the console mode.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NARRATIVE_BOT_DB=/data/state.sqlite3

WORKDIR /app
# Dependencies first, from pyproject.toml alone: this layer is rebuilt when the dependencies change, not on every
# code or library edit.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
COPY README.md narratives.yaml narratives.schema.json ./
COPY bot ./bot
COPY matchers ./matchers
# The same install step as the README, without the editable flag; the dependencies are already in place.
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown bot:bot /data

USER bot
VOLUME ["/data"]
# HTTP mode for Slack listens on PORT; Socket Mode and Discord need no inbound port.
EXPOSE 3000

# The bot is healthy when its library loads and its state file opens.
HEALTHCHECK --interval=60s --timeout=10s --start-period=20s --retries=3 \
    CMD ["narrative-bot", "health"]

CMD ["narrative-bot", "run"]
