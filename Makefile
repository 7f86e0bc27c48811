# Self-documenting entry points; each calls dev.py, which needs only Rust and Python.
.PHONY: help demo test bench lint
help:  ## list the targets
	@grep -E '^[a-z]+:.*##' Makefile | sed 's/:.*## /\t/'
demo:  ## build and run the demo on the embedded emulator
	python3 dev.py demo
test:  ## what CI runs: fmt, clippy, cargo test, pytest
	python3 dev.py test
bench: ## benchmarks against the official Azure SDK
	python3 dev.py bench
lint:  ## formatting and lints only
	cargo fmt --check && cargo clippy --all-targets -- -D warnings
