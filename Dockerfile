# One image for web, worker and beat. `--build-arg WITH_OCR=1` adds the optional offline OCR of banners in photos
# (requirements-ocr.txt: rapidocr-onnxruntime with its models, ~270 MB installed; opencv needs libgl1, libglib2.0-0).
FROM python:3.11-slim-bookworm

ARG WITH_OCR=0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk postgresql-client \
      $(if [ "$WITH_OCR" = "1" ]; then echo libgl1 libglib2.0-0; fi) \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-ocr.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
 && if [ "$WITH_OCR" = "1" ]; then pip install --no-cache-dir -r requirements-ocr.txt; fi

COPY . .
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
 && useradd --system --home /app wenming \
 && mkdir -p /data/media && chown -R wenming /data

USER wenming
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
