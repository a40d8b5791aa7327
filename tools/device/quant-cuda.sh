#!/usr/bin/env bash
# Load a Q4_K GGUF made by @llm/quant in llama.cpp through node-llama-cpp's CUDA prebuilt
# (@node-llama-cpp/linux-x64-cuda, installed as an optional dependency of node-llama-cpp) with all
# layers on the GPU, and print generation tokens/s against the CPU build in the same run.
#
# Prepared for a lent GPU machine; NOT run by the author. Needs: node 20, `pnpm install` done (the
# CUDA package present in node_modules), and `pnpm --filter @llm/core --filter @llm/quant build`.
#
#   bash tools/device/quant-cuda.sh [OUT_DIR]        (QUANT_CUDA_SMALL=1 for a quick dry run)
#
# Writes OUT_DIR/quant-cuda.json (default $OUT or /tmp/quant-cuda) and prints one JSON line.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT_DIR="${1:-${OUT:-/tmp/quant-cuda}}"
mkdir -p "$OUT_DIR"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi not available"
ls -d "$ROOT"/node_modules/.pnpm/@node-llama-cpp+linux-x64-cuda@* >/dev/null 2>&1 || { echo "@node-llama-cpp/linux-x64-cuda is not installed (pnpm install with optional deps)"; exit 3; }
test -f "$ROOT/packages/quant/dist/index.js" || { echo "build first: pnpm --filter @llm/core --filter @llm/quant build"; exit 3; }
timeout 540 node "$ROOT/tools/device/quant-cuda.mjs" "$OUT_DIR"
