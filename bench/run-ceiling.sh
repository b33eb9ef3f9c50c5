#!/usr/bin/env bash
# run-ceiling.sh: durable writes against the machine's limits (issue 15,
# item 6), in one run:
#   1. bench/fsync_ceiling in the directory the store will live in (the same
#      file system as run-scenario.sh's store): the fdatasync rate with one
#      and C threads, and the group-commit ceiling of jobsd's SQLite store
#      for one-row write transactions at C concurrent writers;
#   2. run-scenario.sh device-http with C connections (CreateThing in its
#      set-up, then StartNext and UpdateJobExecution), and control-read's
#      set-up for CreateJob (400 jobs of 100 thing targets each);
#   3. one line per durable write operation: its rate as a fraction of the
#      ceiling measured in step 1;
#   4. jobsd's cost per request in the device-http run (its set-up included:
#      every request of that run is a durable write): CPU time and
#      voluntary/involuntary context switches (getrusage of the jobsd process,
#      through a small wrapper that forwards signals), one op=cpu line.
#
#   bench/run-ceiling.sh [--connections C] [--things N] [--jobs J] [--seconds S]
#
# Defaults: C=64, N=2000, J=2, S=3. Exit status: the scenario's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
CEIL=${CEIL:-$root/build/bench/fsync_ceiling}
conns=64 things=2000 jobs=2 secs=3
while [[ $# -gt 0 ]]; do
	case $1 in
	--connections) conns=$2; shift 2 ;;
	--things) things=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	*) echo "run-ceiling.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ -x $CEIL ]] || { echo "run-ceiling.sh: $CEIL not built" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/jdceiling.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$CEIL" "$dir" "$conns" "$secs" | tee "$dir/ceiling.out"
rc=0
# jobsd under a wrapper that reports its rusage when it exits (step 4)
JOBSD=${JOBSD:-$root/build/jobsd}
cat >"$dir/jobsd-rusage" <<WRAP
#!/usr/bin/env python3
import ctypes, os, signal, subprocess, sys
# the child dies with the wrapper (a SIGKILL of the wrapper must not leave it)
libc = ctypes.CDLL(None)
p = subprocess.Popen(["$JOBSD"] + sys.argv[1:], preexec_fn=lambda: libc.prctl(1, signal.SIGKILL))
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, lambda n, f: p.send_signal(n))
while True:
    try:
        _, status, ru = os.wait4(p.pid, 0)
        break
    except InterruptedError:
        continue
with open("$dir/rusage", "w") as f:
    f.write("%f %d %d\\n" % (ru.ru_utime + ru.ru_stime, ru.ru_nvcsw, ru.ru_nivcsw))
sys.exit(os.waitstatus_to_exitcode(status))
WRAP
chmod +x "$dir/jobsd-rusage"
JOBSD="$dir/jobsd-rusage" "$here/run-scenario.sh" device-http --things "$things" --jobs "$jobs" --connections "$conns" \
	--requests 0 --duration 10 2>"$dir/scenario.err" | tee "$dir/scenario.out" || rc=$?
# CreateJob at C connections: control-read's set-up (J2 jobs of 100 thing targets each)
"$here/run-scenario.sh" control-read --things "$things" --jobs 400 --connections "$conns" \
	--requests 200 2>>"$dir/scenario.err" | grep -E '^op=CreateJob ' | tee -a "$dir/scenario.out" || rc=$?
ceiling=$(sed -n 's/^op=sqlite-group-commit .* rate=\([0-9.]*\).*/\1/p' "$dir/ceiling.out")
awk -v c="$ceiling" '
	# the first figure of each durable write operation (the set-up phases name theirs
	# CreateThing and CreateJob; the device phases StartNext..., UpdateJobExecution...)
	/^op=/ {
		op = $1; sub(/^op=/, "", op)
		if (match($0, /rps=[0-9.]+/)) rps = substr($0, RSTART + 4, RLENGTH - 4); else next
		if (op ~ /^(CreateThing|CreateJob|StartNext.*|UpdateJobExecution.*)$/ && c > 0)
			printf "op=%s rps=%s ceiling=%s fraction=%.2f\n", op, rps, c, rps / c
	}' "$dir/scenario.out"
if [[ -s $dir/rusage ]]; then
	read -r cpu_s vcsw ivcsw <"$dir/rusage"
	awk -v cpu="$cpu_s" -v v="$vcsw" -v iv="$ivcsw" '
		/^op=/ && $1 != "op=DeviceExecutionsHttp" && match($0, /requests=[0-9]+/) {
			n += substr($0, RSTART + 9, RLENGTH - 9)
		}
		END {
			if (n > 0)
				printf "op=cpu scenario=device-http requests=%d jobsd_cpu_s=%.2f us_per_req=%.1f vcsw_per_req=%.2f ivcsw_per_req=%.2f\n", n, cpu, cpu * 1e6 / n, v / n, iv / n
		}' <(sed -n '1,/^op=jobsd /p' "$dir/scenario.out")
fi
exit "$rc"
