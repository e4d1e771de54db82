#!/usr/bin/env bash
# Gantry on WebGPU without a GPU: Debian 13's Mesa (25.x) brings lavapipe, a Vulkan driver that
# runs on the CPU, on which Dawn (the `webgpu` package) gives Node a WebGPU adapter. In the
# Debian 13 root that debian13.sh uses (with mesa-vulkan-drivers and libvulkan1 added): the parity
# tests of webgpu against TF.js's cpu backend, 30 dcgan-mnist and cgan-mnist steps on webgpu whose
# first step's losses must be within 1e-4 (relative) of the cpu backend's, and `gantry bench
# --backend webgpu` for every preset. lavapipe is slow: the figures say the code works, not how
# fast a GPU is. Each run works in a fresh folder of the root, deleted at the end; runs on one
# root take turns. Runs as root (debootstrap, chroot, mounts):
#   sudo bash scripts/systems/webgpu.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/systems/root.sh
start=$(date +%s)

needs_root_and_debootstrap webgpu.sh

phase "Debian 13 amd64 root with Mesa's lavapipe"
t0=$(date +%s)
R="$GANTRY_ROOTS/debian13-amd64"
root_take_turn "$R"
# called in this shell, not in $(...), so that the EXIT trap knows the mounts it makes
root_make debian13-amd64 amd64 trixie nodejs npm g++ make python3 pkg-config libdnnl-dev git mesa-vulkan-drivers libvulkan1 >/dev/null
in_root "$R" 'echo "$(. /etc/os-release && echo "$PRETTY_NAME"): node $(node --version), Mesa $(dpkg-query -W -f="\${Version}" mesa-vulkan-drivers), Vulkan loader $(dpkg-query -W -f="\${Version}" libvulkan1)"'
echo "root at $R $(took "$t0")"

phase "checkout, npm ci and the TypeScript build"
t0=$(date +%s)
root_run_folder "$R"
# the comparisons are with TF.js's own cpu backend, so the native backend is not built
root_npm_ci "$R" "$D"
in_root "$R" "cd $D && "'npm run build:ts >ci/build-ts.log 2>&1 || { tail -n 40 ci/build-ts.log; exit 1; }'
echo "npm ci and build $(took "$t0")"

phase "the WebGPU adapter"
in_root "$R" "cd $D && node packages/gantry/bin/gantry.js doctor | grep -E '^\[..\] WebGPU|auto takes'"
# lavapipe must give an adapter here; a missing one fails the run instead of skipping its tests
in_root "$R" "cd $D && node packages/gantry/bin/gantry.js doctor --json | node -e '
  const r = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\")).checks.find((c) => c.name === \"WebGPU\");
  if (r.state !== \"ok\") { console.error(\"webgpu.sh: no WebGPU adapter: \" + r.detail); process.exit(1); }'"

phase "parity: webgpu against cpu, forward and gradients"
t0=$(date +%s)
in_root "$R" "cd $D && "'node --test --test-concurrency=1 packages/gantry/dist/test/webgpu-*.test.js >ci/webgpu-tests.log 2>&1 \
  || { grep -E -A 30 "^not ok|^    not ok" ci/webgpu-tests.log | head -n 160; tail -n 9 ci/webgpu-tests.log; exit 1; }
  grep -E "^# (tests|pass|fail|skipped)" ci/webgpu-tests.log
  grep -E "^# skipped 0$" ci/webgpu-tests.log >/dev/null || { echo "webgpu.sh: tests were skipped here, where an adapter exists:"; grep -B 2 "# SKIP" ci/webgpu-tests.log; exit 1; }'
echo "parity tests $(took "$t0")"

# batch 16 rather than the presets' 64: lavapipe runs a dcgan-mnist step of batch 64 in about
# half a minute on two cores
phase "30 dcgan-mnist and cgan-mnist steps (batch 16) on webgpu; their first step against cpu's"
t0=$(date +%s)
for preset in dcgan-mnist cgan-mnist; do
  in_root "$R" "cd $D && rm -rf ci/$preset-webgpu ci/$preset-cpu
    t1=\$(date +%s)
    node packages/gantry/bin/gantry.js train --preset $preset --batch-size 16 --steps 30 --log-every 1 --sample-every 30 --checkpoint-every 30 --out ci/$preset-webgpu --backend webgpu --quiet 2>ci/$preset-webgpu.err \
      || { cat ci/$preset-webgpu.err; exit 1; }
    echo \"$preset: 30 steps on webgpu in \$(( \$(date +%s) - t1 )) s; \$(head -n 1 ci/$preset-webgpu.err)\"
    # the cpu backend's first step (TF.js's pure-JavaScript convolutions take a while)
    node packages/gantry/bin/gantry.js train --preset $preset --batch-size 16 --steps 1 --log-every 1 --out ci/$preset-cpu --backend cpu --quiet
    node -e '
      const fs = require(\"fs\");
      const first = (dir) => JSON.parse(fs.readFileSync(dir + \"/metrics.jsonl\", \"utf8\").split(\"\\n\")[0]);
      const g = first(\"ci/$preset-webgpu\"), c = first(\"ci/$preset-cpu\");
      let worst = 0;
      for (const k of [\"loss/D\", \"loss/G\"]) {
        const rel = Math.abs(g[k] - c[k]) / Math.abs(c[k]);
        worst = Math.max(worst, rel);
        console.log(\"  step 1 \" + k + \": webgpu \" + g[k] + \", cpu \" + c[k] + \", relative difference \" + rel.toExponential(2));
      }
      if (!(worst <= 1e-4)) { console.error(\"$preset: the first step differs from cpu by more than 1e-4 relative\"); process.exit(1); }
      const lines = fs.readFileSync(\"ci/$preset-webgpu/metrics.jsonl\", \"utf8\").trim().split(\"\\n\").map(JSON.parse);
      const last = lines[lines.length - 1];
      if (last.step !== 30 || !Number.isFinite(last[\"loss/D\"]) || !Number.isFinite(last[\"loss/G\"])) { console.error(\"$preset: no finite losses at step 30\"); process.exit(1); }
      console.log(\"  step 30: L_D \" + last[\"loss/D\"].toFixed(4) + \", L_G \" + last[\"loss/G\"].toFixed(4));'
    ls ci/$preset-webgpu/samples/*.png >/dev/null && ls -d ci/$preset-webgpu/checkpoints/step-* >/dev/null"
done
echo "trainings $(took "$t0")"

phase "gantry bench --backend webgpu, every preset at batch 4 (lavapipe: a CPU's speed, not a GPU's)"
t0=$(date +%s)
in_root "$R" "cd $D && for p in \$(node -e 'import(\"./packages/core/dist/src/models/presets.js\").then((m) => console.log(m.presetNames().join(\" \")))'); do
    node packages/gantry/bin/gantry.js bench --preset \$p --backend webgpu --batch-size 4 --steps 2 --warmup 1 >ci/bench-\$p.out 2>ci/bench-\$p.err || { cat ci/bench-\$p.err; exit 1; }
    head -n 1 ci/bench-\$p.out
    grep -q '^gantry: backend webgpu on ' ci/bench-\$p.err || { cat ci/bench-\$p.err; exit 1; }
  done"
echo "bench $(took "$t0")"

phase "WebGPU on lavapipe passed in $(( $(date +%s) - start )) s"
