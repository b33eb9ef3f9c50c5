#!/usr/bin/env python3
"""soak.py: the legitimate load, the monitor, the attacks and the final checks of
bench/soak.sh (issue 13 item 9). soak.sh starts Mosquitto and jobsd and runs this;
run alone, it needs a jobsd (and a broker) that are already up.

Legitimate clients connect from --legit-source (127.0.0.2), so a per-address limit that
the attackers (127.0.0.1, .3, .4) run into does not count them:
  - control readers (boto3 iot): DescribeThing, DescribeJob, ListJobs, one request at a
    time, at most --read-rate requests/s each;
  - a control writer (boto3 iot): CreateThing soak-c<N>, and every 5th thing a CreateJob
    soak-cj<N> over it; each 200 is remembered;
  - HTTP(S) devices d0..: UpdateJobExecution IN_PROGRESS with statusDetails {"seq": n}
    on their own execution (device certificate over HTTPS), GetPendingJobExecutions;
  - MQTT devices m0..: the same update over MQTT ($aws/things/<t>/jobs/<j>/update,
    answered on .../update/accepted).
Every second the monitor reads jobsd's VmRSS and /proc/PID/fd; every 10 s it prints one
line. At the end it checks that every acknowledged write is there (see check_writes) and
applies the pass rules (see verdict). Exit status 0 pass, 1 fail, 2 set-up failure.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))

import boto3  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402
import urllib3.util.connection  # noqa: E402

ACCOUNT, REGION = '123456789012', 'us-east-1'
MiB = 1024 * 1024


def thing_arn(t):
    return 'arn:aws:iot:%s:%s:thing/%s' % (REGION, ACCOUNT, t)


# ---- legitimate clients connect from their own loopback address ------------------------

LEGIT_SOURCE = '127.0.0.2'
_orig_create_connection = urllib3.util.connection.create_connection


def _create_connection(address, timeout=None, source_address=None, socket_options=None):
    return _orig_create_connection(address, timeout, source_address or (LEGIT_SOURCE, 0),
                                   socket_options)


urllib3.util.connection.create_connection = _create_connection


class Stats:
    """Latencies and errors of the legitimate requests, per 10 s interval and overall."""

    def __init__(self):
        self.lock = threading.Lock()
        self.all_lat = {'http': [], 'mqtt': []}
        self.win_lat = {'http': [], 'mqtt': []}
        self.req = {'http': 0, 'mqtt': 0}
        self.err = {'http': 0, 'mqtt': 0}
        self.win_err = {'http': 0, 'mqtt': 0}
        self.first_errors = []

    def ok(self, kind, seconds):
        with self.lock:
            self.req[kind] += 1
            self.all_lat[kind].append(seconds)
            self.win_lat[kind].append(seconds)

    def fail(self, kind, what):
        with self.lock:
            self.req[kind] += 1
            self.err[kind] += 1
            self.win_err[kind] += 1
            if len(self.first_errors) < 10:
                self.first_errors.append('%s: %s' % (kind, str(what)[:200]))

    def window(self):
        with self.lock:
            w = {k: (p99(v), self.win_err[k]) for k, v in self.win_lat.items()}
            self.win_lat = {'http': [], 'mqtt': []}
            self.win_err = {'http': 0, 'mqtt': 0}
            return w


def p99(lat):
    if not lat:
        return 0.0
    s = sorted(lat)
    return s[max(0, -(-len(s) * 99 // 100) - 1)] * 1000.0


# ---- clients ----------------------------------------------------------------------------

class Ctx:
    def __init__(self, args):
        self.args = args
        self.scheme = 'https' if args.ca else 'http'
        self.stop = threading.Event()
        self.stats = Stats()
        self.created_things = []
        self.created_jobs = []
        self.lock = threading.Lock()
        self.dev = {}   # thing -> {'job', 'sent', 'acked'}

    def iot(self):
        cfg = botocore.config.Config(retries={'total_max_attempts': 1}, connect_timeout=10,
                                     read_timeout=30)
        kw = {'verify': self.args.ca} if self.args.ca else {}
        return boto3.session.Session().client(
            'iot', endpoint_url='%s://%s' % (self.scheme, self.args.control),
            region_name=REGION, aws_access_key_id=self.args.key,
            aws_secret_access_key=self.args.secret, config=cfg, **kw)

    def device_conn(self, thing):
        host, port = self.args.data.rsplit(':', 1)
        if self.args.ca:
            ctx = ssl.create_default_context(cafile=self.args.ca)
            base = os.path.join(self.args.certs, thing)
            ctx.load_cert_chain(base + '.crt', base + '.key')
            return http.client.HTTPSConnection(host, int(port), timeout=30, context=ctx,
                                               source_address=(LEGIT_SOURCE, 0))
        return http.client.HTTPConnection(host, int(port), timeout=30,
                                          source_address=(LEGIT_SOURCE, 0))


def paced(ctx, rate, fn):
    """Call fn() at most `rate` times a second until stop."""
    gap = 1.0 / rate
    while not ctx.stop.is_set():
        t0 = time.monotonic()
        fn()
        left = gap - (time.monotonic() - t0)
        if left > 0:
            ctx.stop.wait(left)


def timed(ctx, kind, fn):
    t0 = time.monotonic()
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001  every failure of a legit request is an error
        ctx.stats.fail(kind, '%s: %s' % (type(e).__name__, e))
        return None
    ctx.stats.ok(kind, time.monotonic() - t0)
    return r


def control_reader(ctx, idx):
    iot = ctx.iot()
    rnd = random.Random(idx)
    things = list(ctx.dev)
    jobs = [d['job'] for d in ctx.dev.values()]

    def one():
        op = rnd.randrange(3)
        if op == 0:
            timed(ctx, 'http', lambda: iot.describe_thing(thingName=rnd.choice(things)))
        elif op == 1:
            timed(ctx, 'http', lambda: iot.describe_job(jobId=rnd.choice(jobs)))
        else:
            timed(ctx, 'http', lambda: iot.list_jobs(maxResults=10))
    paced(ctx, ctx.args.read_rate, one)


def control_writer(ctx):
    iot = ctx.iot()
    n = [0]

    def one():
        i = n[0]
        n[0] += 1
        name = 'soak-c%d' % i
        if timed(ctx, 'http', lambda: iot.create_thing(thingName=name)) is not None:
            with ctx.lock:
                ctx.created_things.append(name)
            if i % 5 == 0:
                jid = 'soak-cj%d' % i
                if timed(ctx, 'http', lambda: iot.create_job(
                        jobId=jid, targets=[thing_arn(name)],
                        document='{"op":"soak"}')) is not None:
                    with ctx.lock:
                        ctx.created_jobs.append(jid)
    paced(ctx, ctx.args.write_rate, one)


def http_device(ctx, thing):
    d = ctx.dev[thing]
    conn = [None]

    def request(method, path, body):
        if conn[0] is None:
            conn[0] = ctx.device_conn(thing)
        try:
            conn[0].request(method, path, body=body,
                            headers={'Content-Type': 'application/json'} if body else {})
            r = conn[0].getresponse()
            data = r.read()
        except Exception:
            conn[0].close()
            conn[0] = None
            raise
        if r.status != 200:
            conn[0].close()
            conn[0] = None
            raise RuntimeError('HTTP %d %s' % (r.status, data[:200]))
        return data

    k = [0]

    def one():
        k[0] += 1
        if k[0] % 4 == 0:
            timed(ctx, 'http', lambda: request('GET', '/things/%s/jobs' % thing, None))
            return
        seq = d['sent'] + 1
        d['sent'] = seq
        body = json.dumps({'status': 'IN_PROGRESS', 'statusDetails': {'seq': str(seq)}})
        if timed(ctx, 'http', lambda: request('POST', '/things/%s/jobs/%s' % (thing, d['job']),
                                              body)) is not None:
            d['acked'] = seq
    paced(ctx, ctx.args.device_rate, one)
    if conn[0] is not None:
        conn[0].close()


def mqtt_device(ctx, thing):
    import mqttc
    d = ctx.dev[thing]
    port = ctx.args.mqtt_port
    c = None
    base = '$aws/things/%s/jobs/%s/update' % (thing, d['job'])

    def connect():
        cl = mqttc.MqttClient(thing, '127.0.0.1', port, keepalive=30)
        cl.connect(timeout=5)
        cl.subscribe('$aws/things/%s/jobs/#' % thing, timeout=5)
        return cl

    def update():
        nonlocal c
        if c is None:
            c = connect()
        seq = d['sent'] + 1
        d['sent'] = seq
        tok = 'u%d' % seq
        c.publish(base, {'status': 'IN_PROGRESS', 'statusDetails': {'seq': str(seq)},
                         'clientToken': tok}, qos=1, timeout=5)
        deadline = time.monotonic() + 5
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise mqttc.MqttError('no answer to update %s' % tok)
            topic, payload = c.expect(base + '/+', timeout=left)
            try:
                body = json.loads(payload)
            except ValueError:
                continue
            if body.get('clientToken') != tok:
                continue
            if topic.endswith('/rejected'):
                raise mqttc.MqttError('rejected: %s' % payload[:200])
            d['acked'] = seq
            c.clear()   # notifications we do not read
            return

    def one():
        nonlocal c
        if timed(ctx, 'mqtt', update) is None and c is not None:
            c.disconnect()   # start again: a lost session loses its subscription
            c = None
    paced(ctx, ctx.args.mqtt_rate, one)
    if c is not None:
        c.disconnect()


# ---- jobsd's resources ------------------------------------------------------------------

def rss_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fd_count(pid):
    try:
        return len(os.listdir('/proc/%d/fd' % pid))
    except OSError:
        return None


# ---- attacks ----------------------------------------------------------------------------

def attack_cmds(args, seconds, client_id):
    base = [sys.executable, os.path.join(HERE, 'soak_attack.py')]
    common = ['--seconds', str(seconds), '--control', args.control, '--data', args.data,
              '--mqtt-port', str(args.mqtt_port)]
    if args.ca:
        common += ['--ca', args.ca]
    cmds = {
        'takeover': ['takeover', '--client-id', client_id, '--victim', 'm0', '--interval', '0.5'],
        'mqtt-flood': ['mqtt-flood', '--thing', 'flooder', '--burst', str(args.flood_burst)],
        'slow': ['slow', '--source', '127.0.0.1', '--sockets', str(args.slow_sockets),
                 '--interval', '4'],
        'bodies': ['bodies', '--source', '127.0.0.3', '--sockets', str(args.body_sockets),
                   '--hold', '8'],
        'rig': ['rig', '--source', '127.0.0.4', '--key', args.key, '--secret', args.secret]
               + (['--cert', os.path.join(args.certs, 'rigprobe')] if args.ca else []),
    }
    out = {}
    for name in args.attacks:
        if name in cmds:
            out[name] = base + cmds[name][:1] + common + cmds[name][1:]
    return out


def run_attacks(cmds, logdir):
    procs = {}
    for name, cmd in cmds.items():
        err = open(os.path.join(logdir, 'attack-%s.err' % name), 'wb')
        procs[name] = (subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err,
                                        stdin=subprocess.DEVNULL), err)
    return procs


def collect_attacks(procs, grace):
    out = {}
    deadline = time.monotonic() + grace
    for name, (p, err) in procs.items():
        try:
            stdout, _ = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.terminate()
            try:
                stdout, _ = p.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                stdout, _ = p.communicate()
        err.close()
        try:
            out[name] = json.loads(stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            out[name] = {'attack': name, 'exit': p.returncode, 'report': 'none'}
    return out


def stop_attacks(procs):
    for p, err in procs.values():
        if p.poll() is None:
            p.terminate()
    for p, err in procs.values():
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---- checks -----------------------------------------------------------------------------

def all_pages(method, key, **kw):
    out, token = [], None
    while True:
        args = dict(kw)
        if token:
            args['nextToken'] = token
        r = method(**args)
        out.extend(r[key])
        token = r.get('nextToken')
        if not token:
            return out


def check_writes(ctx, retained):
    """Every write answered 200 (or update/accepted) must be found: the created things
    and jobs in ListThings/ListJobs, each device's execution with a statusDetails seq
    between its last acknowledged and its last sent update. The retained start-next of
    the retainer device must not have started its job (still QUEUED)."""
    iot = ctx.iot()
    lost, findings = [], []
    things = {t['thingName'] for t in all_pages(iot.list_things, 'things', maxResults=250)}
    jobs = {j['jobId'] for j in all_pages(iot.list_jobs, 'jobs', maxResults=250)}
    lost += ['thing %s' % t for t in ctx.created_things if t not in things]
    lost += ['job %s' % j for j in ctx.created_jobs if j not in jobs]
    for thing, d in ctx.dev.items():
        try:
            ex = iot.describe_job_execution(jobId=d['job'], thingName=thing)['execution']
        except botocore.exceptions.ClientError as e:
            lost.append('execution %s/%s: %s' % (thing, d['job'], e))
            continue
        seq = int(ex.get('statusDetails', {}).get('detailsMap', {}).get('seq', '0'))
        if d['acked'] and not (d['acked'] <= seq <= d['sent']):
            lost.append('execution %s/%s: seq %d, acknowledged %d, sent %d'
                        % (thing, d['job'], seq, d['acked'], d['sent']))
    if retained:
        try:
            st = iot.describe_job_execution(jobId='soak-retain', thingName='retainer')[
                'execution']['status']
            if st != 'QUEUED':
                findings.append('retained start-next replayed: retainer execution is %s' % st)
        except botocore.exceptions.ClientError as e:
            findings.append('retainer execution: %s' % e)
    acked = (len(ctx.created_things) + len(ctx.created_jobs)
             + sum(d['acked'] for d in ctx.dev.values()))
    return acked, lost, findings


def store_kb(admin, token):
    """jobsd_store_memory_bytes from the admin listener's /metrics, in kB: what SQLite's
    allocator holds (page caches, bounded by cache_size per connection, schemas,
    statements). None without an admin listener or when the scrape fails."""
    if not admin:
        return None
    host, _, port = admin.rpartition(':')
    try:
        c = http.client.HTTPConnection(host, int(port), timeout=5)
        c.request('GET', '/metrics', headers={'Authorization': 'Bearer ' + token})
        r = c.getresponse()
        body = r.read().decode('utf-8', 'replace')
        c.close()
    except (OSError, http.client.HTTPException):
        return None
    if r.status != 200:
        return None
    for line in body.splitlines():
        if line.startswith('jobsd_store_memory_bytes '):
            return int(float(line.split()[1])) // 1024
    return None


def rss_rule(samples, seconds, warmup):
    """RSS after warm-up does not grow: the largest VmRSS of the last window is at most
    10% (or 2 MiB, whichever is larger) above the largest of the first window after
    warm-up. window = min(60 s, (duration - warm-up) / 2)."""
    win = min(60.0, (seconds - warmup) / 2.0)
    first = [r for t, r, _ in samples if warmup <= t < warmup + win]
    last = [r for t, r, _ in samples if t >= seconds - win]
    if not first or not last:
        return True, 'too few samples', 0, 0
    a, b = max(first), max(last)
    limit = max(a * 1.10, a + 2048)
    return b <= limit, 'first-window max %d kB, last-window max %d kB, limit %d kB' % (
        a, b, limit), a, b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--control', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--mqtt-port', type=int, required=True)
    ap.add_argument('--pid', type=int, required=True, help='jobsd')
    ap.add_argument('--seconds', type=float, required=True)
    ap.add_argument('--admin', help="jobsd's admin listener HOST:PORT (for /metrics)")
    ap.add_argument('--admin-token-file')
    ap.add_argument('--ca')
    ap.add_argument('--certs', help='device certificates <thing>.crt/.key')
    ap.add_argument('--key', required=True)
    ap.add_argument('--secret', required=True)
    ap.add_argument('--client-id', help="jobsd's MQTT client id (default jobsd-HOST-PID)")
    ap.add_argument('--logdir', default='.')
    ap.add_argument('--attacks', default='takeover,mqtt-flood,slow,bodies,retained,rig')
    ap.add_argument('--http-devices', type=int, default=4)
    ap.add_argument('--mqtt-devices', type=int, default=4)
    ap.add_argument('--readers', type=int, default=2)
    ap.add_argument('--read-rate', type=float, default=40)
    ap.add_argument('--write-rate', type=float, default=10)
    ap.add_argument('--device-rate', type=float, default=10)
    ap.add_argument('--mqtt-rate', type=float, default=5)
    ap.add_argument('--slow-sockets', type=int, default=1500)
    ap.add_argument('--body-sockets', type=int, default=300)
    ap.add_argument('--flood-burst', type=int, default=1000)
    ap.add_argument('--warmup', type=float, help='seconds (default min(60, 25%% of the run))')
    ap.add_argument('--fd-slack', type=int, default=16)
    ap.add_argument('--max-error-rate', type=float, default=0.01)
    ap.add_argument('--rss-abort-mb', type=int, default=1536)
    args = ap.parse_args()
    args.attacks = [a for a in args.attacks.split(',') if a]
    pid = args.pid
    seconds = args.seconds
    warmup = args.warmup if args.warmup is not None else min(60.0, seconds / 4)
    client_id = args.client_id or 'jobsd-%s-%d' % (socket.gethostname(), pid)
    ctx = Ctx(args)

    # ---- set-up: things and one job per device
    iot = ctx.iot()
    devices = ['d%d' % i for i in range(args.http_devices)]
    mdevices = ['m%d' % i for i in range(args.mqtt_devices)]
    try:
        for t in devices + mdevices + ['flooder', 'retainer']:
            iot.create_thing(thingName=t)
        for t in devices + mdevices:
            job = 'soak-%s' % t
            iot.create_job(jobId=job, targets=[thing_arn(t)], document='{"op":"soak"}')
            ctx.dev[t] = {'job': job, 'sent': 0, 'acked': 0, 'mqtt': t in mdevices}
        if 'retained' in args.attacks:
            r = subprocess.run([sys.executable, os.path.join(HERE, 'soak_attack.py'), 'retained',
                                '--seconds', '15', '--mqtt-port', str(args.mqtt_port),
                                '--thing', 'retainer'], capture_output=True, timeout=30)
            if r.returncode != 0:
                print('soak: retained attack failed: %s' % r.stderr.decode()[-500:],
                      file=sys.stderr)
                return 2
            iot.create_job(jobId='soak-retain', targets=[thing_arn('retainer')],
                           document='{"op":"soak"}')
    except Exception as e:  # noqa: BLE001
        print('soak: set-up failed: %s' % e, file=sys.stderr)
        return 2
    base_fds = fd_count(pid)
    base_rss = rss_kb(pid)
    print('# soak: %d s, warm-up %d s; jobsd pid %d, rss %d kB, fds %d at start; attacks: %s'
          % (seconds, warmup, pid, base_rss, base_fds, ' '.join(args.attacks)), flush=True)
    print('# %7s %9s %6s %9s %8s %8s %9s %8s %8s %9s' % (
        'elapsed', 'rss_kb', 'fds', 'requests', 'http_err', 'http_p99', 'mqtt_err',
        'mqtt_p99', 'attack', 'store_kb'), flush=True)

    procs = run_attacks(attack_cmds(args, seconds, client_id), args.logdir)
    # soak.sh's trap sends SIGTERM: stop the attackers too (they also exit on their own
    # when this process goes, and at their deadline)
    signal.signal(signal.SIGTERM, lambda *_: (stop_attacks(procs), os._exit(143)))
    threads = [threading.Thread(target=control_reader, args=(ctx, i), daemon=True)
               for i in range(args.readers)]
    threads.append(threading.Thread(target=control_writer, args=(ctx,), daemon=True))
    for t in devices:
        threads.append(threading.Thread(target=http_device, args=(ctx, t), daemon=True))
    for t in mdevices:
        threads.append(threading.Thread(target=mqtt_device, args=(ctx, t), daemon=True))
    t0 = time.monotonic()
    for th in threads:
        th.start()

    samples = []     # (elapsed, rss_kb, fds)
    own = []         # (elapsed, rss_kb minus the store's memory, fds)
    store = None     # the store's memory, kB (last scrape)
    next_store = 0.0
    token = ''
    if args.admin_token_file:
        with open(args.admin_token_file) as f:
            token = f.readline().strip()
    died = aborted = None
    next_line = 10.0
    try:
        while True:
            time.sleep(1.0 - ((time.monotonic() - t0) % 1.0))
            el = time.monotonic() - t0
            r, f = rss_kb(pid), fd_count(pid)
            if r is None:
                died = 'jobsd exited at %.0f s' % el
                break
            if args.admin and el >= next_store:
                s = store_kb(args.admin, token)
                store = s if s is not None else store
                next_store = el + 5.0
            samples.append((el, r, f))
            own.append((el, r - (store or 0), f))
            if r > args.rss_abort_mb * 1024:
                aborted = 'jobsd RSS %d MB over the safety limit %d MB at %.0f s' % (
                    r // 1024, args.rss_abort_mb, el)
                break
            if el + 0.5 >= next_line:
                w = ctx.stats.window()
                with ctx.stats.lock:
                    n = sum(ctx.stats.req.values())
                running = sum(1 for p, _ in procs.values() if p.poll() is None)
                print('  %6.0fs %9d %6d %9d %8d %7.1fms %9d %6.1fms %8s %9s' % (
                    el, r, f, n, w['http'][1], w['http'][0], w['mqtt'][1], w['mqtt'][0],
                    '%d/%d' % (running, len(procs)), '-' if store is None else store),
                    flush=True)
                next_line += 10.0
            if el >= seconds:
                break
    finally:
        ctx.stop.set()
        if died or aborted:
            stop_attacks(procs)
    for th in threads:
        th.join(40)
    attacks = collect_attacks(procs, 30)

    # ---- after: descriptors settle once the attackers have gone
    fds_after = None
    if not died and rss_kb(pid) is not None:
        deadline = time.monotonic() + 20
        while True:
            fds_after = fd_count(pid)
            if fds_after is None or fds_after <= base_fds + args.fd_slack \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    rss_after = rss_kb(pid)

    failures, notes = [], []
    if died:
        failures.append(died)
    if aborted:
        failures.append(aborted)
    acked = 0
    if not died:
        try:
            acked, lost, findings = check_writes(ctx, 'retained' in args.attacks)
        except Exception as e:  # noqa: BLE001
            lost, findings = ['could not verify: %s' % e], []
        if lost:
            failures.append('%d acknowledged write(s) lost: %s' % (len(lost), '; '.join(lost[:5])))
        failures += findings
    else:
        lost = ['not verified']
    # Judged on RSS minus the store's own memory when the admin listener gives it: the
    # SQLite page caches fill as the soak's database grows (up to cache_size, 2 MiB, per
    # connection), which is bounded and not a leak; the raw rule is printed as well.
    _, why_raw, _, _ = rss_rule(samples, seconds, warmup)
    judged = own if args.admin and store is not None else samples
    ok, why, _, _ = rss_rule(judged, seconds, warmup) if not died else (False, 'died', 0, 0)
    if judged is own:
        why = 'RSS minus the store\'s memory: %s (raw RSS: %s; store memory %s kB at the end)' % (
            why, why_raw, store)
    if not ok:
        failures.append('RSS grew after warm-up: %s' % why)
    if fds_after is None or fds_after > base_fds + args.fd_slack:
        failures.append('descriptors grew: %s at the end (after the attackers left), %d at start,'
                        ' slack %d' % (fds_after, base_fds, args.fd_slack))
    st = ctx.stats
    total = sum(st.req.values())
    errs = sum(st.err.values())
    if total == 0 or errs > args.max_error_rate * total:
        failures.append('legitimate errors %d of %d (over %.1f%%)' % (
            errs, total, args.max_error_rate * 100))
    a = attacks.get('rig')
    if a and (a.get('exposed_reads') or a.get('exposed_writes')):
        failures.append('test-rig endpoints answered 2xx to a non-admin client (%d reads, %d '
                        'resets)' % (a.get('exposed_reads', 0), a.get('exposed_writes', 0)))
    a = attacks.get('takeover')
    if a and isinstance(a.get('accepted'), dict) and a['accepted'].get(client_id):
        notes.append("the broker accepted %d connection(s) with jobsd's client id"
                     % a['accepted'][client_id])

    rss_vals = [r for _, r, _ in samples]
    print('# attacks:', flush=True)
    for name in sorted(attacks):
        print('#   %s' % json.dumps(attacks[name], sort_keys=True), flush=True)
    print('# summary: seconds=%d requests=%d (http %d, mqtt %d) errors=%d (http %d, mqtt %d) '
          'http_p99_ms=%.1f mqtt_p99_ms=%.1f acked_writes=%d lost=%d' % (
              seconds, total, st.req['http'], st.req['mqtt'], errs, st.err['http'],
              st.err['mqtt'], p99(st.all_lat['http']), p99(st.all_lat['mqtt']), acked,
              len(lost)), flush=True)
    print('# jobsd: rss_kb start=%s max=%s end=%s; fds start=%s max=%s end=%s; %s' % (
        base_rss, max(rss_vals) if rss_vals else '-', rss_after, base_fds,
        max(f for _, _, f in samples) if samples else '-', fds_after, why), flush=True)
    print('# jobsd after the attackers left: rss %s kB (%+.0f%% of the start), fds %s' % (
        rss_after, 100.0 * ((rss_after or 0) - base_rss) / base_rss, fds_after), flush=True)
    for e in st.first_errors[:5]:
        print('#   first errors: %s' % e, flush=True)
    for n in notes:
        print('# note: %s' % n, flush=True)
    for f in failures:
        print('# FAIL: %s' % f, flush=True)
    print('# soak %s' % ('FAILED' if failures else 'passed'), flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
