#!/usr/bin/env bash
# Gantry on linux/arm64, under emulation (qemu-user-static): a Debian 13 arm64 root with Node 20
# and oneDNN 3.7 from Debian's packages; the native backend built there (its x86 kernels compiled
# out, the generic ones in), the backend's test suite, and 200 seed-mlp training steps.
# Slow (everything runs emulated, tens of minutes); run before a release, not in CI:
#   sudo bash scripts/systems/arm64.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/systems/root.sh
start=$(date +%s)

phase "emulation"
if ! command -v debootstrap >/dev/null || [ ! -x /usr/bin/qemu-aarch64-static ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap qemu-user-static binfmt-support >/dev/null
fi
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 2>/dev/null || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "arm64.sh: qemu-aarch64 is not registered with binfmt_misc" >&2; exit 1; }

phase "Debian 13 arm64 root"
R="$GANTRY_ROOTS/debian13-arm64"
# called in this shell, not in $(...), so that the EXIT trap knows the mounts it makes
root_make debian13-arm64 arm64 trixie nodejs npm g++ make python3 pkg-config libdnnl-dev >/dev/null
in_root "$R" 'echo "node $(node --version) on $(uname -m), oneDNN $(dpkg-query -W -f="\${Version}" libdnnl-dev)"'

phase "checkout, npm ci, native build"
root_copy_checkout "$R" /root/gantry
t0=$(date +%s)
in_root "$R" 'cd /root/gantry && GANTRY_REQUIRE_NATIVE=1 ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >/tmp/npm-ci.log 2>&1 || { tail -n 40 /tmp/npm-ci.log; exit 1; }'
echo "npm ci with the native build: $(( $(date +%s) - t0 )) s"
in_root "$R" 'cd /root/gantry && npx tsc -b packages/core packages/tfjs-backend-onednn packages/gantry && npm run build -w packages/web >/dev/null'

phase "backend test suite"
t0=$(date +%s)
in_root "$R" 'cd /root/gantry && node --test --test-concurrency=1 --test-reporter=tap packages/tfjs-backend-onednn/dist/test/*.test.js >/tmp/backend-suite.tap 2>&1; status=$?
  grep -A12 "^not ok" /tmp/backend-suite.tap | head -n 80; tail -n 9 /tmp/backend-suite.tap; exit $status'
echo "backend suite: $(( $(date +%s) - t0 )) s"

phase "200 seed-mlp steps"
t0=$(date +%s)
in_root "$R" 'cd /root/gantry && rm -rf /tmp/arm64-run && node packages/gantry/bin/gantry.js train --preset seed-mlp --steps 200 --log-every 50 --sample-every 200 --checkpoint-every 200 --backend onednn --out /tmp/arm64-run && ls /tmp/arm64-run/samples /tmp/arm64-run/checkpoints'
echo "200 seed-mlp steps: $(( $(date +%s) - t0 )) s"

phase "arm64 passed in $(( $(date +%s) - start )) s"
