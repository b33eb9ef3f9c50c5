"""Shared helpers for the hostile-input, crash and fault tests (test_97/98/99).

    exchange(hostport, data, ...)   send raw bytes on a fresh TCP connection, collect what
                                    comes back (responses, closed, or still open)
    build_request(...)              an HTTP/1.x request as bytes, every byte under our control
    parse_responses(buf)            split a byte stream into HTTP responses
    is_aws_error(resp)              a 4xx with x-amzn-ErrorType and a {"message": str} body
    snapshot(jobsd)                 every thing, group, job, execution and template, as data
    JobsdPlus                       harness.Jobsd that can start jobsd with resource limits,
                                    ignored signals and extra environment (no harness edits)

Only the python standard library and boto3 (through harness) are used.
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import all_pages, clean  # noqa: E402

ARN_PREFIX = 'arn:aws:iot:%s:%s:' % (harness.REGION, harness.ACCOUNT)


# -- raw HTTP ---------------------------------------------------------------------------

class Resp:
    """One parsed HTTP response."""

    def __init__(self, version, status, reason, headers, body):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers      # lower-case name -> value (last one wins)
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return 'Resp(%s %s, %r, %r)' % (self.status, self.reason,
                                       {k: v for k, v in self.headers.items()
                                        if k in ('x-amzn-errortype', 'content-length',
                                                 'connection')},
                                       self.body[:300])


class Outcome:
    """What a raw exchange produced.

    responses  every complete response parsed from the stream, in order
    closed     the server closed (or reset) the connection
    timed_out  the connection was still open, with nothing more to read, at the deadline
    leftover   bytes after the last complete response
    """

    def __init__(self):
        self.responses = []
        self.closed = False
        self.reset = False
        self.timed_out = False
        self.leftover = b''
        self.raw = b''

    @property
    def first(self):
        return self.responses[0] if self.responses else None

    def __repr__(self):
        return 'Outcome(responses=%r, closed=%s, reset=%s, timed_out=%s, leftover=%r)' % (
            self.responses, self.closed, self.reset, self.timed_out, self.leftover[:200])


def hostport(url):
    return harness._hostport(url)


def build_request(method, path, body=None, headers=None, version='HTTP/1.1', host=True,
                  content_length=None, close=True):
    """Bytes of one request. method/path/version may be str or bytes and are sent verbatim.
    body: bytes, str, dict/list (JSON) or None. content_length: None = the true length when
    there is a body, False = no header, anything else = sent as given (a lie, if you like).
    headers: list of (name, value) pairs (str or bytes), sent in order, duplicates allowed."""

    def b(x):
        return x if isinstance(x, bytes) else str(x).encode('utf-8')

    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode('utf-8')
    elif isinstance(body, str):
        body = body.encode('utf-8')
    lines = [b(method) + b' ' + b(path) + (b' ' + b(version) if version else b'')]
    if host:
        lines.append(b'Host: 127.0.0.1')
    for k, v in headers or ():
        lines.append(b(k) + b': ' + b(v))
    if content_length is None:
        if body is not None:
            lines.append(b'Content-Length: %d' % len(body))
        elif method in ('POST', 'PUT', 'PATCH', b'POST', b'PUT', b'PATCH'):
            lines.append(b'Content-Length: 0')
    elif content_length is not False:
        lines.append(b'Content-Length: ' + b(content_length))
    if close:
        lines.append(b'Connection: close')
    return b'\r\n'.join(lines) + b'\r\n\r\n' + (body or b'')


def parse_responses(buf, head=False):
    """Parse as many complete HTTP/1.x responses as buf holds. Returns (list, leftover)."""
    out = []
    while True:
        end = buf.find(b'\r\n\r\n')
        if end < 0 or not buf.startswith(b'HTTP/'):
            return out, buf
        head_lines = buf[:end].decode('latin-1').split('\r\n')
        parts = head_lines[0].split(' ', 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            return out, buf
        hdrs = {}
        for line in head_lines[1:]:
            if ':' in line:
                k, v = line.split(':', 1)
                hdrs[k.strip().lower()] = v.strip()
        n = 0 if head else int(hdrs.get('content-length', '0') or 0)
        if len(buf) < end + 4 + n:
            return out, buf
        body = buf[end + 4:end + 4 + n]
        out.append(Resp(parts[0], status, parts[2] if len(parts) > 2 else '', hdrs, body))
        buf = buf[end + 4 + n:]


def exchange(hp, data, timeout=5.0, half_close=False, expect=None, head=False,
             chunks=None, chunk_delay=0.0):
    """Open a connection to hp=(host, port), send data (or the list chunks, with
    chunk_delay seconds between them), optionally shut down our write side, and read until
    the server closes, until `expect` responses have been parsed, or until timeout seconds
    have passed. Never blocks longer than about timeout (+ the chunk delays)."""
    o = Outcome()
    s = socket.create_connection(hp, timeout=timeout)
    try:
        try:
            if chunks is None:
                s.sendall(data)
            else:
                for i, c in enumerate(chunks):
                    if i and chunk_delay:
                        time.sleep(chunk_delay)
                    s.sendall(c)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered (or gave up) before we finished sending: read what it said.
            pass
        deadline = time.monotonic() + timeout
        buf = b''
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                o.timed_out = True
                break
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except socket.timeout:
                o.timed_out = True
                break
            except ConnectionResetError:
                o.closed = o.reset = True
                break
            if not d:
                o.closed = True
                break
            buf += d
            if expect is not None:
                got, _ = parse_responses(buf, head)
                if len(got) >= expect:
                    break
        o.raw = buf
        o.responses, o.leftover = parse_responses(buf, head)
        return o
    finally:
        s.close()


def aws_error_problem(resp, statuses=range(400, 500)):
    """None when resp is an AWS rest-json error in `statuses` (x-amzn-ErrorType, JSON body
    with a string message); otherwise a description of what is wrong."""
    if resp is None:
        return 'no response'
    if resp.status not in statuses:
        return 'status %d not in the expected range' % resp.status
    et = resp.headers.get('x-amzn-errortype')
    if not et:
        return 'no x-amzn-ErrorType header'
    if 'x-amzn-requestid' not in resp.headers:
        return 'no x-amzn-RequestId header'
    if resp.body:
        try:
            doc = json.loads(resp.body)
        except ValueError:
            return 'body is not JSON: %r' % resp.body[:200]
        if not isinstance(doc, dict) or not isinstance(doc.get('message'), str):
            return 'body has no string message: %r' % resp.body[:200]
    return None


# -- store snapshot ---------------------------------------------------------------------

def snapshot(jobsd, data_plane=True):
    """Everything observable about the store, through the public API, as plain data."""
    iot = jobsd.iot()
    s = {}
    things = all_pages(iot.list_things, 'things', maxResults=250)
    s['things'] = things
    for t in things:
        n = t['thingName']
        s['thing', n] = iot.describe_thing(thingName=n)
        s['for_thing', n] = all_pages(iot.list_job_executions_for_thing, 'executionSummaries',
                                      thingName=n, maxResults=250)
        if data_plane:
            s['pending', n] = jobsd.jobs_data().get_pending_job_executions(thingName=n)
    groups = all_pages(iot.list_thing_groups, 'thingGroups', maxResults=250)
    s['groups'] = groups
    for g in groups:
        n = g['groupName']
        s['group', n] = iot.describe_thing_group(thingGroupName=n)
        s['members', n] = all_pages(iot.list_things_in_thing_group, 'things',
                                    thingGroupName=n, maxResults=250)
    jobs = all_pages(iot.list_jobs, 'jobs', maxResults=250)
    s['jobs'] = jobs
    for j in jobs:
        jid = j['jobId']
        s['job', jid] = iot.describe_job(jobId=jid)
        s['doc', jid] = iot.get_job_document(jobId=jid)
        execs = all_pages(iot.list_job_executions_for_job, 'executionSummaries', jobId=jid,
                          maxResults=250)
        s['execs', jid] = execs
        for e in execs:
            t = e.get('thingName') or e['thingArn'].rsplit('/', 1)[1]
            num = e['jobExecutionSummary']['executionNumber']
            s['exec', jid, t, num] = iot.describe_job_execution(jobId=jid, thingName=t,
                                                                executionNumber=num)
    s['templates'] = all_pages(iot.list_job_templates, 'jobTemplates', maxResults=250)
    for tp in s['templates']:
        s['template', tp['jobTemplateId']] = iot.describe_job_template(
            jobTemplateId=tp['jobTemplateId'])
    return clean(s)


def diff_snapshots(a, b, limit=10):
    """Short human-readable differences between two snapshots ('' when equal)."""
    out = []
    for k in sorted(set(a) | set(b), key=repr):
        if a.get(k) != b.get(k):
            out.append('%r:\n  before %r\n  after  %r' % (k, a.get(k), b.get(k)))
            if len(out) >= limit:
                out.append('...')
                break
    return '\n'.join(out)


# -- a jobsd with limits ----------------------------------------------------------------

class JobsdPlus(harness.Jobsd):
    """harness.Jobsd, but the process can start with resource limits, ignored signals and
    extra environment. A tiny python wrapper applies them and exec()s jobsd, so the pid the
    harness holds (and signals) is jobsd itself."""

    def __init__(self, *a, rlimits=None, ignore_signals=(), env=None, **kw):
        super().__init__(*a, **kw)
        self.rlimits = dict(rlimits or {})      # resource.RLIMIT_* -> (soft, hard)
        self.ignore_signals = tuple(ignore_signals)
        self.env = dict(env or {})

    def command(self):
        args = super().command()
        if not (self.rlimits or self.ignore_signals or self.env):
            return args
        prog = ('import os, resource, signal, sys\n'
                'for k, v in %r.items(): resource.setrlimit(k, v)\n'
                'for s in %r: signal.signal(s, signal.SIG_IGN)\n'
                'env = dict(os.environ); env.update(%r)\n'
                'os.execve(sys.argv[1], sys.argv[1:], env)\n'
                % ({int(k): tuple(v) for k, v in self.rlimits.items()},
                   tuple(int(s) for s in self.ignore_signals), self.env))
        return [sys.executable, '-c', prog] + args
