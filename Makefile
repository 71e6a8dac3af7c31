# The README's two commands: `make demo` (set up and run the app on embedded defaults) and `make test`.
.PHONY: demo test lint

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

lint:
	@.venv/bin/ruff check .
