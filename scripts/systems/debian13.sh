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

needs_root_and_debootstrap debian13.sh

phase "Debian 13 amd64 root"
t0=$(date +%s)
R="$GANTRY_ROOTS/debian13-amd64"
root_take_turn "$R"
# called in this shell, not in $(...), so that the EXIT trap knows the mounts it makes
root_make debian13-amd64 amd64 trixie nodejs npm g++ make python3 pkg-config libdnnl-dev git >/dev/null
in_root "$R" 'echo "$(. /etc/os-release && echo "$PRETTY_NAME"): node $(node --version), $(g++ --version | head -n 1), libdnnl-dev $(dpkg-query -W -f="\${Version}" libdnnl-dev)"'
echo "root at $R $(took "$t0")"

phase "checkout and npm ci"
t0=$(date +%s)
root_run_folder "$R"
# the native build is the next phase, on its own, so that its log and warnings are its own
root_npm_ci "$R" "$D"
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
