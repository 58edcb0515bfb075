#!/usr/bin/env bash
# Installs what the tests need and runs every suite: the README's second command, and what .ci/run runs.
#
# 1. Debian packages the functional tests drive for real (python3-cinderclient for the `cinder` CLI):
#    installed with apt-get when missing and running as root; otherwise named, and the script exits 1.
# 2. npm packages (npm ci), type check, build.
# 3. mocha (spec reporter) under c8 coverage; the last line is "N passed, N failed" from mocha's counts.
set -uo pipefail
cd "$(dirname "$0")/.."
# Native addons (better-sqlite3) build against the system's Node headers: no download.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

declare -A PACKAGE_OF=([cinder]=python3-cinderclient [cp]=coreutils [logrotate]=logrotate [timeout]=coreutils [apache2]=apache2 [nginx]=nginx [openssl]=openssl)
missing=()
for cmd in "${!PACKAGE_OF[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || { echo "apt-get install ${missing[*]} failed" >&2; echo "0 passed, 0 failed"; exit 1; }
  else
    echo "missing Debian packages: ${missing[*]} (install them: sudo apt-get install ${missing[*]})" >&2
    echo "0 passed, 0 failed"
    exit 1
  fi
fi

step() {
  echo "== $*"
  "$@" || { echo "step failed: $*" >&2; echo "0 passed, 0 failed"; exit 1; }
}
step npm ci --no-audit --no-fund
step npm run typecheck
step npm run build

out=$(mktemp)
npx c8 --src src --include 'src/**' --reporter=text-summary mocha --reporter spec --no-colors 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ +[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -n 1)
failed=$(grep -Eo '^ +[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -n 1)
pending=$(grep -Eo '^ +[0-9]+ pending' "$out" | grep -Eo '[0-9]+' | tail -n 1)
rm -f "$out"
[ -n "$pending" ] && echo "($pending pending)"
if [ -z "$passed" ] && [ -z "$failed" ]; then
  echo "mocha printed no summary (exit status $status)" >&2
  echo "0 passed, 0 failed"
  exit 1
fi
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
