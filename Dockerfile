# Auskunft app image (Streamlit UI + `auskunft` CLI) for docker-compose.yml.
# Qdrant and Ollama run as their own services; this image talks to them over the compose network
# (settings profile "docker", config/profiles/docker.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AUSKUNFT_PROFILE=docker \
    HF_HUB_OFFLINE=1 \
    HAYSTACK_TELEMETRY_ENABLED=False \
    DO_NOT_TRACK=1

# OCR with German (image-only PDFs), PDF rendering, file type detection (same list as `make system`)
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-deu poppler-utils libmagic1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# CPU torch first and on its own: anything that later admits torch would otherwise pull a multi-GB CUDA build
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY pipelines ./pipelines
COPY ingest ./ingest
COPY ui ./ui
# unstructured's PDF code imports unstructured-inference; its own deps would drag in torchvision
RUN pip install -c constraints.txt -e '.[model]' \
    && pip install --no-deps unstructured-inference==1.6.14

RUN useradd --create-home --uid 10001 auskunft \
    && mkdir -p /data \
    && chown auskunft:auskunft /data
USER auskunft
VOLUME ["/data"]

EXPOSE 8501
CMD ["auskunft", "ui", "--host", "0.0.0.0", "--port", "8501"]
