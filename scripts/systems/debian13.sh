#!/usr/bin/env bash
# Gantry on Debian 13 (trixie) amd64: Node 20, g++ 14 and oneDNN 3.7 from Debian's packages, where
# this machine has Debian 12's oneDNN 2.6. In a root made with debootstrap (kept and reused under
# $GANTRY_ROOTS, default /var/cache/gantry-roots): npm ci, the native build, the TypeScript build,
# the backend's test suite and a 50-step dcgan-mnist training on the native backend.
# Each run works in a fresh folder of the root, deleted at the end; runs on one root take turns.
# Runs as root (debootstrap, chroot, mounts); a few minutes once the root exists:
#   sudo bash scripts/systems/debian13.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/systems/root.sh
start=$(date +%s)

# seconds since $1, for the end of each phase
took() { echo "($(( $(date +%s) - $1 )) s)"; }

[ "$(id -u)" -eq 0 ] || { echo "debian13.sh: run as root (debootstrap, chroot and mounts need it)" >&2; exit 1; }
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

phase "Debian 13 amd64 root"
t0=$(date +%s)
R="$GANTRY_ROOTS/debian13-amd64"
mkdir -p "$GANTRY_ROOTS"
# one run at a time per root (apt inside it, and two test suites on the same cores mislead)
exec 9>"$R.lock"
flock -n 9 || { echo "waiting for another run on $R"; flock 9; }
# called in this shell, not in $(...), so that the EXIT trap knows the mounts it makes
root_make debian13-amd64 amd64 trixie nodejs npm g++ make python3 pkg-config libdnnl-dev git >/dev/null
in_root "$R" 'echo "$(. /etc/os-release && echo "$PRETTY_NAME"): node $(node --version), $(g++ --version | head -n 1), libdnnl-dev $(dpkg-query -W -f="\${Version}" libdnnl-dev)"'
echo "root at $R $(took "$t0")"

phase "checkout and npm ci"
t0=$(date +%s)
# this run's folder in the root: the checkout, its logs (ci/) and the training's output (ci/run)
run=$(mktemp -d "$R/root/gantry.XXXXXX")
D=/root/${run##*/}
trap 'rm -rf --one-file-system "$run"; root_unmount_all' EXIT
root_copy_checkout "$R" "$D"
mkdir -p "$run/ci"
echo "checkout in $D"
# the native build is the next phase, on its own, so that its log and warnings are its own;
# onnxruntime-node's install step would download CUDA binaries (its CPU ones are in the package)
in_root "$R" "cd $D && "'GANTRY_SKIP_NATIVE_BUILD=1 ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >ci/npm-ci.log 2>&1 || { tail -n 40 ci/npm-ci.log; exit 1; }'
echo "npm ci $(took "$t0")"

phase "native build"
t0=$(date +%s)
in_root "$R" "cd $D && "'npm run build:native >ci/native-build.log 2>&1 || { grep -E "error|warning" ci/native-build.log | head -n 40; exit 1; }
  echo "compiler warnings: $(grep -c "warning:" ci/native-build.log || true)"'
echo "native build $(took "$t0")"

phase "TypeScript build"
t0=$(date +%s)
in_root "$R" "cd $D && "'npm run build:ts >ci/build-ts.log 2>&1 || { tail -n 40 ci/build-ts.log; exit 1; }'
# the addon that loads is the one just built, against Debian 13's oneDNN
in_root "$R" "cd $D && "'node --input-type=module -e "
  import { nativeAddon } from \"./packages/tfjs-backend-onednn/dist/src/addon.js\";
  const v = nativeAddon().version();
  console.log(\"addon loads, oneDNN \" + v);
  if (!v.startsWith(\"3.\")) { console.error(\"expected oneDNN 3.x\"); process.exit(1); }"'
echo "TypeScript build $(took "$t0")"

phase "backend test suite"
t0=$(date +%s)
in_root "$R" "cd $D && "'node --test --test-concurrency=1 packages/tfjs-backend-onednn/dist/test/*.test.js >ci/backend-tests.log 2>&1 \
  || { grep -E -A 24 "^not ok" ci/backend-tests.log | head -n 120; tail -n 9 ci/backend-tests.log; exit 1; }
  tail -n 9 ci/backend-tests.log'
echo "backend suite $(took "$t0")"

phase "50 dcgan-mnist steps on the native backend"
t0=$(date +%s)
in_root "$R" "cd $D && "'rm -rf ci/run && node packages/gantry/bin/gantry.js train --preset dcgan-mnist --steps 50 --out ci/run --backend onednn --quiet
  ls ci/run/samples/*.png >/dev/null 2>&1 || { echo "no sample grid in ci/run/samples"; exit 1; }
  ls -d ci/run/checkpoints/step-* >/dev/null 2>&1 || { echo "no checkpoint in ci/run/checkpoints"; exit 1; }
  echo "samples: $(ls ci/run/samples | tr "\n" " ")"
  echo "checkpoints: $(cd ci/run/checkpoints && ls -d step-* | tr "\n" " ")"
  tail -n 1 ci/run/metrics.jsonl'
echo "training $(took "$t0")"

phase "Debian 13 passed in $(( $(date +%s) - start )) s"
