#!/usr/bin/env python3
"""fanout-wait.py: one timed fan-out, for bench/pg-scale.sh.

    fanout-wait.py CONTROL GROUP N JOB

CreateJob JOB (SNAPSHOT) over thing group GROUP on jobsd's control listener
CONTROL (HOST:PORT, auth off), then DescribeJob every 10 ms on the same
connection until numberOfQueuedThings reaches N (at most 300 s). Prints one
line: `create_ms=... queued_s=... polls=...` (queued_s: from sending CreateJob
to the DescribeJob answer that counted N), plus ` failed=1` if N was never
reached. Exit status 0, or 1 (CreateJob refused, or N not reached).
"""
import http.client
import json
import sys
import time

WAIT_S = 300.0


def main():
    addr, group, n, job = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    host, port = addr.rsplit(':', 1)
    arn = 'arn:aws:iot:us-east-1:123456789012:thinggroup/' + group
    c = http.client.HTTPConnection(host, int(port), timeout=120)
    body = json.dumps({'targets': [arn], 'document': '{"op":"scale"}',
                       'targetSelection': 'SNAPSHOT'})
    t0 = time.monotonic()
    c.request('PUT', '/jobs/' + job, body, {'Content-Type': 'application/json'})
    resp = c.getresponse()
    text = resp.read()
    t1 = time.monotonic()
    if resp.status != 200:
        print('fanout-wait.py: CreateJob: %d %s' % (resp.status, text[:300]), file=sys.stderr)
        return 1
    queued, polls = 0, 0
    while True:
        c.request('GET', '/jobs/' + job)
        resp = c.getresponse()
        data = resp.read()
        polls += 1
        if resp.status == 200:
            details = json.loads(data)['job'].get('jobProcessDetails', {})
            queued = details.get('numberOfQueuedThings', 0)
        now = time.monotonic()
        if queued >= n or now - t0 > WAIT_S:
            break
        time.sleep(0.01)
    print('create_ms=%.1f queued_s=%.3f polls=%d%s' %
          ((t1 - t0) * 1e3, now - t0, polls, '' if queued >= n else ' failed=1'))
    return 0 if queued >= n else 1


if __name__ == '__main__':
    sys.exit(main())
