"""The `aws` CLI (v1) against jobsd: parsed JSON output and error exits."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import job_arn, thing_arn  # noqa: E402


class Cli(harness.JobsdTestCase):

    def aws(self, *args, **kw):
        return self.jobsd.aws(*args, **kw)

    def test_create_and_describe_thing(self):
        name = self.name('cli')
        rc, out, err = self.aws('iot', 'create-thing', '--thing-name', name,
                                '--attribute-payload', '{"attributes":{"color":"red"}}')
        self.assertEqual(rc, 0, err)
        self.assertEqual(out['thingName'], name)
        self.assertEqual(out['thingArn'], thing_arn(name))
        self.assertTrue(out['thingId'])
        rc, out, err = self.aws('iot', 'describe-thing', '--thing-name', name)
        self.assertEqual(out['defaultClientId'], name)
        self.assertEqual(out['attributes'], {'color': 'red'})
        self.assertEqual(out['version'], 1)

    def test_not_found_exit(self):
        rc, out, err = self.aws('iot', 'describe-thing', '--thing-name', self.name('nope'),
                                check=False)
        self.assertNotEqual(rc, 0)
        self.assertIsNone(out)
        self.assertIn('ResourceNotFoundException', err)
        self.assertIn('DescribeThing', err)
        rc, out, err = self.aws('iot', 'describe-job', '--job-id', self.name('nojob'),
                                check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('ResourceNotFoundException', err)

    def test_validation_error_exit(self):
        rc, out, err = self.aws('iot', 'create-job', '--job-id', 'bad id!',
                                '--targets', thing_arn('x'), '--document', '{}', check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('InvalidRequestException', err)

    def test_job_flow(self):
        things = sorted(self.name('cli') for _ in range(3))
        for t in things:
            self.aws('iot', 'create-thing', '--thing-name', t)
        jid = self.name('clijob')
        doc = '{"op": "reboot",  "delay": 5}'
        rc, out, err = self.aws('iot', 'create-job', '--job-id', jid,
                                '--targets', *[thing_arn(t) for t in things],
                                '--document', doc, '--description', 'cli job')
        self.assertEqual(out, {'jobArn': job_arn(jid), 'jobId': jid, 'description': 'cli job'})

        rc, out, err = self.aws('iot', 'describe-job', '--job-id', jid)
        job = out['job']
        self.assertEqual(job['jobId'], jid)
        self.assertEqual(job['status'], 'IN_PROGRESS')
        self.assertEqual(job['targetSelection'], 'SNAPSHOT')
        self.assertEqual(job['jobProcessDetails']['numberOfQueuedThings'], 3)
        # CLI v1 prints timestamps as received: epoch seconds (D7).
        self.assertIsInstance(job['createdAt'], (int, float))
        now = self.jobsd.clock_now_ms() / 1000.0
        self.assertLess(abs(job['createdAt'] - now), 60)

        rc, out, err = self.aws('iot', 'get-job-document', '--job-id', jid)
        self.assertEqual(out['document'], doc)

        rc, out, err = self.aws('iot', 'list-job-executions-for-job', '--job-id', jid)
        sums = out['executionSummaries']
        self.assertEqual([s['thingArn'] for s in sums], [thing_arn(t) for t in things])
        for s in sums:
            self.assertEqual(s['jobExecutionSummary']['status'], 'QUEUED')
            self.assertEqual(s['jobExecutionSummary']['executionNumber'], 1)
            self.assertIsInstance(s['jobExecutionSummary']['queuedAt'], (int, float))

        # The CLI follows nextToken itself (page size 1 -> several requests).
        rc, out, err = self.aws('iot', 'list-job-executions-for-job', '--job-id', jid,
                                '--page-size', '1')
        self.assertEqual([s['thingArn'] for s in out['executionSummaries']],
                         [thing_arn(t) for t in things])

        # Device finishes one execution over the data plane (iot-jobs-data via the CLI).
        rc, out, err = self.aws('iot-jobs-data', 'update-job-execution', '--job-id', jid,
                                '--thing-name', things[0], '--status', 'SUCCEEDED',
                                '--include-job-execution-state', plane='data')
        self.assertEqual(out['executionState']['status'], 'SUCCEEDED')
        self.assertEqual(out['executionState']['versionNumber'], 2)

        # delete-job-execution: QUEUED needs --force (D1), terminal does not.
        rc, out, err = self.aws('iot', 'delete-job-execution', '--job-id', jid,
                                '--thing-name', things[1], '--execution-number', '1',
                                check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('InvalidStateTransitionException', err)
        rc, out, err = self.aws('iot', 'delete-job-execution', '--job-id', jid,
                                '--thing-name', things[0], '--execution-number', '1')
        self.assertEqual(rc, 0)
        self.assertIsNone(out)
        rc, out, err = self.aws('iot', 'delete-job-execution', '--job-id', jid,
                                '--thing-name', things[1], '--execution-number', '1',
                                '--force')
        self.assertEqual(rc, 0, err)
        rc, out, err = self.aws('iot', 'delete-job-execution', '--job-id', jid,
                                '--thing-name', things[2], '--execution-number', '7',
                                '--force', check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('ResourceNotFoundException', err)

        rc, out, err = self.aws('iot', 'list-job-executions-for-job', '--job-id', jid)
        self.assertEqual([s['thingArn'] for s in out['executionSummaries']],
                         [thing_arn(things[2])])
        rc, out, err = self.aws('iot', 'describe-job-execution', '--job-id', jid,
                                '--thing-name', things[0], check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('ResourceNotFoundException', err)

    def test_list_things_paginates(self):
        names = sorted(self.name('clp') for _ in range(5))
        for n in names:
            self.iot.create_thing(thingName=n)
        rc, out, err = self.aws('iot', 'list-things', '--page-size', '2')
        self.assertEqual([t['thingName'] for t in out['things']], names)
        rc, out, err = self.aws('iot', 'list-things', '--max-items', '3')
        self.assertEqual([t['thingName'] for t in out['things']], names[:3])
        self.assertIn('NextToken', out)

    def test_groups_and_continuous_job(self):
        g = self.name('clig')
        t = self.name('clit')
        self.aws('iot', 'create-thing-group', '--thing-group-name', g)
        self.aws('iot', 'create-thing', '--thing-name', t)
        jid = self.name('clic')
        self.aws('iot', 'create-job', '--job-id', jid, '--targets',
                 harness.group_arn(g), '--document', '{}', '--target-selection', 'CONTINUOUS')
        rc, out, err = self.aws('iot', 'add-thing-to-thing-group', '--thing-group-name', g,
                                '--thing-name', t)
        self.assertEqual(rc, 0)
        self.assertIsNone(out)
        rc, out, err = self.aws('iot', 'list-job-executions-for-thing', '--thing-name', t)
        self.assertEqual([s['jobId'] for s in out['executionSummaries']], [jid])
        rc, out, err = self.aws('iot', 'list-things-in-thing-group', '--thing-group-name', g)
        self.assertEqual(out['things'], [t])
        rc, out, err = self.aws('iot', 'cancel-job', '--job-id', jid, '--reason-code', 'STOP')
        self.assertEqual(out['jobId'], jid)
        rc, out, err = self.aws('iot', 'describe-job-execution', '--job-id', jid,
                                '--thing-name', t)
        self.assertEqual(out['execution']['status'], 'CANCELED')
        self.assertEqual(out['execution']['thingArn'], thing_arn(t))


if __name__ == '__main__':
    harness.main()
