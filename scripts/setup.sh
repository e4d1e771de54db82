#!/usr/bin/env bash
# Set up Gantry on a fresh Debian machine: system packages, npm packages, the native
# backend and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# oneDNN for the native backend; a compiler and Python for node-gyp; Chromium (the browser that
# the export page and dashboard tests drive); Redis (the job queue of sweeps)
packages="libdnnl-dev g++ make python3 chromium redis-server"
if ! dpkg -s $packages >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
fi

# npm ci builds the native backend in its install step; GANTRY_REQUIRE_NATIVE=1 makes a failed
# build fail here (a user's install goes on without it, on the cpu backend)
GANTRY_REQUIRE_NATIVE=1 npm ci --no-audit --no-fund
npm run build:ts
