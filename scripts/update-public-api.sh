#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every library package (each folder with a PublicAPI.Shipped.txt) from a build:
# the PublicApiAnalyzers report every public symbol missing from the declared API as RS0016, in exactly the form the
# files hold, so the Unshipped file is emptied, the project rebuilt, and the reported symbols written back sorted.
# Run it after a merge or a deliberate public API change, then review the diff (git diff -- '*/PublicAPI.Unshipped.txt').
# At a release, move the Unshipped lines into PublicAPI.Shipped.txt by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
export NUGET_CERT_REVOCATION_MODE=offline DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Usage: scripts/update-public-api.sh [PROJECT...]   (default: every project with a PublicAPI.Shipped.txt)
if [ "$#" -gt 0 ]; then projects=("${@%/}"); else mapfile -t projects < <(for f in */PublicAPI.Shipped.txt; do dirname "$f"; done); fi
[ "${#projects[@]}" -gt 0 ] || { echo "no PublicAPI.Shipped.txt found beside any project" >&2; exit 1; }

for p in "${projects[@]}"; do printf '#nullable enable\n' > "$p/PublicAPI.Unshipped.txt"; done

# Dependencies first (Core before the packages that reference it), so each project is compiled once, on its own.
dotnet build Gleitzeit.Core/Gleitzeit.Core.csproj -c Release -nologo -v quiet -p:TreatWarningsAsErrors=false >/dev/null 2>&1 || true
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for p in "${projects[@]}"; do
  dotnet build "$p/$p.csproj" -c Release -nologo --no-incremental -p:BuildProjectReferences=false \
    -p:TreatWarningsAsErrors=false -clp:NoSummary >"$log" 2>&1 || true
  if grep -q ": error " "$log"; then
    echo "$p: the build failed for another reason than its public API:" >&2
    grep ": error " "$log" | sort -u | head -20 >&2
    status=1
    continue
  fi
  {
    printf '#nullable enable\n'
    grep -F "[$PWD/$p/$p.csproj]" "$log" | grep -F "RS0016" \
      | sed -n "s/.*warning RS0016: Symbol '\(.*\)' is not part of the declared public API.*/\1/p" | LC_ALL=C sort -u
  } > "$p/PublicAPI.Unshipped.txt"
  echo "$p: $(($(wc -l < "$p/PublicAPI.Unshipped.txt") - 1)) unshipped public symbols"
done
exit $status
