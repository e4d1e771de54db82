# Shared by the system scripts (sourced, not run): make or reuse a Debian root with debootstrap,
# run commands inside it with /proc and /dev mounted (always unmounted again on exit), and copy
# the checkout into it. Roots are kept under $GANTRY_ROOTS (default /var/cache/gantry-roots) and
# reused while they are complete; delete one with `scripts/systems/root.sh`'s root_delete.

GANTRY_ROOTS=${GANTRY_ROOTS:-/var/cache/gantry-roots}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOT_MOUNTS=()

phase() { printf '\n== %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

# took T0: "(N s)", the seconds since T0, for the end of each phase
took() { echo "($(( $(date +%s) - $1 )) s)"; }

# needs_root_and_debootstrap SCRIPT: stop unless run as root; install debootstrap when missing
needs_root_and_debootstrap() {
  [ "$(id -u)" -eq 0 ] || { echo "$1: run as root (debootstrap, chroot and mounts need it)" >&2; exit 1; }
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
}

# root_take_turn R: wait until no other run uses root R (apt inside it, and two test suites on the
# same cores mislead); the lock is held on fd 9 until the script exits
root_take_turn() {
  mkdir -p "$GANTRY_ROOTS"
  exec 9>"$1.lock"
  flock -n 9 || { echo "waiting for another run on $1"; flock 9; }
}

# root_run_folder R: a fresh folder for this run in root R, holding the checkout and its logs
# (ci/); sets RUN (its path here) and D (its path inside the root); removed when the script exits
root_run_folder() {
  RUN=$(mktemp -d "$1/root/gantry.XXXXXX")
  D=/root/${RUN##*/}
  trap 'rm -rf --one-file-system "$RUN"; root_unmount_all' EXIT
  root_copy_checkout "$1" "$D"
  mkdir -p "$RUN/ci"
  echo "checkout in $D"
}

# root_npm_ci R D: npm ci in R's checkout D without the native build (a phase of its own where it
# is wanted); onnxruntime-node's install step would download CUDA binaries (its CPU ones are in the package)
root_npm_ci() {
  in_root "$1" "cd $2 && "'GANTRY_SKIP_NATIVE_BUILD=1 ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >ci/npm-ci.log 2>&1 || { tail -n 40 ci/npm-ci.log; exit 1; }'
}

# root_unmount_all: lazily unmount everything this script mounted (the EXIT trap calls it)
root_unmount_all() {
  local m
  for ((i = ${#ROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    m=${ROOT_MOUNTS[$i]}
    mountpoint -q "$m" && umount -l "$m"
  done
  ROOT_MOUNTS=()
}
trap root_unmount_all EXIT
# a script stopped by a signal exits through the EXIT trap too
trap 'exit 130' INT TERM HUP

# root_mount R: /proc and /dev of the host inside root R
root_mount() {
  local r=$1
  mountpoint -q "$r/proc" || { mount -t proc proc "$r/proc"; ROOT_MOUNTS+=("$r/proc"); }
  mountpoint -q "$r/dev" || { mount --bind /dev "$r/dev"; ROOT_MOUNTS+=("$r/dev"); }
  mkdir -p "$r/dev/pts"
}

# root_make NAME ARCH SUITE PACKAGES...: prints the root's path; builds it when it is missing or
# incomplete, installs PACKAGES when some are missing. Needs debootstrap (and, for a foreign ARCH,
# qemu-user-static with binfmt_misc).
root_make() {
  local name=$1 arch=$2 suite=$3
  shift 3
  local r="$GANTRY_ROOTS/$name"
  mkdir -p "$GANTRY_ROOTS"
  if [ ! -f "$r/.gantry-root" ]; then
    if [ -d "$r.tmp" ]; then root_delete "$r.tmp"; fi
    echo "debootstrap $suite $arch into $r" >&2
    debootstrap --arch="$arch" --variant=minbase --include=ca-certificates "$suite" "$r.tmp" "$DEBIAN_MIRROR" >"$GANTRY_ROOTS/$name.debootstrap.log" 2>&1 \
      || { tail -n 20 "$GANTRY_ROOTS/$name.debootstrap.log" >&2; return 1; }
    touch "$r.tmp/.gantry-root"
    if [ -d "$r" ]; then root_delete "$r"; fi
    mv "$r.tmp" "$r"
  fi
  # npm reaches its registry through the host's certificates (a proxy's own CA among them)
  if [ -d /usr/local/share/ca-certificates ]; then cp -r /usr/local/share/ca-certificates/. "$r/usr/local/share/ca-certificates/"; fi
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  root_mount "$r"
  if ! chroot "$r" dpkg -s "$@" >/dev/null 2>&1; then
    echo "installing into $name: $*" >&2
    chroot "$r" sh -c "update-ca-certificates >/dev/null 2>&1; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* >/dev/null" >&2
  else
    chroot "$r" sh -c 'update-ca-certificates >/dev/null 2>&1' >&2
  fi
  echo "$r"
}

# root_remove_packages R PACKAGES...: remove packages (for a check without them)
root_remove_packages() {
  local r=$1
  shift
  chroot "$r" sh -c "DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq $* >/dev/null 2>&1 || true"
}

# root_copy_checkout R DEST: the checkout's tracked and untracked-but-not-ignored files into R/DEST
root_copy_checkout() {
  local r=$1 dest=$2
  rm -rf "${r:?}/${dest:?}"
  mkdir -p "$r/$dest"
  (cd "$(git rev-parse --show-toplevel)" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$r/$dest"
}

# root_delete R: unmount, then delete a root
root_delete() {
  local r=$1
  for m in "$r/dev/pts" "$r/dev" "$r/proc" "$r/proc/sys/fs/binfmt_misc"; do mountpoint -q "$m" && umount -l "$m"; done
  if grep -q " $r/" /proc/mounts; then echo "root_delete: $r still has mounts; not deleting" >&2; return 1; fi
  rm -rf --one-file-system "$r"
}

# in_root R COMMAND: run a shell command in R as root, with a sane environment
in_root() {
  local r=$1
  shift
  chroot "$r" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 CI="${CI:-}" \
    GANTRY_THREADS="${GANTRY_THREADS:-}" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false bash -euo pipefail -c "$*"
}
