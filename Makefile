# The README's two commands: `make demo` (set up and run the app on embedded defaults) and `make test`.
.PHONY: demo test lint vendor

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

lint:
	@.venv/bin/ruff check .

# Copy the browser libraries pinned in package-lock.json into static/vendor/ (commit the result).
vendor:
	@npm ci --no-audit --no-fund --loglevel=error && npm run --silent vendor
