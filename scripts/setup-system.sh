#!/usr/bin/env bash
# Installs the Debian packages that the browser and database tests need, once.
# Idempotent: does nothing when everything is present. Never fails the build when
# the package index cannot be reached; the tests that need a missing piece skip
# with a message naming it.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# A CJK font so maps, figures and pages show Chinese names: `geomatch map` refuses to draw
# the national figure without one (it never falls back to English labels).
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-zenhei)
if command -v pg_config >/dev/null 2>&1 || [ -d /usr/share/postgresql ]; then
  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup-system: installing ${need[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
      || echo "setup-system: could not install ${need[*]}; tests that need them will skip"
    # the other CJK font package when the first was not available
    fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 \
      || echo "setup-system: no CJK font installed; national figures will refuse to draw"
  else
    echo "setup-system: not root; missing ${need[*]} (tests that need them will skip)"
  fi
fi
# Start the machine's PostgreSQL if it is installed but not running.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start 2>/dev/null || true
fi
exit 0
