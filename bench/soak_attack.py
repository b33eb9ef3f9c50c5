#!/usr/bin/env python3
"""soak_attack.py: the attack clients of bench/soak.sh (issue 13), one per process.

    soak_attack.py NAME --seconds S [options]

Each attack is small, bounded in sockets, bytes and time, and talks to loopback only.
It runs until --seconds have passed (or its parent exits), then prints one JSON line on
stdout, {"attack": NAME, ...counts}, and exits 0. The counts say what the attacker
achieved; bench/soak.py turns them into findings.

  takeover   MQTT: connect again and again with jobsd's client id (--client-id) and with a
             victim device's (--victim), anonymously, as the issue's item 1
  mqtt-flood MQTT: one device (--thing) publishes bursts of large (~120 KiB) requests on
             its own topics (item 2); a burst is --burst messages, then a 10 s pause
  slow       HTTP(S): --sockets connections from --source (127.0.0.1) to the control and
             data listeners, each sending one byte every --interval seconds (item 3); a
             connection the server closes is counted and replaced after 1 s
  bodies     HTTP(S): --sockets unauthenticated requests declaring a 256 KiB body, each
             sending 250 KiB and then holding the connection --hold seconds (item 4)
  retained   MQTT: one device (--thing) publishes a retained start-next once and leaves
             (item 7); soak.py then queues a job for it, which must stay QUEUED
  rig        HTTP(S): probes /_jobsd/ and /moto-api/ on both listeners every 2 s,
             unsigned and signed with a key that is not marked admin (item 5); the read
             probes first; the destructive ones (reset) only while the reads are refused
"""

import argparse
import json
import os
import selectors
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))

PARENT = os.getppid()


def alive(deadline):
    return time.monotonic() < deadline and os.getppid() == PARENT


def hostport(s):
    h, p = s.rsplit(':', 1)
    if not (h.startswith('127.') or h == 'localhost'):
        raise SystemExit('soak_attack: %s is not a loopback address' % s)
    return ('127.0.0.1' if h == 'localhost' else h), int(p)


def tls_context(args, cert=None):
    if not args.ca:
        return None
    ctx = ssl.create_default_context(cafile=args.ca)
    if cert:
        ctx.load_cert_chain(cert + '.crt', cert + '.key')
    return ctx


def report(name, **counts):
    counts = dict(attack=name, **counts)
    print(json.dumps(counts, sort_keys=True), flush=True)


# ---- MQTT attacks ----------------------------------------------------------------------

def mqtt_client(cid, port):
    import mqttc
    return mqttc.MqttClient(cid, '127.0.0.1', port, keepalive=30)


def a_takeover(args, deadline):
    import mqttc
    ids = [i for i in (args.client_id, args.victim) if i]
    acc = {i: 0 for i in ids}
    ref = {i: 0 for i in ids}
    while alive(deadline):
        for cid in ids:
            c = mqtt_client(cid, args.mqtt_port)
            try:
                c.connect(timeout=2)
                acc[cid] += 1
                time.sleep(0.2)
            except mqttc.MqttError:
                ref[cid] += 1
            finally:
                c.disconnect()
        time.sleep(args.interval)
    report('takeover', accepted=acc, refused=ref)


def a_mqtt_flood(args, deadline):
    import mqttc
    pad = 'x' * (120 * 1024)
    sent = bursts = errors = 0
    topic = '$aws/things/%s/jobs/get' % args.thing
    while alive(deadline):
        c = mqtt_client(args.thing, args.mqtt_port)
        try:
            c.connect(timeout=5)
            for n in range(args.burst):
                if not alive(deadline):
                    break
                payload = '{"clientToken":"f%d","pad":"%s"}' % (n, pad)
                c.publish(topic, payload, qos=0, wait=False)
                sent += 1
            bursts += 1
            # let libmosquitto drain its queue before the pause ends the burst
            c.publish(topic, '{"clientToken":"end"}', qos=1, wait=True, timeout=60)
        except mqttc.MqttError:
            errors += 1
        finally:
            c.disconnect()
        pause = time.monotonic() + 10
        while alive(deadline) and time.monotonic() < pause:
            time.sleep(0.5)
    report('mqtt-flood', sent=sent, bursts=bursts, bytes=sent * len(pad), errors=errors)


