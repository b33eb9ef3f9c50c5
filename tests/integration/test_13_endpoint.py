"""DescribeEndpoint (issue 12): the public addresses of iot:Data, iot:Data-ATS, iot:Jobs
and iot:CredentialProvider: the listeners' (and the broker's) by default, what
--public-endpoint names otherwise."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import JobsdTestCase, sqlite_only  # noqa: E402

TYPES = ('iot:Data', 'iot:Data-ATS', 'iot:Jobs', 'iot:CredentialProvider')


def port_of(url):
    return int(url.rsplit(':', 1)[1].split('/')[0])


class Defaults(JobsdTestCase):

    def test_every_type_answers_the_data_listener(self):
        want = '127.0.0.1:%d' % port_of(self.jobsd.data_url)
        for t in TYPES:
            self.assertEqual(self.iot.describe_endpoint(endpointType=t)['endpointAddress'],
                             want, t)
        # no type is iot:Data, as AWS; the type is read case-insensitively
        self.assertEqual(self.iot.describe_endpoint()['endpointAddress'], want)
        self.assertEqual(self.iot.describe_endpoint(endpointType='IOT:JOBS')['endpointAddress'],
                         want)

    def test_unknown_type_is_400(self):
        for t in ('iot:Nope', 'x' * 129, 'iot:Data,iot:Jobs'):
            self.assertAwsError(lambda: self.iot.describe_endpoint(endpointType=t),
                                'InvalidRequestException', 400)

    @sqlite_only('the CLI speaks to the same handlers whatever the store: run it once')
    def test_device_script_with_the_cli(self):
        _, out, _ = self.jobsd.aws('iot', 'describe-endpoint', '--endpoint-type', 'iot:Jobs')
        self.assertEqual(out, {'endpointAddress': '127.0.0.1:%d' % port_of(self.jobsd.data_url)})

    @sqlite_only('option parsing does not depend on the store: run it once')
    def test_bad_option_refuses_to_start(self):
        for spec in ('bad host', 'h:0', 'h:70000', 'iot:Nope=h', 'iot:Jobs=', 'iot:Jobs=h,',
                     'iot:Jobs=h:1:2'):
            p = subprocess.run([self.jobsd.bin, '--listen', '127.0.0.1:0', '--data-listen', '',
                                '--store', 'sqlite:' + os.path.join(self.jobsd.data_dir,
                                                                    'never.db'),
                                '--public-endpoint', spec],
                               capture_output=True, timeout=30)
            self.assertNotEqual(p.returncode, 0, spec)
            self.assertIn(b'public-endpoint', p.stderr, spec)


class Configured(JobsdTestCase):
    # the broker address is only named, never reached by these tests
    jobsd_extra_args = ('--public-endpoint',
                        'iot:Jobs=jobs.example.com:8443,iot:CredentialProvider=creds.example.com',
                        '--mqtt', '127.0.0.1:1')

    def test_named_types_and_the_broker(self):
        got = {t: self.iot.describe_endpoint(endpointType=t)['endpointAddress'] for t in TYPES}
        self.assertEqual(got, {'iot:Data': '127.0.0.1:1', 'iot:Data-ATS': '127.0.0.1:1',
                               'iot:Jobs': 'jobs.example.com:8443',
                               'iot:CredentialProvider': 'creds.example.com'})


class OneAddress(JobsdTestCase):
    jobsd_extra_args = ('--public-endpoint', 'iot.example.com')

    def test_one_address_for_every_type(self):
        for t in TYPES:
            self.assertEqual(self.iot.describe_endpoint(endpointType=t)['endpointAddress'],
                             'iot.example.com', t)


if __name__ == '__main__':
    harness.main()
