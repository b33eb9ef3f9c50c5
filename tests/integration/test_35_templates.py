"""Job templates (spec §4.3) and CreateJob from a template (jobTemplateArn)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import JobsdTestCase, job_arn, thing_arn  # noqa: E402


def template_arn(tid):
    return 'arn:aws:iot:%s:%s:jobtemplate/%s' % (harness.REGION, harness.ACCOUNT, tid)


class Templates(JobsdTestCase):

    def create_template(self, tid=None, **kw):
        tid = tid or self.name('tpl')
        kw.setdefault('description', 'template ' + tid)
        if 'jobArn' not in kw:
            kw.setdefault('document', '{"op":"from-template"}')
        out = self.iot.create_job_template(jobTemplateId=tid, **kw)
        self.assertEqual(out['jobTemplateId'], tid)
        self.assertEqual(out['jobTemplateArn'], template_arn(tid))
        return tid

    def test_create_describe_round_trip(self):
        tid = self.create_template(timeoutConfig={'inProgressTimeoutInMinutes': 30},
                                   jobExecutionsRetryConfig={'criteriaList': [
                                       {'failureType': 'FAILED', 'numberOfRetries': 2}]},
                                   maintenanceWindows=[{'startTime': 'cron(0 0 * * ? *)',
                                                        'durationInMinutes': 60}])
        d = self.iot.describe_job_template(jobTemplateId=tid)
        self.assertEqual(d['jobTemplateId'], tid)
        self.assertEqual(d['jobTemplateArn'], template_arn(tid))
        self.assertEqual(d['description'], 'template ' + tid)
        self.assertEqual(d['document'], '{"op":"from-template"}')
        self.assertEqual(d['timeoutConfig'], {'inProgressTimeoutInMinutes': 30})
        self.assertEqual(d['jobExecutionsRetryConfig']['criteriaList'][0]['numberOfRetries'], 2)
        self.assertEqual(d['maintenanceWindows'][0]['durationInMinutes'], 60)
        self.assertIn('createdAt', d)

    def test_duplicate_is_conflict(self):
        tid = self.create_template()
        e = self.assertAwsError(lambda: self.create_template(tid), 'ConflictException', 409)
        self.assertEqual(e.response.get('resourceId'), tid)

    def test_validation(self):
        self.assertAwsError(lambda: self.iot.create_job_template(
            jobTemplateId='bad id', description='d', document='{}'), 'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_job_template(
            jobTemplateId=self.name('tpl'), description='d'), 'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_job_template(
            jobTemplateId=self.name('tpl'), description='d', document='[1]'),
            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_job_template(
            jobTemplateId=self.name('tpl'), description='d', document='{}',
            timeoutConfig={'inProgressTimeoutInMinutes': 0}), 'InvalidRequestException', 400)
        self.assertEqual(self.iot.list_job_templates()['jobTemplates'], [])

    def test_unknown_is_404(self):
        self.assertAwsError(lambda: self.iot.describe_job_template(jobTemplateId='nope'),
                            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.delete_job_template(jobTemplateId='nope'),
                            'ResourceNotFoundException', 404)

    def test_list_paginates_and_delete(self):
        ids = sorted(self.create_template('tpl-%d' % i) for i in range(5))
        seen, token = [], None
        while True:
            kw = {'maxResults': 2}
            if token:
                kw['nextToken'] = token
            page = self.iot.list_job_templates(**kw)
            seen += [t['jobTemplateId'] for t in page['jobTemplates']]
            token = page.get('nextToken')
            if not token:
                break
        self.assertEqual(seen, ids)
        self.iot.delete_job_template(jobTemplateId=ids[0])
        self.assertNotIn(ids[0], [t['jobTemplateId']
                                  for t in self.iot.list_job_templates()['jobTemplates']])

    def test_from_job(self):
        t = self.create_thing()
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t)], document='{"src":"job"}',
                            timeoutConfig={'inProgressTimeoutInMinutes': 15})
        tid = self.create_template(jobArn=job_arn(jid))
        d = self.iot.describe_job_template(jobTemplateId=tid)
        self.assertEqual(d['document'], '{"src":"job"}')
        self.assertEqual(d['timeoutConfig'], {'inProgressTimeoutInMinutes': 15})
        self.assertAwsError(lambda: self.create_template(jobArn=job_arn('missing')),
                            'ResourceNotFoundException', 404)

    def test_create_job_from_template(self):
        t = self.create_thing()
        tid = self.create_template(timeoutConfig={'inProgressTimeoutInMinutes': 30})
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t)], jobTemplateArn=template_arn(tid))
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['jobTemplateArn'], template_arn(tid))
        self.assertEqual(job['timeoutConfig'], {'inProgressTimeoutInMinutes': 30})
        self.assertEqual(self.iot.get_job_document(jobId=jid)['document'],
                         '{"op":"from-template"}')
        # the template's in-progress timeout acts on the job's executions
        ex = self.data.start_next_pending_job_execution(thingName=t)['execution']
        self.assertEqual(ex['approximateSecondsBeforeTimedOut'], 1800)
        # request members override the template
        jid2 = self.name('job')
        self.iot.create_job(jobId=jid2, targets=[thing_arn(t)], jobTemplateArn=template_arn(tid),
                            document='{"op":"own"}',
                            timeoutConfig={'inProgressTimeoutInMinutes': 5})
        self.assertEqual(self.iot.get_job_document(jobId=jid2)['document'], '{"op":"own"}')
        self.assertEqual(self.iot.describe_job(jobId=jid2)['job']['timeoutConfig'],
                         {'inProgressTimeoutInMinutes': 5})
        # deleting the template does not affect jobs made from it
        self.iot.delete_job_template(jobTemplateId=tid)
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'IN_PROGRESS')

    def test_unknown_template_on_create_job(self):
        t = self.create_thing()
        self.assertAwsError(lambda: self.iot.create_job(
            jobId=self.name('job'), targets=[thing_arn(t)],
            jobTemplateArn=template_arn('missing')), 'ResourceNotFoundException', 404)
        self.assertEqual(self.iot.list_jobs()['jobs'], [])


if __name__ == '__main__':
    harness.main()
