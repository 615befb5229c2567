# Two stages: the build stage installs the locked versions into a virtualenv (compilers and
# caches stay behind); the runtime stage copies only that virtualenv and runs as a user
# without privileges.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/detalka
COPY requirements/runtime.txt /tmp/runtime.txt
RUN /opt/detalka/bin/pip install -r /tmp/runtime.txt
COPY pyproject.toml README.md /src/
COPY detalka /src/detalka
RUN /opt/detalka/bin/pip install --no-deps /src

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/detalka --create-home detalka
COPY --from=build /opt/detalka /opt/detalka
ENV PATH=/opt/detalka/bin:$PATH \
    DETALKA_DATA_DIR=/var/lib/detalka \
    PYTHONUNBUFFERED=1
USER detalka
WORKDIR /var/lib/detalka
EXPOSE 8000 9191
HEALTHCHECK --interval=10s --timeout=3s CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["detalka", "api", "--host", "0.0.0.0", "--port", "8000"]
