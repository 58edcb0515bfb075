#!/usr/bin/env bash
# Installs what the tests need and runs every suite: the README's second command, and what .ci/run runs.
#
# 1. Debian packages the functional tests drive for real (python3-cinderclient for the `cinder` CLI):
#    installed with apt-get when missing and running as root; otherwise named, and the script exits 1.
# 2. npm packages (npm ci), then the type check and the build side by side.
# 3. mocha (spec reporter) under c8 coverage, in three passes, each `mocha --parallel` (2 jobs; 3 for the functional files) with the
#    run's global fixtures (test/lib/fixtures.ts: one PostgreSQL cluster and one Keystone bootstrap per
#    pass, shared by the worker processes): unit and API suites on SQLite, the API suites again on a
#    throwaway PostgreSQL 15, the functional suites. At the end: the wall time of each step, pass and
#    functional file (slowest first), and as the last line "N passed, N failed", the sum of the passes' counts.
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
# Issue 15: Tempest with the Cinder plugin, and the subunit tools that make its report.
PACKAGE_OF[tempest]=tempest
PACKAGE_OF[/usr/lib/python3/dist-packages/cinder_tempest_plugin]=cinder-tempest-plugin
PACKAGE_OF[stestr]=python3-stestr
PACKAGE_OF[subunit2csv]=python3-subunit
PACKAGE_OF[subunit2html]=python3-os-testr
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

# Wall times, printed as a table at the end: "seconds<TAB>what" per line.
timings=$(mktemp)
file_timings=$(mktemp)
trap 'rm -f "$timings" "$file_timings"' EXIT
now() { date +%s%N; }
record() { # record <start ns> <label>
  awk -v s="$1" -v e="$(now)" -v l="$2" 'BEGIN { printf "%.1f\t%s\n", (e - s) / 1e9, l }' >> "$timings"
}
print_timings() {
  echo "== wall times (s)"
  while IFS=$'\t' read -r secs label; do printf '  %7s  %s\n' "$secs" "$label"; done < "$timings"
  if [ -s "$file_timings" ]; then
    echo "== functional files, slowest first (s; they run three at a time)"
    sort -t$'\t' -k1,1nr "$file_timings" | while IFS=$'\t' read -r ms file; do
      awk -v ms="$ms" -v f="$file" 'BEGIN { printf "  %7.1f  %s\n", ms / 1000, f }'
    done
  fi
}
run_started=$(now)

step() {
  local t0
  t0=$(now)
  echo "== $*"
  "$@" || { echo "step failed: $*" >&2; echo "0 passed, 0 failed"; exit 1; }
  record "$t0" "$*"
}
# npm ci starts from scratch (minutes). Outside CI, a node_modules that npm installed after the last change
# of package.json and package-lock.json (its hidden lockfile is newer) is kept.
if [ "${CI:-}" != true ] && [ node_modules/.package-lock.json -nt package-lock.json ] && [ node_modules/.package-lock.json -nt package.json ]; then
  echo "== npm ci skipped: node_modules is newer than package.json and package-lock.json (CI=true always runs it)"
else
  step npm ci --no-audit --no-fund
fi

# The type check and the build read the same sources and write nothing in common: side by side.
typecheck_and_build() {
  local pids=() failed=0 pid
  npm run typecheck & pids+=($!)
  npm run build & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return "$failed"
}
step typecheck_and_build
# The lint gate (ESLint with the layer boundaries, Prettier's check) before any test.
step npm run lint
# The functional suites that run dist/ (PM2, several hosts) use this build instead of making their own.
export VOLUME_API_TEST_BUILT=1

# Runs one mocha pass under c8 (coverage accumulates across passes) and adds its counts to the totals.
# run_pass <label> <c8 and mocha arguments...>
total_passed=0
total_failed=0
exit_status=0
run_pass() {
  local label=$1 out status passed failed pending t0
  shift
  t0=$(now)
  echo "== $label"
  out=$(mktemp)
  npx c8 "$@" 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
  record "$t0" "$label"
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

C8=(--src src --include 'src/**' --reporter=text-summary)
MOCHA=(mocha --no-config --import=tsx --require test/lib/fixtures.ts --timeout 20000 --forbid-only --exit --parallel --reporter spec --no-colors)

# 1. Unit and API suites (.mocharc.json's files) on the default store, SQLite.
run_pass "SQLite pass: unit and API suites" "${C8[@]}" "${MOCHA[@]}" --jobs 2 'test/unit/**/*.test.ts' 'test/api/**/*.test.ts'

# 2. Issue 8: the API and store suites again on PostgreSQL. Each test server gets a fresh database in
# the one throwaway PostgreSQL 15 that the pass's fixture starts and stops (test/lib/fixtures.ts,
# test/lib/postgres.ts), so the files run side by side; suite titles say [PostgreSQL]. The *postgres*
# files already ran in pass 1.
VOLUME_API_TEST_ENGINE=postgres run_pass "PostgreSQL pass: test/api on PostgreSQL 15 (VOLUME_API_TEST_ENGINE=postgres)" \
  --no-clean "${C8[@]}" "${MOCHA[@]}" --jobs 2 --require test/lib/postgres-pass.ts --ignore 'test/**/*postgres*.test.ts' 'test/api/**/*.test.ts'

# 3. The functional suites (.mocharc.functional.json's files), the longest first so that the workers
# finish together; files not named here follow in name order.
first=(puppet tempest cinder-cli cinder-cli-more pm2 multi-host keystone-cli rally backup-crash cinder-cli-proxies worker-process keystone postgres-outage)
functional=()
for name in "${first[@]}"; do
  [ -f "test/functional/$name.test.ts" ] && functional+=("test/functional/$name.test.ts")
done
for f in test/functional/*.test.ts; do
  [[ " ${functional[*]} " == *" $f "* ]] || functional+=("$f")
done
# Three at a time on two cores: most functional files wait on other processes (Tempest's and the
# clients' polling, Keystone, Apache, PM2 start-up), so a third file fills the idle CPU.
VOLUME_API_TEST_TIMINGS=$file_timings run_pass "functional pass: ${#functional[@]} files, three at a time" --no-clean "${C8[@]}" "${MOCHA[@]}" --jobs 3 "${functional[@]}"

record "$run_started" "total (after the Debian packages)"
print_timings
echo "${total_passed} passed, ${total_failed} failed"
[ "$total_failed" = 0 ] || [ "$exit_status" != 0 ] || exit_status=1
exit "$exit_status"
