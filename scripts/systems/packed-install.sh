#!/usr/bin/env bash
# A user's install, from the packed packages, on a Debian 13 that has Node 20 and a compiler but
# no oneDNN: `npm install` of the four tarballs into an empty project must succeed, and
# `npx gantry train` must train on TF.js's cpu backend after its one-line notice. Then, with
# libdnnl-dev (oneDNN 3.7) installed, the same install builds the native backend and trains on it.
# `gantry doctor`'s output in both cases is printed.
#   sudo bash scripts/systems/packed-install.sh      (after scripts/setup.sh: packs the built packages)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/systems/root.sh
start=$(date +%s)

phase "pack the workspace packages"
packs=$(mktemp -d /tmp/gantry-packs.XXXXXX)
trap 'rm -rf "$packs"; root_unmount_all' EXIT
for p in core tfjs-backend-onednn gantry web; do
  [ -d "packages/$p/dist" ] || { echo "packed-install.sh: packages/$p/dist is missing; run scripts/setup.sh first" >&2; exit 1; }
  (cd "$packs" && npm pack "$OLDPWD/packages/$p" --silent)
done
ls -l "$packs"

phase "Debian 13 root without oneDNN"
R="$GANTRY_ROOTS/debian13-user"
# called in this shell, not in $(...), so that the EXIT trap knows the mounts it makes
root_make debian13-user amd64 trixie nodejs npm g++ make python3 >/dev/null
root_remove_packages "$R" libdnnl-dev
rm -rf "$R/root/packs" && mkdir -p "$R/root/packs" && cp "$packs"/*.tgz "$R/root/packs/"

# try NAME: an empty project, npm install of the tarballs, gantry doctor, 50 seed-mlp steps
try() {
  local name=$1 expect=$2
  in_root "$R" "rm -rf /root/$name && mkdir /root/$name && cd /root/$name && npm init -y >/dev/null && \
    t0=\$(date +%s) && npm install /root/packs/*.tgz >/tmp/$name-install.log 2>&1 || { tail -n 30 /tmp/$name-install.log; exit 1; }; \
    echo \"npm install: exit 0 in \$(( \$(date +%s) - t0 )) s\"; \
    echo '--- npx gantry doctor'; npx gantry doctor; \
    echo '--- npx gantry train --preset seed-mlp --steps 50'; \
    npx gantry train --preset seed-mlp --steps 50 --log-every 25 --sample-every 50 --checkpoint-every 50 --out run 2>/tmp/$name-train.err; \
    cat /tmp/$name-train.err; ls run/samples run/checkpoints >/dev/null; \
    grep -q 'backend $expect' /tmp/$name-train.err || { echo 'packed-install.sh: expected backend $expect' >&2; exit 1; }"
}

phase "npm install without oneDNN: the cpu backend, after one line"
try without-onednn cpu
in_root "$R" "grep -q '^gantry: warning: using TF.js.s cpu backend' /tmp/without-onednn-train.err"

phase "npm install with libdnnl-dev (oneDNN 3.7): the native backend"
in_root "$R" 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libdnnl-dev >/dev/null'
try with-onednn onednn
in_root "$R" "! grep -q 'warning' /tmp/with-onednn-train.err"

phase "packed install passed in $(( $(date +%s) - start )) s"
