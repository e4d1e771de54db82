#!/usr/bin/env bash
# The native backend built with clang and LLVM's OpenMP (libomp), the compiler macOS has, on this
# machine: a copy of the backend package is built with CC=clang CXX=clang++ beside the checkout's
# g++ build (which stays as it is), and the backend's test suite runs on it.
#   bash scripts/systems/clang.sh        (after scripts/setup.sh; installs clang and libomp-dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
checkout=$(pwd)
source scripts/systems/root.sh
start=$(date +%s)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v clang++ >/dev/null || ! dpkg -s libomp-dev >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libomp-dev >/dev/null
fi
[ -d node_modules/@tensorflow/tfjs ] || { echo "clang.sh: run scripts/setup.sh first (npm ci)" >&2; exit 1; }

phase "clang build ($(clang++ --version | head -n 1))"
work=$(mktemp -d /tmp/gantry-clang.XXXXXX)
trap 'rm -rf "$work"; root_unmount_all' EXIT
mkdir -p "$work/packages"
(cd packages/tfjs-backend-onednn && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | (mkdir -p "$work/packages/tfjs-backend-onednn" && tar -xf - -C "$work/packages/tfjs-backend-onednn")
ln -s "$checkout/node_modules" "$work/node_modules"
cp tsconfig.base.json "$work/"
cd "$work/packages/tfjs-backend-onednn"
CC=clang CXX=clang++ npm run build:native >"$work/build.log" 2>&1 || { grep -E 'error|warning' "$work/build.log" | head -n 40; exit 1; }
echo "compiler warnings: $(grep -c 'warning:' "$work/build.log" || true)"
ldd build/Release/onednn.node | grep -E 'libomp|libgomp|libdnnl' | sed 's/^\s*/  links /'
npx tsc -b .

phase "backend test suite on the clang build"
node --test --test-concurrency=1 dist/test/*.test.js 2>&1 | tail -n 9
phase "clang build passed in $(( $(date +%s) - start )) s"
