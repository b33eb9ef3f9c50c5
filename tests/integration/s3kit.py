"""S3 pieces of the integration tests (issue 11: documentSource, presigned URLs).

    MotoS3()            moto's S3 in server mode on a free loopback port (python3 -m
                        moto.server); .url .client() (boto3 S3, path style) .close();
                        waits for readiness by polling, bounded, never sleeps blind.
    Recorder()          a tiny HTTP server that records every request (method, path,
                        headers) and answers what .answer(status, body, headers) says;
                        .url .requests .close()
    write_outgoing(path, entries)   the --outgoing-credentials file (mode 600)
    botocore_presign(url_base, bucket, key, access, secret, region, when, expires)
    botocore_sign_get(url, headers, access, secret, region, when)
                        what botocore's presigner / S3 signer produce for the same
                        credentials and time (when: epoch seconds), to compare byte
                        for byte with what jobsd sent or handed out.
"""

import datetime
import http.server
import os
import socket
import ssl
import subprocess
import sys
import threading
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class MotoS3:
    """moto's S3 server, one per test class."""

    def __init__(self, timeout=20.0):
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'moto.server', '-H', '127.0.0.1', '-p', str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def read():  # werkzeug says "Running on http://..." once it listens
            for line in self.proc.stderr:
                if 'Running on' in line:
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout) or self.proc.poll() is not None or not _port_open(self.port):
            self.close()
            raise RuntimeError('moto server did not start on %s' % self.url)

    def client(self):
        return boto3.client(
            's3', endpoint_url=self.url, region_name='us-east-1',
            aws_access_key_id='moto', aws_secret_access_key='moto',
            config=botocore.config.Config(s3={'addressing_style': 'path'}))

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None


class MotoMixin:
    """Mixed in before a harness test case: moto starts before the class's jobsd and stops
    after it (cls.moto); cls.setup_s3() runs once moto is up (buckets, objects)."""

    @classmethod
    def setup_s3(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.moto = MotoS3()
        try:
            cls.setup_s3()
            super().setUpClass()
        except Exception:
            cls.moto.close()
            cls.close_s3()
            raise

    @classmethod
    def close_s3(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.moto.close()
            cls.close_s3()


def _port_open(port):
    try:
        socket.create_connection(('127.0.0.1', port), 0.2).close()
        return True
    except OSError:
        return False


class Recorder:
    """A loopback HTTP server recording requests; answers the configured response."""

    def __init__(self, tls=None):
        """tls: (certfile, keyfile) to answer over HTTPS (.url is then https://)."""
        rec = self
        self.requests = []
        self.status, self.body, self.headers = 200, b'{}', {}

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                rec.requests.append({'method': 'GET', 'path': self.path,
                                     'headers': {k.lower(): v for k, v in self.headers.items()}})
                self.send_response(rec.status)
                for k, v in rec.headers.items():
                    self.send_header(k, v)
                self.send_header('Content-Length', str(len(rec.body)))
                self.end_headers()
                self.wfile.write(rec.body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.url = 'https://127.0.0.1:%d' % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, status, body, headers=None):
        self.status, self.body, self.headers = status, body, dict(headers or {})

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def write_outgoing(path, entries):
    """entries: [(role_or_default, access, secret[, region])]"""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write('# outgoing credentials (test)\n')
        for e in entries:
            f.write(' '.join(e) + '\n')


def _at(when):
    dt = datetime.datetime.fromtimestamp(int(when), datetime.timezone.utc)
    return mock.patch('botocore.auth.get_current_datetime', return_value=dt)


def botocore_presign(endpoint, bucket, key, access, secret, region, when, expires):
    """botocore's generate_presigned_url for GetObject, path style, at time `when`."""
    c = boto3.client('s3', endpoint_url=endpoint, region_name=region,
                     aws_access_key_id=access, aws_secret_access_key=secret,
                     config=botocore.config.Config(signature_version='s3v4',
                                                   s3={'addressing_style': 'path'}))
    with _at(when):
        return c.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': key},
                                        ExpiresIn=expires)


def botocore_sign_get(url, headers, access, secret, region, when):
    """The Authorization botocore's S3SigV4Auth puts on a GET of url carrying headers
    (those jobsd sent that botocore signs: host, x-amz-content-sha256), at `when`."""
    req = botocore.awsrequest.AWSRequest(method='GET', url=url, headers=dict(headers))
    req.context['client_config'] = None
    signer = botocore.auth.S3SigV4Auth(
        botocore.credentials.Credentials(access, secret), 's3', region)
    with _at(when):
        signer.add_auth(req)
    return req.headers['Authorization'], req.headers['X-Amz-Date']
