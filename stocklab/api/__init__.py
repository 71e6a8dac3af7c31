"""The API's shared kernel: the error handler (the one place that knows HTTP statuses), schema pieces,
throttles, routers, parsers and the API's entry page."""
