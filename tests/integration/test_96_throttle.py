"""Throttling (D19): per-operation token buckets with low configured rates.

Over the rate the control plane answers 400 ThrottlingException and the device plane 429
ThrottlingException, both {"message": "Rate exceeded"}. boto3 with its default (legacy) retry
configuration retries both and finally succeeds; with retries disabled it sees the error.
Each test uses its own bucket, since buckets are not reset between tests.
"""

import subprocess
import unittest

import botocore.exceptions

import harness

RATES = 'ListThings=1,ListJobs=1,ListThingGroups=1,DataPlaneRead=1,DataPlaneWrite=1'


class ThrottleTest(harness.JobsdTestCase):
    jobsd_extra_args = ('--throttle-rates', RATES)

    def client(self, service, url, retries):
        """retries=False: one attempt in total (note the harness's own clients, with
        max_attempts=1, retry once: in botocore's legacy mode max_attempts counts retries).
        retries=True: boto3's default retry configuration (legacy mode, 5 attempts)."""
        return harness.boto_client(service, url, self.jobsd.access_key, self.jobsd.secret_key,
                                   retries=None if retries else {'total_max_attempts': 1})

    def retrying(self, service, url):
        return self.client(service, url, True)

    @property
    def iot1(self):
        return self.client('iot', self.jobsd.control_url, False)

    @property
    def data1(self):
        return self.client('iot-jobs-data', self.jobsd.data_url, False)

    def exhaust(self, call, code, status):
        """Call until throttled (a few calls at 1 TPS); return the ClientError."""
        for _ in range(5):
            try:
                call()
            except botocore.exceptions.ClientError as e:
                self.assertEqual(e.response['Error']['Code'], code)
                self.assertEqual(e.response['ResponseMetadata']['HTTPStatusCode'], status)
                return e
        self.fail('never throttled')

    def test_control_plane_400_without_retries(self):
        iot = self.iot1
        e = self.exhaust(iot.list_things, 'ThrottlingException', 400)
        self.assertEqual(e.response['Error']['Message'], 'Rate exceeded')
        self.assertEqual(e.response['ResponseMetadata']['RetryAttempts'], 0)
        self.assertIsInstance(e, iot.exceptions.ThrottlingException)

    def test_control_plane_raw_shape(self):
        self.jobsd.raw('GET', '/thing-groups')
        resp = self.jobsd.raw('GET', '/thing-groups')
        if resp[0] == 200:   # the bucket refilled between the two calls: once more
            resp = self.jobsd.raw('GET', '/thing-groups')
        doc = self.assertRawError(resp, 'ThrottlingException', 400)
        self.assertEqual(doc, {'message': 'Rate exceeded'})

    def test_control_plane_retried_by_default(self):
        # both clients exist before the bucket is emptied: creating one takes time
        once, retrying = self.iot1, self.retrying('iot', self.jobsd.control_url)
        self.exhaust(once.list_jobs, 'ThrottlingException', 400)
        r = retrying.list_jobs()
        self.assertGreaterEqual(r['ResponseMetadata']['RetryAttempts'], 1)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)

    def test_data_plane_429_without_retries(self):
        t = self.create_thing()
        data = self.data1
        data.get_pending_job_executions(thingName=t)  # same bucket as DescribeJobExecution
        e = self.exhaust(lambda: data.describe_job_execution(thingName=t, jobId='$next'),
                         'ThrottlingException', 429)
        self.assertEqual(e.response['ResponseMetadata']['RetryAttempts'], 0)
        self.assertIsInstance(e, data.exceptions.ThrottlingException)
        self.assertEqual(e.response['Error']['Message'], 'Rate exceeded')

    def test_data_plane_retried_by_default(self):
        t = self.create_thing()
        data, retrying = self.data1, self.retrying('iot-jobs-data', self.jobsd.data_url)
        self.exhaust(lambda: data.start_next_pending_job_execution(thingName=t),
                     'ThrottlingException', 429)
        r = retrying.start_next_pending_job_execution(thingName=t)
        self.assertGreaterEqual(r['ResponseMetadata']['RetryAttempts'], 1)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)

    def test_other_operations_unlimited(self):
        for _ in range(20):
            t = self.create_thing()
            self.iot.describe_thing(thingName=t)


class PresetTest(harness.JobsdTestCase):
    jobsd_extra_args = ('--throttle', 'aws')

    def test_aws_preset_burst(self):
        # ListJobs is 10 TPS with a burst of 10: the first 10 calls pass, 30 in a row do not
        iot = harness.boto_client('iot', self.jobsd.control_url, self.jobsd.access_key,
                                  self.jobsd.secret_key, retries={'total_max_attempts': 1})
        results = []
        for _ in range(30):
            try:
                iot.list_jobs()
                results.append('ok')
            except iot.exceptions.ThrottlingException:
                results.append('throttled')
        self.assertEqual(results[:10], ['ok'] * 10)
        self.assertIn('throttled', results)


class BadRatesTest(unittest.TestCase):

    def test_unknown_operation_refused(self):
        j = harness.Jobsd(extra_args=('--throttle-rates', 'NoSuchOperation=1'))
        try:
            p = subprocess.run(j.command(), capture_output=True, timeout=30,
                               stdin=subprocess.DEVNULL)
        finally:
            j.close()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"unknown operation 'NoSuchOperation'", p.stderr)

    def test_bad_preset_refused(self):
        j = harness.Jobsd(extra_args=('--throttle', 'fast'))
        try:
            p = subprocess.run(j.command(), capture_output=True, timeout=30,
                               stdin=subprocess.DEVNULL)
        finally:
            j.close()
        self.assertEqual(p.returncode, 2)
        self.assertIn(b'throttle must be off or aws', p.stderr)


if __name__ == '__main__':
    harness.main()
