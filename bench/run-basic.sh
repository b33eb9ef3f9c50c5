#!/usr/bin/env bash
# run-basic.sh: kept for compatibility; the same as
# `bench/run-scenario.sh basic [jdbench options...]`.
exec "$(dirname "$0")/run-scenario.sh" basic "$@"
