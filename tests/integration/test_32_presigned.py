"""Presigned URLs (issue 11, item 2): every device-facing copy of a job document (HTTPS
device plane: DescribeJobExecution, StartNextPendingJobExecution, UpdateJobExecution with
includeJobDocument; MQTT: their accepted payloads and notify-next) has its
${aws:iot:s3-presigned-url:URL} placeholders replaced by a SigV4 query-presigned GET,
signed with the credentials of the job's presignedUrlConfig.roleArn (D27), fresh for each
answer. Each URL equals botocore's generate_presigned_url byte for byte for the same
credentials, virtual-clock time and expiry, and the device downloads the firmware from a
real S3-compatible server (moto) with it. GetJobDocument and DescribeJob keep the
placeholders. A role without credentials is refused at CreateJob and UpdateJob; SIGHUP
re-reads the file.
"""

import calendar
import json
import os
import signal
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import broker  # noqa: E402
import harness  # noqa: E402
import s3kit  # noqa: E402
from harness import thing_arn  # noqa: E402

ROLE = 'arn:aws:iam::123456789012:role/FirmwareDownload'
OTHER_ROLE = 'arn:aws:iam::123456789012:role/Other'
ROLE_KEYS = ('AKIDFIRMWARE', 'fw/Secret+Key=', 'us-west-2')
FIRMWARE = bytes(range(256)) * 64
T = '$aws/things/%s/jobs/'


def outgoing_file(entries):
    d = tempfile.mkdtemp(prefix='jobsd-presign-')
    path = os.path.join(d, 'outgoing')
    s3kit.write_outgoing(path, entries)
    return path


class PresignBase(s3kit.MotoMixin):
    """Mixed into a test case: moto with a firmware object, and the helpers."""

    @classmethod
    def setup_s3(cls):
        c = cls.moto.client()
        c.create_bucket(Bucket='firmware')
        c.put_object(Bucket='firmware', Key='v2/firmware.bin', Body=FIRMWARE)
        cls.fw_url = cls.moto.url + '/firmware/v2/firmware.bin'

    def doc(self):
        return json.dumps({'operation': 'update', 'files': [
            {'url': '${aws:iot:s3-presigned-url:%s}' % self.fw_url},
            {'url': '${aws:iot:s3-presigned-url:%s}' % self.fw_url}]})

    def presigned_job(self, thing, expires=None, role=ROLE):
        jid = self.name('job')
        cfg = {'roleArn': role}
        if expires is not None:
            cfg['expiresInSec'] = expires
        self.iot.create_job(jobId=jid, targets=[thing_arn(thing)], document=self.doc(),
                            presignedUrlConfig=cfg)
        return jid

    def expected(self, expires, url):
        """botocore's URL at the second url was signed, which must be the virtual clock's
        second of the answer: at most a few seconds before now (the virtual clock runs on
        from its offset, so the answer's second may be behind the check's: taking now for
        it failed when the two fell on either side of a second)."""
        now = self.jobsd.clock_now_ms() // 1000
        date = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)['X-Amz-Date'][0]
        signed = calendar.timegm(time.strptime(date, '%Y%m%dT%H%M%SZ'))
        self.assertLessEqual(signed, now)
        self.assertGreaterEqual(signed, now - 10)
        return s3kit.botocore_presign(self.moto.url, 'firmware', 'v2/firmware.bin', ROLE_KEYS[0],
                                      ROLE_KEYS[1], ROLE_KEYS[2], signed, expires)

    def assertPresigned(self, doc, expires):
        if isinstance(doc, str):
            doc = json.loads(doc)
        urls = [f['url'] for f in doc['files']]
        self.assertEqual(urls[0], urls[1])
        self.assertNotIn('${', urls[0])
        self.assertEqual(urls[0], self.expected(expires, urls[0]))
        self.assertIn('X-Amz-Expires=%d&' % expires, urls[0])
        with urllib.request.urlopen(urls[0], timeout=10) as r:
            self.assertEqual(r.read(), FIRMWARE)
        return urls[0]


