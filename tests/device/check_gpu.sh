#!/usr/bin/env bash
# The GPU check (tests/device/check_gpu.py): full sizes on a CUDA machine, tiny CPU sizes elsewhere (CI).
# Usage: bash tests/device/check_gpu.sh [OUT_DIR] [--tiny]   (OUT_DIR defaults to $OUT, else the results folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-tests/benchmarks/results}}"
shift || true
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "no NVIDIA GPU: tiny CPU check"
exec "$py" tests/device/check_gpu.py --out "$out" "$@"
