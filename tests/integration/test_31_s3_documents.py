"""Job documents from S3 (issue 11, item 1): CreateJob's and CreateJobTemplate's
documentSource, read once through a real S3-compatible server (moto in server mode) at
creation, stored, and never read again; AWS-shaped errors when the object is missing, access
is denied, it is too large or not JSON, with nothing created. The GET jobsd signs is
captured by a recording server and compared byte for byte with botocore's S3 signer at the
same (virtual) time with the same credentials.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import s3kit  # noqa: E402
from harness import thing_arn  # noqa: E402

ROLE = 'arn:aws:iam::123456789012:role/S3Download'
DEFAULT = ('default', 'AKIDDEFAULTDOC', 'default/secret+key', 'eu-west-1')
OUT_DIR = tempfile.mkdtemp(prefix='jobsd-s3-')
OUT_FILE = os.path.join(OUT_DIR, 'outgoing')


class S3Documents(s3kit.MotoMixin, harness.JobsdTestCase):
    jobsd_extra_args = ('--outgoing-credentials', OUT_FILE)

    @classmethod
    def setup_s3(cls):
        s3kit.write_outgoing(OUT_FILE, [DEFAULT, (ROLE, 'AKIDROLE', 'rolesecret')])
        cls.rec = s3kit.Recorder()
        cls.s3 = cls.moto.client()
        cls.s3.create_bucket(Bucket='docs')

    @classmethod
    def close_s3(cls):
        if getattr(cls, 'rec', None) is not None:
            cls.rec.close()
            cls.rec = None

    def put(self, key, body):
        self.s3.put_object(Bucket='docs', Key=key, Body=body)
        return '%s/docs/%s' % (self.moto.url, key)

    def assertNoJob(self, jid):
        self.assertAwsError(self.iot.describe_job, 'ResourceNotFoundException', 404, jobId=jid)

    # ---- the document is read once and stored -----------------------------------------

    def test_create_job_from_s3(self):
        doc = '{"operation":"install","version":"1.2.3"}'
        src = self.put('install.json', doc.encode())
        t = self.create_thing()
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t)], documentSource=src)
        # stored: later changes to the object, or its removal, do not matter
        self.s3.delete_object(Bucket='docs', Key='install.json')
        self.assertEqual(self.iot.get_job_document(jobId=jid)['document'], doc)
        d = self.iot.describe_job(jobId=jid)
        self.assertEqual(d['documentSource'], src)
        got = self.data.describe_job_execution(jobId=jid, thingName=t, includeJobDocument=True)
        self.assertEqual(got['execution']['jobDocument'], doc)

    def test_create_job_from_s3_with_the_cli(self):
        src = self.put('cli.json', b'{"op":"cli"}')
        t = self.create_thing()
        jid = self.name('job')
        self.jobsd.aws('iot', 'create-job', '--job-id', jid, '--targets', thing_arn(t),
                       '--document-source', src)
        self.assertEqual(self.iot.get_job_document(jobId=jid)['document'], '{"op":"cli"}')

    def test_template_from_s3(self):
        src = self.put('tpl.json', b'{"op":"from-template"}')
        tid = self.name('tpl')
        self.iot.create_job_template(jobTemplateId=tid, description='d', documentSource=src)
        d = self.iot.describe_job_template(jobTemplateId=tid)
        self.assertEqual(d['documentSource'], src)
        self.assertEqual(d['document'], '{"op":"from-template"}')
        t = self.create_thing()
        jid = self.name('job')
        arn = d['jobTemplateArn']
        self.iot.create_job(jobId=jid, targets=[thing_arn(t)], jobTemplateArn=arn)
        self.assertEqual(self.iot.get_job_document(jobId=jid)['document'],
                         '{"op":"from-template"}')

    # ---- errors: AWS-shaped, nothing created --------------------------------------------

    def test_missing_object(self):
        jid = self.name('job')
        e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400, jobId=jid,
                                targets=[thing_arn(self.create_thing())],
                                documentSource=self.moto.url + '/docs/nope.json')
        self.assertIn('NoSuchKey', e.response['Error']['Message'])
        self.assertNoJob(jid)

    def test_missing_bucket(self):
        jid = self.name('job')
        e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400, jobId=jid,
                                targets=[thing_arn(self.create_thing())],
                                documentSource=self.moto.url + '/nobucket/a.json')
        self.assertIn('NoSuchBucket', e.response['Error']['Message'])
        self.assertNoJob(jid)

    def test_access_denied(self):
        self.rec.answer(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
                        b'AccessDenied</Code><Message>Access Denied</Message></Error>',
                        {'Content-Type': 'application/xml'})
        jid = self.name('job')
        e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400, jobId=jid,
                                targets=[thing_arn(self.create_thing())],
                                documentSource=self.rec.url + '/docs/secret.json')
        self.assertIn('AccessDenied', e.response['Error']['Message'])
        self.assertIn('Access Denied', e.response['Error']['Message'])
        self.assertNoJob(jid)

    def test_too_large(self):
        big = b'{"pad":"' + b'x' * 32768 + b'"}'
        src = self.put('big.json', big)
        jid = self.name('job')
        e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400, jobId=jid,
                                targets=[thing_arn(self.create_thing())], documentSource=src)
        self.assertIn('larger than 32768 bytes', e.response['Error']['Message'])
        self.assertNoJob(jid)
        tid = self.name('tpl')
        self.assertAwsError(self.iot.create_job_template, 'InvalidRequestException', 400,
                            jobTemplateId=tid, description='d', documentSource=src)
        self.assertAwsError(self.iot.describe_job_template, 'ResourceNotFoundException', 404,
                            jobTemplateId=tid)

    def test_not_json(self):
        for key, body in (('text.json', b'firmware, not json'), ('array.json', b'[1,2]'),
                          ('nul.json', b'{"a":1}\x00')):
            src = self.put(key, body)
            jid = self.name('job')
            e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400,
                                    jobId=jid, targets=[thing_arn(self.create_thing())],
                                    documentSource=src)
            self.assertIn('must be a JSON object', e.response['Error']['Message'])
            self.assertNoJob(jid)

    def test_redirect_refused(self):
        self.rec.answer(301, b'', {'Location': 'https://elsewhere.example/docs/a.json'})
        jid = self.name('job')
        e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400, jobId=jid,
                                targets=[thing_arn(self.create_thing())],
                                documentSource=self.rec.url + '/docs/a.json')
        self.assertIn('follows no redirects', e.response['Error']['Message'])
        self.assertNoJob(jid)

    def test_not_an_s3_url(self):
        for src in ('s3://docs/a.json', 'https://host/only-bucket', 'ftp://h/b/k',
                    'https://user@host/b/k', 'http://host:99999/b/k'):
            self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400,
                                jobId=self.name('job'), targets=[thing_arn(self.create_thing())],
                                documentSource=src)

    def test_document_and_source_conflict(self):
        self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400,
                            jobId=self.name('job'), targets=[thing_arn(self.create_thing())],
                            document='{}', documentSource=self.moto.url + '/docs/a.json')

    def test_unreachable_s3_is_503(self):
        port = s3kit.free_port()  # nothing listens there
        jid = self.name('job')
        self.assertAwsError(self.iot.create_job, 'ServiceUnavailableException', 503, jobId=jid,
                            targets=[thing_arn(self.create_thing())],
                            documentSource='http://127.0.0.1:%d/docs/a.json' % port)
        self.assertNoJob(jid)

    # ---- the signed GET, byte for byte ---------------------------------------------------

    def test_signed_get_equals_botocore(self):
        self.jobsd.advance_clock(3 * 86400 + 17)  # X-Amz-Date follows the virtual clock
        self.rec.answer(200, b'{"op":"signed"}')
        self.rec.requests.clear()
        before = self.jobsd.clock_now_ms() // 1000
        src = self.rec.url + '/docs/dir/a%20b~c.json?versionId=v1'
        self.iot.create_job(jobId=self.name('job'), targets=[thing_arn(self.create_thing())],
                            documentSource=src)
        after = self.jobsd.clock_now_ms() // 1000
        self.assertEqual(len(self.rec.requests), 1)
        got = self.rec.requests[0]
        self.assertEqual(got['path'], '/docs/dir/a%20b~c.json?versionId=v1')
        h = got['headers']
        self.assertEqual(h['host'], '127.0.0.1:%d' % self.rec.port)
        self.assertEqual(h['x-amz-content-sha256'],
                         'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
        when = None
        for t in range(before, after + 1):
            auth, date = s3kit.botocore_sign_get(
                self.rec.url + got['path'],
                {'x-amz-content-sha256': h['x-amz-content-sha256']},
                DEFAULT[1], DEFAULT[2], DEFAULT[3], t)
            if date == h['x-amz-date']:
                when = t
                self.assertEqual(h['authorization'], auth)
        self.assertIsNotNone(when, 'x-amz-date %s is not the virtual clock (%d..%d)'
                             % (h['x-amz-date'], before, after))


def dev_certs():
    d = tempfile.mkdtemp(prefix='jobsd-s3-certs-')
    subprocess.run(['sh', os.path.join(harness.REPO, 'scripts', 'dev-certs.sh'), d], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return d


class S3DocumentsTls(harness.JobsdTestCase):
    """https:// documentSource: the server's certificate is verified against
    --outgoing-ca-file and must name the host; an untrusted one is a 503, nothing created."""
    certs = dev_certs()
    other = dev_certs()   # another CA: jobsd does not trust it
    out_file = os.path.join(certs, 'outgoing')
    jobsd_extra_args = ('--outgoing-credentials', out_file,
                        '--outgoing-ca-file', os.path.join(certs, 'ca.crt'))

    @classmethod
    def setUpClass(cls):
        s3kit.write_outgoing(cls.out_file, [DEFAULT])
        cls.good = s3kit.Recorder(tls=(os.path.join(cls.certs, 'server.crt'),
                                       os.path.join(cls.certs, 'server.key')))
        cls.bad = s3kit.Recorder(tls=(os.path.join(cls.other, 'server.crt'),
                                      os.path.join(cls.other, 'server.key')))
        try:
            super().setUpClass()
        except Exception:
            cls.good.close()
            cls.bad.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.good.close()
            cls.bad.close()

    def test_verified_https(self):
        self.good.answer(200, b'{"op":"tls"}')
        t = self.create_thing()
        for host in ('127.0.0.1', 'localhost'):  # the certificate names both
            jid = self.name('job')
            self.iot.create_job(jobId=jid, targets=[thing_arn(t)],
                                documentSource='https://%s:%d/docs/a.json' % (host, self.good.port))
            self.assertEqual(self.iot.get_job_document(jobId=jid)['document'], '{"op":"tls"}')

    def test_untrusted_certificate(self):
        self.bad.answer(200, b'{"op":"tls"}')
        jid = self.name('job')
        e = self.assertAwsError(self.iot.create_job, 'ServiceUnavailableException', 503, jobId=jid,
                                targets=[thing_arn(self.create_thing())],
                                documentSource=self.bad.url + '/docs/a.json')
        self.assertIn('TLS handshake', e.response['Error']['Message'])
        self.assertAwsError(self.iot.describe_job, 'ResourceNotFoundException', 404, jobId=jid)


class NoOutgoingCredentials(harness.JobsdTestCase):
    """Without --outgoing-credentials: documentSource is refused with a clear message."""

    def test_refused(self):
        e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400,
                                jobId=self.name('job'), targets=[thing_arn(self.create_thing())],
                                documentSource='https://s3.amazonaws.com/b/k.json')
        self.assertIn('outgoing-credentials', e.response['Error']['Message'])


if __name__ == '__main__':
    harness.main()
