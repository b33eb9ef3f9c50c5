#!/bin/sh
# Run every fuzz target briefly: first replay its committed corpus and
# regression inputs (each must pass), then fuzz for a bounded time from the
# corpus. Exits non-zero on the first crash, leak, timeout or failed
# invariant, naming the saved reproducer.
#
#   fuzz/smoke.sh [BUILD_DIR [SECONDS]]      (defaults: build-fuzz 10)
#   FUZZ_TARGETS="fuzz_token fuzz_config" fuzz/smoke.sh   # a subset
#
# New inputs found while fuzzing go to BUILD_DIR/fuzz/work/<target>/, never
# into the committed corpus; crash artifacts to BUILD_DIR/fuzz/artifacts/.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-fuzz}
secs=${2:-${FUZZ_SECONDS:-10}}
bindir=$build/fuzz
[ -d "$bindir" ] || { echo "smoke: no $bindir (configure with CC=clang -DJOBSD_FUZZ=ON)" >&2; exit 2; }

targets=${FUZZ_TARGETS:-$(cd "$here" && ls fuzz_*.c | sed 's/\.c$//')}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail=0
for t in $targets; do
	bin=$bindir/$t
	if [ ! -x "$bin" ]; then
		echo "smoke: $t: not built ($bin)" >&2
		fail=1
		continue
	fi
	corpus=$here/corpus/$t
	regress=$here/regressions/$t
	work=$bindir/work/$t
	art=$bindir/artifacts/$t
	log=$bindir/$t.log
	mkdir -p "$work" "$art"

	# 1. replay: every committed input once
	files=$(find "$corpus" "$regress" -type f ! -name '*.md' 2>/dev/null | sort || true)
	if [ -n "$files" ]; then
		# shellcheck disable=SC2086
		if ! "$bin" -rss_limit_mb=1024 -timeout=10 $files >"$log" 2>&1; then
			echo "smoke: $t: FAILED replaying the corpus/regressions; see $log" >&2
			tail -n 30 "$log" >&2
			fail=1
			continue
		fi
	fi

	# 2. fuzz for $secs seconds from the corpus
	dict=
	[ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
	mkdir -p "$corpus"
	# shellcheck disable=SC2086
	if ! "$bin" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 -max_len=4096 \
		-print_final_stats=1 $dict -artifact_prefix="$art/" "$work" "$corpus" >"$log" 2>&1; then
		echo "smoke: $t: FAILED while fuzzing; see $log" >&2
		grep -E 'ERROR|invariant failed|SUMMARY|Test unit written' "$log" >&2 || tail -n 30 "$log" >&2
		fail=1
		continue
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1)
	echo "smoke: $t: ok (${runs:-?} runs in ${secs}s, $cov)"
done
exit $fail
