#!/bin/sh
# Chromium with its profile on a small disk of its own: a tmpfs of LARDER_SMALL_DISK (default 48m) mounted
# over the --user-data-dir in a private user and mount namespace (unshare -Urm: no root needed, only
# unprivileged user namespaces). Chromium computes its storage quota from that disk, so IndexedDB runs out
# of room for real. The HTTP cache goes to --disk-cache-dir outside it. Used by tests/e2e/storage-faults.spec.ts.
profile=
for arg in "$@"; do
  case "$arg" in --user-data-dir=*) profile="${arg#--user-data-dir=}" ;; esac
done
[ -n "$profile" ] || { echo "small-disk-chromium: no --user-data-dir" >&2; exit 2; }
exec unshare -Urm sh -c 'mount -t tmpfs -o "size=$1" tmpfs "$2" && shift 2 && exec "${CHROMIUM_PATH:-/usr/bin/chromium}" "$@"' \
  small-disk "${LARDER_SMALL_DISK:-48m}" "$profile" "$@"
