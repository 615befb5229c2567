FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY detalka ./detalka
RUN pip install --no-cache-dir .
ENV DETALKA_DATA_DIR=/var/lib/detalka
EXPOSE 8000
CMD ["detalka", "api", "--host", "0.0.0.0", "--port", "8000"]