def a_retained(args, deadline):
    c = mqtt_client(args.thing, args.mqtt_port)
    c.connect(timeout=5)
    c.publish('$aws/things/%s/jobs/start-next' % args.thing, {'clientToken': 'retained'},
              qos=1, retain=True, wait=True)
    c.disconnect()
    report('retained', published=1)


# ---- HTTP attacks ----------------------------------------------------------------------

def raw_socket(addr, source, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    try:
        s.connect(addr)
    except OSError:
        s.close()
        raise
    return s


def a_slow(args, deadline):
    targets = [hostport(args.control)] * 2 + [hostport(args.data)]
    sel = selectors.DefaultSelector()
    socks = {}          # socket -> next send time
    want = args.sockets
    opened = refused = closed_by_server = answered = sends = 0
    # a TLS record header announcing a 16 KiB record, then filler; plain HTTP gets a
    # request line and a header that never ends
    prefix = b'\x16\x03\x01\x40\x00' if args.ca else b'GET / HTTP/1.1\r\nX-Slow: '
    pos = {}
    reopen_at = 0.0
    max_open = 0
    while alive(deadline):
        now = time.monotonic()
        # (re)open, at most 200 a round and not within 1 s of a refusal
        if len(socks) < want and now >= reopen_at:
            for _ in range(min(200, want - len(socks))):
                try:
                    s = raw_socket(targets[opened % len(targets)], args.source, 0.5)
                except OSError:
                    refused += 1
                    reopen_at = time.monotonic() + 1.0
                    break
                s.setblocking(False)
                opened += 1
                socks[s] = now + (opened % max(1, int(args.interval * 4))) / 4.0
                pos[s] = 0
                sel.register(s, selectors.EVENT_READ)
        max_open = max(max_open, len(socks))
        # the server answered or closed
        for key, _ in sel.select(timeout=0.25):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b''
            if data:
                answered += 1
            else:
                closed_by_server += 1
            sel.unregister(s)
            s.close()
            socks.pop(s, None)
            pos.pop(s, None)
            reopen_at = max(reopen_at, time.monotonic() + 1.0)
        now = time.monotonic()
        for s, due in list(socks.items()):
            if due > now:
                continue
            p = pos[s]
            b = prefix[p:p + 1] if p < len(prefix) else b'a'
            try:
                s.send(b)
                sends += 1
                pos[s] = p + 1
                socks[s] = now + args.interval
            except OSError:
                closed_by_server += 1
                sel.unregister(s)
                s.close()
                del socks[s]
                del pos[s]
    for s in list(socks):
        s.close()
    report('slow', opened=opened, refused=refused, closed_by_server=closed_by_server,
           answered=answered, bytes_sent=sends, max_open=max_open)


def a_bodies(args, deadline):
    addr = hostport(args.control)
    ctx = tls_context(args)
    head = ('PUT /things/soak-bodies HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n'
            'Content-Length: 262144\r\n\r\n' % addr).encode()
    chunk = b'a' * 16384
    rounds = opened = refused = stalled = full = answered = 0
    while alive(deadline):
        conns = []
        for _ in range(args.sockets):
            if not alive(deadline):
                break
            try:
                s = raw_socket(addr, args.source, 2.0)
                if ctx is not None:
                    s = ctx.wrap_socket(s, server_hostname='127.0.0.1')
            except (OSError, ssl.SSLError):
                refused += 1
                continue
            opened += 1
            conns.append(s)
            try:
                s.sendall(head)
                for _ in range(250 * 1024 // len(chunk)):
                    s.sendall(chunk)
                full += 1
            except socket.timeout:
                stalled += 1   # the server stopped reading: what it should do
            except (OSError, ssl.SSLError):
                pass
        hold = time.monotonic() + args.hold
        while alive(deadline) and time.monotonic() < hold:
            time.sleep(0.25)
        for s in conns:
            try:
                s.settimeout(0.01)
                if s.recv(1):
                    answered += 1
            except (OSError, ssl.SSLError):
                pass
            s.close()
        rounds += 1
    report('bodies', rounds=rounds, opened=opened, refused=refused, sent_250k=full,
           stalled=stalled, answered=answered)


def signed_headers(args, method, url, body):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=url, data=body,
                     headers={'Content-Type': 'application/json'})
    service = 'iot-jobs-data' if url.startswith(('http://%s' % args.data,
                                                  'https://%s' % args.data)) else 'iot'
    SigV4Auth(Credentials(args.key, args.secret), service, 'us-east-1').add_auth(req)
    return dict(req.headers.items())


def a_rig(args, deadline):
    import http.client
    scheme = 'https' if args.ca else 'http'
    reads = [('GET', '/_jobsd/status', None), ('GET', '/_jobsd/clock', None),
             ('POST', '/_jobsd/clock', b'{"advanceSeconds":0}')]
    writes = [('POST', '/_jobsd/reset', b''), ('POST', '/moto-api/reset', b'')]
    probes = refused = exposed_reads = exposed_writes = errors = 0
    seen = {}
    while alive(deadline):
        for plane, target in (('control', args.control), ('data', args.data)):
            host, port = hostport(target)
            for signed in (False, True):
                # the destructive probes only while every read probe so far was refused:
                # an exposed read already proves the finding, and a reset would wipe the
                # soak's own data and hide every other figure
                todo = [(r, False) for r in reads] + [(w, True) for w in writes]
                for (method, path, body), destructive in todo:
                    if not alive(deadline) or (destructive and exposed_reads):
                        break
                    hdrs = {'Content-Length': str(len(body or b''))}
                    if signed and args.key:
                        hdrs.update(signed_headers(args, method, '%s://%s:%d%s' % (
                            scheme, host, port, path), body or b''))
                    try:
                        if args.ca:
                            ctx = tls_context(args, args.cert if plane == 'data' else None)
                            c = http.client.HTTPSConnection(host, port, timeout=5, context=ctx,
                                                            source_address=(args.source, 0))
                        else:
                            c = http.client.HTTPConnection(host, port, timeout=5,
                                                           source_address=(args.source, 0))
                        c.request(method, path, body=body, headers=hdrs)
                        st = c.getresponse().status
                        c.close()
                    except (OSError, ssl.SSLError, http.client.HTTPException):
                        errors += 1
                        continue
                    probes += 1
                    k = '%s %s %s %s' % (plane, 'signed' if signed else 'unsigned', method, path)
                    seen[k] = st
                    if 200 <= st < 300:
                        if destructive:
                            exposed_writes += 1
                        else:
                            exposed_reads += 1
                    else:
                        refused += 1
        end = time.monotonic() + 2
        while alive(deadline) and time.monotonic() < end:
            time.sleep(0.25)
    report('rig', probes=probes, refused=refused, exposed_reads=exposed_reads,
           exposed_writes=exposed_writes, errors=errors, last_status=seen)


ATTACKS = {'takeover': a_takeover, 'mqtt-flood': a_mqtt_flood, 'slow': a_slow,
           'bodies': a_bodies, 'retained': a_retained, 'rig': a_rig}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('name', choices=sorted(ATTACKS))
    ap.add_argument('--seconds', type=float, required=True)
    ap.add_argument('--control', default='127.0.0.1:8443')
    ap.add_argument('--data', default='127.0.0.1:8444')
    ap.add_argument('--mqtt-port', type=int, default=1883)
    ap.add_argument('--ca', help='CA file: the listeners speak TLS')
    ap.add_argument('--cert', help='PATH without .crt/.key: a device certificate')
    ap.add_argument('--key', help='access key id (not admin) for signed rig probes')
    ap.add_argument('--secret')
    ap.add_argument('--source', default='127.0.0.1', help='local address to connect from')
    ap.add_argument('--client-id', help='takeover: jobsd\'s MQTT client id')
    ap.add_argument('--victim', help='takeover: a device\'s client id')
    ap.add_argument('--thing', help='mqtt-flood, retained: the device')
    ap.add_argument('--sockets', type=int, default=1500)
    ap.add_argument('--interval', type=float, default=4.0)
    ap.add_argument('--burst', type=int, default=1000)
    ap.add_argument('--hold', type=float, default=8.0)
    args = ap.parse_args()
    if not args.source.startswith('127.'):
        raise SystemExit('soak_attack: --source must be a loopback address')
    args.sockets = min(args.sockets, 2000)
    deadline = time.monotonic() + args.seconds
    ATTACKS[args.name](args, deadline)


if __name__ == '__main__':
    main()
