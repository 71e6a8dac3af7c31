FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=stocklab.settings.production
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build FIELD_ENCRYPTION_SALTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "stocklab.asgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "brokerage.live.workers.LiveUvicornWorker"]
