#!/usr/bin/env bash
# Installs tensorflux into .venv and trains the course's MNIST LeNet example.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/python examples/mnist_lenet.py "$@"
