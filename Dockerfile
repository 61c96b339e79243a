# moto_iotjobs in a container: the HTTP API (5000), the Jobs MQTT API (1883 plain, 8883 mutual
# TLS) and persistence in /data (a volume: state survives `docker stop`, restarts and crashes).
#
#   docker build -t moto-iotjobs .
#   docker run -d -p 5000:5000 -p 1883:1883 -p 8883:8883 -v iotjobs-state:/data moto-iotjobs
#   aws --endpoint-url http://localhost:5000 iot list-jobs
#
# Other containers reaching it by a compose service name (Host: iotjobs:5000) need that name
# allowed: `-e MOTO_IOTJOBS_ALLOWED_HOSTS=iotjobs` (the server answers local names only).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOTO_IOTJOBS_STATE_DIR=/data

WORKDIR /opt/moto-iotjobs
COPY pyproject.toml README.md LICENSE ./
COPY moto_iotjobs ./moto_iotjobs
RUN pip install ".[mqtt]"
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin iotjobs \
    && mkdir -p /data && chown iotjobs /data

USER iotjobs
VOLUME ["/data"]
EXPOSE 5000 1883 8883
# /moto-api/iotjobs/ca.pem: a static answer from our own route (moto-api/data.json would
# serialise every backend, which grows with the state)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/moto-api/iotjobs/ca.pem', timeout=4).status != 200)"]
# SIGTERM (docker stop) ends it with a snapshot and exit 0; a large state needs more than
# docker's 10 s grace (`docker stop -t 60`); cut short, it loses nothing (docs/persistence.md)
CMD ["python", "-m", "moto_iotjobs", "--host", "0.0.0.0", "--port", "5000", "--mqtt-port", "1883", "--mqtt-tls-port", "8883", "--state-dir", "/data"]
