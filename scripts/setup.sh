#!/usr/bin/env bash
# Set up Gantry on a fresh Debian machine: system packages, npm packages, the native
# backend and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# oneDNN for the native backend; a compiler and Python for node-gyp; Chromium (the browser that
# the export page and dashboard tests drive); Redis (the job queue of sweeps); ONNX's own checker
# for the exported model.onnx (Debian's python3-onnx, run by the export tests); zip (the
# run-archive test unpacks a run folder zipped by it)
packages="libdnnl-dev g++ make python3 chromium redis-server python3-onnx zip"
if ! dpkg -s $packages >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
fi

# npm ci builds the native backend in its install step; GANTRY_REQUIRE_NATIVE=1 makes a failed
# build fail here (a user's install goes on without it, on the cpu backend).
# onnxruntime-node (the tests' ONNX Runtime) ships its CPU binaries in the package; its install
# step would only download the CUDA provider, which an offline machine cannot: skip it.
GANTRY_REQUIRE_NATIVE=1 ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
npm run build:ts
