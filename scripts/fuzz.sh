#!/usr/bin/env bash
# Runs every `go test -fuzz` target of the repository (each func Fuzz… of a
# _test.go file under internal/ or cmd/) for FUZZ_TIME (default 10s) each.
# The seeds are each target's f.Add calls and testdata/fuzz/<Target>/ of its
# package; an input that fails is written there by the fuzzer: fix the bug
# and commit the file, so every later `go test` runs it as a seed.
#   scripts/fuzz.sh                 every target, FUZZ_TIME each
#   scripts/fuzz.sh FuzzParseDate   only the named targets
set -euo pipefail
cd "$(dirname "$0")/.."
time=${FUZZ_TIME:-10s}
mapfile -t targets < <(grep -rH --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' internal cmd |
	sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#./\1 \2#' | sort)
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz: no targets found" >&2; exit 1; }
status=0 ran=0
for t in "${targets[@]}"; do
	pkg=${t% *} name=${t#* }
	if [ "$#" -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
	printf '==> %s %s (%s)\n' "$pkg" "$name" "$time"
	ran=$((ran + 1))
	# -fuzztime bounds the run; the timeout catches a target that hangs
	# (with room for the build on a busy machine).
	if ! timeout 600 go test -run='^$' -fuzz="^${name}\$" -fuzztime="$time" "$pkg" </dev/null; then
		echo "fuzz: $name failed; the failing input, if one was found, is in $pkg/testdata/fuzz/$name/" >&2
		status=1
	fi
done
[ "$ran" -gt 0 ] || { echo "fuzz: no target named $*" >&2; exit 1; }
exit $status
