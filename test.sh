#!/usr/bin/env bash
# Runs every test project of the solution and prints one closing line "N passed, N failed, N skipped".
# Skipped: tests that report themselves ignored or inconclusive, such as the checks against the original Gleitzeit
# workflows when shared/conformance/original-examples is not beside the clone (each names the missing folder).
# Exits non-zero when a test fails, a test run crashes, or no test ran.
# Needs: the .NET 10 SDK, python3, node/npm (MCP test servers, installed here from package-lock.json),
# redis-server on PATH (tests start their own unless GLEITZEIT_TEST_REDIS=host:port names one).
set -uo pipefail
cd "$(dirname "$0")"
export NUGET_CERT_REVOCATION_MODE=offline DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ -f package-lock.json ] && [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "npm ci failed: the MCP test servers could not be installed"; exit 1; }
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet build Gleitzeit.sln -c Release -nologo -v quiet || { echo "0 passed, 1 failed"; echo "build failed"; exit 1; }
# A test silent for 5 minutes is a hang: abort it with a dump rather than eat the CI budget.
dotnet test Gleitzeit.sln -c Release --no-build -nologo --logger "trx" --results-directory "$results" --blame-hang-timeout 5m "$@"
status=$?

passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  # The trx counters leave ignored tests out (notExecuted stays 0): count the results themselves.
  s=$(grep -Eo '<UnitTestResult [^>]*outcome="(NotExecuted|Inconclusive)"' "$trx" | wc -l)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then exit 1; fi
if [ "$passed" -eq 0 ]; then echo "no test ran"; exit 1; fi
exit 0