class PresignedHttps(PresignBase, harness.JobsdTestCase):
    out_file = outgoing_file([(ROLE,) + ROLE_KEYS])
    jobsd_extra_args = ('--outgoing-credentials', out_file)

    def test_device_plane_documents_are_presigned(self):
        t = self.create_thing()
        jid = self.presigned_job(t, expires=600)
        self.jobsd.advance_clock(40 * 86400 + 3)  # X-Amz-Date follows the virtual clock
        got = self.data.describe_job_execution(jobId=jid, thingName=t, includeJobDocument=True)
        self.assertPresigned(got['execution']['jobDocument'], 600)
        got = self.data.start_next_pending_job_execution(thingName=t)
        self.assertPresigned(got['execution']['jobDocument'], 600)
        got = self.data.update_job_execution(jobId=jid, thingName=t, status='IN_PROGRESS',
                                             includeJobDocument=True)
        self.assertPresigned(got['jobDocument'], 600)

    def test_fresh_for_each_answer(self):
        t = self.create_thing()
        jid = self.presigned_job(t)
        first = self.data.describe_job_execution(jobId=jid, thingName=t)
        a = self.assertPresigned(first['execution']['jobDocument'], 3600)  # the default
        self.jobsd.advance_clock(120)
        second = self.data.describe_job_execution(jobId=jid, thingName=t)
        b = self.assertPresigned(second['execution']['jobDocument'], 3600)
        self.assertNotEqual(a, b)

    def test_control_plane_keeps_placeholders(self):
        t = self.create_thing()
        jid = self.presigned_job(t, expires=60)
        self.assertEqual(self.iot.get_job_document(jobId=jid)['document'], self.doc())
        d = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(d['presignedUrlConfig'], {'roleArn': ROLE, 'expiresInSec': 60})
        got = self.data.update_job_execution(jobId=jid, thingName=t, status='IN_PROGRESS')
        self.assertNotIn('jobDocument', got)

    def test_no_presigned_url_config_keeps_placeholders(self):
        t = self.create_thing()
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t)], document=self.doc())
        got = self.data.describe_job_execution(jobId=jid, thingName=t)
        self.assertEqual(got['execution']['jobDocument'], self.doc())

    def test_role_without_credentials_refused(self):
        t = self.create_thing()
        jid = self.name('job')
        e = self.assertAwsError(self.iot.create_job, 'InvalidRequestException', 400, jobId=jid,
                                targets=[thing_arn(t)], document=self.doc(),
                                presignedUrlConfig={'roleArn': OTHER_ROLE})
        self.assertIn('has no outgoing credentials', e.response['Error']['Message'])
        self.assertAwsError(self.iot.describe_job, 'ResourceNotFoundException', 404, jobId=jid)
        jid = self.presigned_job(t)
        self.assertAwsError(self.iot.update_job, 'InvalidRequestException', 400, jobId=jid,
                            presignedUrlConfig={'roleArn': OTHER_ROLE})
        self.assertAwsError(self.iot.create_job_template, 'InvalidRequestException', 400,
                            jobTemplateId=self.name('tpl'), description='d', document=self.doc(),
                            presignedUrlConfig={'roleArn': OTHER_ROLE})
        # a document without placeholders needs no credentials
        self.iot.create_job(jobId=self.name('job'), targets=[thing_arn(t)], document='{"a":1}',
                            presignedUrlConfig={'roleArn': OTHER_ROLE})

    def test_sighup_reloads_outgoing_credentials(self):
        t = self.create_thing()
        try:
            s3kit.write_outgoing(self.out_file, [(ROLE,) + ROLE_KEYS,
                                                 ('default', 'AKIDDEFAULT', 'dflt')])
            self.jobsd.proc.send_signal(signal.SIGHUP)
            # the new default entry covers OTHER_ROLE once the reload is in (SIGHUP is
            # asynchronous: until then CreateJob is refused, so retry it)
            def covered():
                try:
                    return self.iot.create_job(
                        jobId=self.name('job'), targets=[thing_arn(t)], document=self.doc(),
                        presignedUrlConfig={'roleArn': OTHER_ROLE})
                except botocore.exceptions.ClientError as err:
                    raise AssertionError('not reloaded yet: %s' % err)
            self.eventually(covered)
        finally:
            s3kit.write_outgoing(self.out_file, [(ROLE,) + ROLE_KEYS])
            self.jobsd.proc.send_signal(signal.SIGHUP)
        self.eventually(lambda: self.assertAwsError(
            self.iot.create_job, 'InvalidRequestException', 400, jobId=self.name('job'),
            targets=[thing_arn(t)], document=self.doc(),
            presignedUrlConfig={'roleArn': OTHER_ROLE}))


class PresignedMqtt(PresignBase, broker.MqttTestCase):
    more_args = ('--outgoing-credentials', outgoing_file([(ROLE,) + ROLE_KEYS]))

    def test_mqtt_documents_are_presigned(self):
        t = self.create_thing()
        dev = self.device(t)
        self.jobsd.advance_clock(86400 * 31 + 59)
        jid = self.presigned_job(t, expires=900)
        nn = dev.expect_json(T % t + 'notify-next')
        self.assertPresigned(nn['execution']['jobDocument'], 900)
        dev.clear()
        dev.publish(T % t + jid + '/get', {'clientToken': 'c1'})
        got = dev.expect_json(T % t + jid + '/get/accepted')
        self.assertPresigned(got['execution']['jobDocument'], 900)
        dev.publish(T % t + 'start-next', {'clientToken': 'c2'})
        got = dev.expect_json(T % t + 'start-next/accepted')
        self.assertPresigned(got['execution']['jobDocument'], 900)
        dev.publish(T % t + jid + '/update', {'status': 'IN_PROGRESS', 'includeJobDocument': True})
        got = dev.expect_json(T % t + jid + '/update/accepted')
        self.assertPresigned(got['jobDocument'], 900)


if __name__ == '__main__':
    harness.main()
