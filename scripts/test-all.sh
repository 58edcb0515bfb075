#!/usr/bin/env bash
# Installs what the tests need and runs every suite: the README's second command, and what .ci/run runs.
#
# 1. Debian packages the functional tests drive for real (python3-cinderclient for the `cinder` CLI):
#    installed with apt-get when missing and running as root; otherwise named, and the script exits 1.
# 2. npm packages (npm ci), type check, build.
# 3. mocha (spec reporter) under c8 coverage, twice: every suite on SQLite, then the API and store suites
#    on a throwaway PostgreSQL 15; the last line is "N passed, N failed", the sum of both passes' counts.
set -uo pipefail
cd "$(dirname "$0")/.."
# Native addons (better-sqlite3) build against the system's Node headers: no download.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

# Commands, or absolute paths of files (the uwsgi plugin), and the package that provides them.
# Keystone tests (issue 9): keystone-manage and the WSGI script, uwsgi with its python3 plugin, openstack,
# and real Rally with its OpenStack plugins.
declare -A PACKAGE_OF=([cinder]=python3-cinderclient [cp]=coreutils [logrotate]=logrotate [timeout]=coreutils [apache2]=apache2 [nginx]=nginx [openssl]=openssl
  [keystone-manage]=keystone [keystone-wsgi-public]=keystone [uwsgi]=uwsgi-core [/usr/lib/uwsgi/plugins/python3_plugin.so]=uwsgi-plugin-python3 [openstack]=python3-openstackclient
  [rally]=rally [/usr/lib/python3/dist-packages/rally_openstack]=python3-rally-openstack)
# Issue 8: the PostgreSQL 15 server binaries (not on PATH) for the PostgreSQL pass and functional tests.
PACKAGE_OF[/usr/lib/postgresql/15/bin/initdb]=postgresql
# Issue 8: `ip` for the multi-host test's network namespaces and veth pairs.
PACKAGE_OF[ip]=iproute2
# Issue 10: the Puppet module's tests (puppet apply, puppet-lint).
PACKAGE_OF[puppet]=puppet
PACKAGE_OF[puppet-lint]=puppet-lint
missing=()
for cmd in "${!PACKAGE_OF[@]}"; do
  if [[ $cmd == /* ]]; then
    [ -e "$cmd" ] || missing+=("${PACKAGE_OF[$cmd]}")
  else
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$cmd]}")
  fi
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

# Runs one mocha pass under c8 (coverage accumulates across passes) and adds its counts to the totals.
total_passed=0
total_failed=0
exit_status=0
run_pass() {
  local out status passed failed pending
  out=$(mktemp)
  npx c8 "$@" 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
  passed=$(grep -Eo '^ +[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -n 1)
  failed=$(grep -Eo '^ +[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -n 1)
  pending=$(grep -Eo '^ +[0-9]+ pending' "$out" | grep -Eo '[0-9]+' | tail -n 1)
  rm -f "$out"
  [ -n "$pending" ] && echo "($pending pending)"
  if [ -z "$passed" ] && [ -z "$failed" ]; then
    echo "mocha printed no summary (exit status $status)" >&2
    exit_status=1
    [ "$status" = 0 ] || exit_status=$status
    return
  fi
  total_passed=$((total_passed + ${passed:-0}))
  total_failed=$((total_failed + ${failed:-0}))
  [ "$status" = 0 ] || exit_status=$status
}

# 1. Everything (.mocharc.json: unit, api, functional) on the default store, SQLite.
echo "== SQLite pass: all suites"
run_pass --src src --include 'src/**' --reporter=text-summary mocha --reporter spec --no-colors

# 2. Issue 8: the API and store suites again on PostgreSQL. Each test server gets a fresh database in
# one throwaway PostgreSQL 15 that the pass starts and stops (test/lib/postgres.ts); suite titles say
# [PostgreSQL]. The *postgres* files already ran in pass 1.
echo "== PostgreSQL pass: test/api on PostgreSQL 15 (VOLUME_API_TEST_ENGINE=postgres)"
VOLUME_API_TEST_ENGINE=postgres run_pass --no-clean --src src --include 'src/**' --reporter=text-summary \
  mocha --no-config --import=tsx --require test/lib/postgres-pass.ts --timeout 20000 --forbid-only --exit --reporter spec --no-colors \
  --ignore 'test/**/*postgres*.test.ts' 'test/api/**/*.test.ts'

echo "${total_passed} passed, ${total_failed} failed"
[ "$total_failed" = 0 ] || [ "$exit_status" != 0 ] || exit_status=1
exit "$exit_status"
