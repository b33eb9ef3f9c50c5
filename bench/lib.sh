# shellcheck shell=bash
# bench/lib.sh: shell helpers shared by the bench scripts (sourced,
# bash). Each script keeps its own state (tmp, pid, broker) and cleanup trap.

# stop_pid PID: SIGTERM, then SIGKILL after 10 s; nothing if it is not running.
stop_pid() {
	local p=$1
	if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p" 2>/dev/null || true
		(sleep 10 && kill -KILL "$p" 2>/dev/null) &
		local killer=$!
		wait "$p" 2>/dev/null || true
		kill "$killer" 2>/dev/null || true
		wait "$killer" 2>/dev/null || true
	fi
}

# free_port: a TCP port free on 127.0.0.1 now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_broker NAME DIR PORT: write the shipped broker config into DIR
# (scripts/broker.sh, which also writes DIR/jobsd.password), start mosquitto
# on 127.0.0.1:PORT with its log in DIR.log, set $broker to its pid, and wait
# up to 10 s until it listens. 0, or 1 with the log's tail on stderr (NAME
# says who is speaking).
start_broker() {
	local name=$1 dir=$2 port=$3
	# shellcheck disable=SC2154 # root: the caller's
	"$root/scripts/broker.sh" "$dir" "$port" >/dev/null
	mosquitto -c "$dir/mosquitto.conf" >"$dir.log" 2>&1 &
	# shellcheck disable=SC2034 # broker: the caller's
	broker=$!
	for _ in $(seq 1 100); do
		if (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "$name: mosquitto did not listen on 127.0.0.1:$port; its log:" >&2
	tail -n 20 "$dir.log" >&2 || true
	return 1
}

# start_jobsd NAME WHO TIMEOUT ARGS...: start $JOBSD ARGS... with its stdout
# on a fifo in $tmp and its stderr in $tmp/jobsd-NAME.log, wait up to TIMEOUT
# seconds for its "jobsd ready" line, then set pid, drain (the reader that
# keeps emptying its stdout), control and data (the listeners' addresses).
# 0, or 1 with the log's tail on stderr (WHO says who is speaking).
# shellcheck disable=SC2034 # pid, drain, control, data: the caller's
start_jobsd() {
	local name=$1 who=$2 timeout=$3 line re='^jobsd ready control=([^ ]+) data=([^ ]+)$'
	shift 3
	# shellcheck disable=SC2154 # tmp: the caller's
	rm -f "$tmp/out-$name"
	mkfifo "$tmp/out-$name"
	"$JOBSD" "$@" >"$tmp/out-$name" 2>"$tmp/jobsd-$name.log" &
	pid=$!
	exec 3<"$tmp/out-$name"
	if ! read -r -t "$timeout" line <&3 || [[ ! $line =~ $re ]]; then
		exec 3<&-
		echo "$who: jobsd did not come up ($name); its log:" >&2
		tail -n 20 "$tmp/jobsd-$name.log" >&2
		return 1
	fi
	cat <&3 >/dev/null &
	drain=$!
	exec 3<&-
	control=${BASH_REMATCH[1]}
	data=${BASH_REMATCH[2]}
}
