# syntax=docker/dockerfile:1
# ODOP Bazaar: one image for the web app (uvicorn), the job worker (`odop worker`) and one-off
# commands (`odop db upgrade`, `odop seed reference`). See compose.yaml for a full deployment.

# -- build: wheels for every dependency (compilers stay in this stage) ---------------------------
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-cache-dir --wheel-dir /wheels . \
    && rm /wheels/odop_bazaar-*.whl

# -- runtime: slim, non-root --------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    WEB_CONCURRENCY=2 \
    ODOP_MEDIA_DIR=/data/media \
    ODOP_MAIL_DIR=/data/mail
# Pango (HarfBuzz text layout) and Noto fonts: WeasyPrint renders the GST invoice PDFs, with
# Devanagari shaped correctly.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/*.whl
# The app runs from its source tree (not site-packages): templates/, static/, migrations/ and
# alembic.ini are found next to app/. `odop` is the same typer CLI the README documents.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin odop \
    && mkdir -p /data/media /data/mail \
    && chown -R odop:odop /data \
    && printf '#!/bin/sh\nexec python -m app.cli "$@"\n' > /usr/local/bin/odop \
    && chmod 755 /usr/local/bin/odop
WORKDIR /app
COPY alembic.ini pyproject.toml ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
USER odop
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=4s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
# uvicorn takes its worker count from WEB_CONCURRENCY; set FORWARDED_ALLOW_IPS to the load
# balancer's address so client IPs (sign-in rate limits) come from X-Forwarded-For.
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--no-access-log"]
