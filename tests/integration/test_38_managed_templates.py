"""AWS managed job templates: ListManagedJobTemplates, DescribeManagedJobTemplate, and CreateJob
with a managed template's ARN and documentParameters (substituted into the document, validated:
missing, unknown, pattern), through boto3 and the aws CLI.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import REGION, thing_arn  # noqa: E402

NAMES = ['AWS-Download-File', 'AWS-Install-Application', 'AWS-Reboot', 'AWS-Remove-Application',
         'AWS-Restart-Application', 'AWS-Run-Command', 'AWS-Start-Application',
         'AWS-Stop-Application']


def managed_arn(name, version='1.0'):
    return 'arn:aws:iot:%s::jobtemplate/%s:%s' % (REGION, name, version)


class ManagedTemplates(harness.JobsdTestCase):

    def test_list(self):
        got = self.iot.list_managed_job_templates()['managedJobTemplates']
        self.assertEqual([t['templateName'] for t in got], NAMES)
        for t in got:
            self.assertEqual(set(t), {'templateArn', 'templateName', 'description',
                                      'environments', 'templateVersion'})
            self.assertEqual(t['templateArn'], managed_arn(t['templateName']))
            self.assertEqual(t['environments'], ['LINUX'])
            self.assertEqual(t['templateVersion'], '1.0')
        reboot = [t for t in got if t['templateName'] == 'AWS-Reboot'][0]
        self.assertEqual(reboot['description'], 'A managed job template for rebooting the device.')
        # by name, and in pages
        one = self.iot.list_managed_job_templates(templateName='AWS-Reboot')
        self.assertEqual([t['templateName'] for t in one['managedJobTemplates']], ['AWS-Reboot'])
        self.assertNotIn('nextToken', one)
        pages = harness.all_pages(self.iot.list_managed_job_templates, 'managedJobTemplates',
                                  maxResults=3)
        self.assertEqual([t['templateName'] for t in pages], NAMES)
        self.assertAwsError(self.iot.list_managed_job_templates, 'ResourceNotFoundException',
                            404, templateName='AWS-Nope')

    def test_describe(self):
        got = harness.strip(self.iot.describe_managed_job_template(
            templateName='AWS-Download-File'))
        self.assertEqual(got['templateArn'], managed_arn('AWS-Download-File'))
        self.assertEqual(got['description'], 'A managed job template for downloading a file.')
        self.assertEqual([p['key'] for p in got['documentParameters']],
                         ['downloadUrl', 'filePath', 'runAsUser', 'pathToHandler'])
        first = got['documentParameters'][0]
        self.assertEqual(first, {'key': 'downloadUrl', 'description': 'URL of file to download.',
                                 'regex': '(.*?)', 'example': 'http://www.example.com/index.html',
                                 'optional': False})
        self.assertIs(got['documentParameters'][2]['optional'], True)
        doc = json.loads(got['document'])
        action = doc['steps'][0]['action']
        self.assertEqual(action['name'], 'Download-File')
        self.assertEqual(action['input']['args'], ['${aws:iot:parameter:downloadUrl}',
                                                   '${aws:iot:parameter:filePath}'])
        v = self.iot.describe_managed_job_template(templateName='AWS-Reboot',
                                                   templateVersion='1.0')
        self.assertEqual(v['templateVersion'], '1.0')
        self.assertAwsError(self.iot.describe_managed_job_template,
                            'ResourceNotFoundException', 404, templateName='AWS-Reboot',
                            templateVersion='9.9')
        self.assertAwsError(self.iot.describe_managed_job_template,
                            'ResourceNotFoundException', 404, templateName='Nope')

    def test_create_job_substitutes(self):
        t = self.create_thing()
        jid = self.name('job')
        got = self.iot.create_job(jobId=jid, targets=[thing_arn(t)],
                                  jobTemplateArn=managed_arn('AWS-Download-File'),
                                  documentParameters={'downloadUrl': 'https://example.com/a "b"',
                                                      'filePath': '/tmp/x'})
        self.assertEqual(got['description'], 'A managed job template for downloading a file.')
        doc = json.loads(self.iot.get_job_document(jobId=jid)['document'])
        action = doc['steps'][0]['action']
        self.assertEqual(action['input']['args'], ['https://example.com/a "b"', '/tmp/x'])
        # optional parameters not given become empty
        self.assertEqual(action['input']['path'], '')
        self.assertEqual(action['runAsUser'], '')
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['jobTemplateArn'], managed_arn('AWS-Download-File'))
        # the device gets the substituted document
        x = self.data.describe_job_execution(jobId=jid, thingName=t, includeJobDocument=True)
        self.assertEqual(json.loads(x['execution']['jobDocument']), doc)
        # a template without required parameters, no documentParameters
        jid2 = self.name('job')
        self.iot.create_job(jobId=jid2, targets=[thing_arn(t)],
                            jobTemplateArn=managed_arn('AWS-Reboot'))
        doc2 = json.loads(self.iot.get_job_document(jobId=jid2)['document'])
        self.assertEqual(doc2['steps'][0]['action']['input']['handler'], 'reboot.sh')

    def test_create_job_errors(self):
        t = self.create_thing()
        arn = managed_arn('AWS-Install-Application')

        def create(**kw):
            return self.iot.create_job(jobId=self.name('job'), targets=[thing_arn(t)], **kw)
        e = self.assertAwsError(create, 'InvalidRequestException', 400, jobTemplateArn=arn)
        self.assertIn('packages', e.response['Error']['Message'])
        e = self.assertAwsError(create, 'InvalidRequestException', 400, jobTemplateArn=arn,
                                documentParameters={'packages': 'vim', 'colour': 'red'})
        self.assertIn('colour', e.response['Error']['Message'])
        e = self.assertAwsError(create, 'InvalidRequestException', 400, jobTemplateArn=arn,
                                documentParameters={'packages': 'vim', 'runAsUser': 'u' * 300})
        self.assertIn('runAsUser', e.response['Error']['Message'])
        self.assertAwsError(create, 'ResourceNotFoundException', 404,
                            jobTemplateArn=managed_arn('AWS-Nope'))
        self.assertAwsError(create, 'ResourceNotFoundException', 404,
                            jobTemplateArn=managed_arn('AWS-Reboot', '7.0'))
        self.assertAwsError(create, 'InvalidRequestException', 400, jobTemplateArn=arn,
                            document='{}', documentParameters={'packages': 'vim'})
        # documentParameters with a custom template or without one
        self.iot.create_job_template(jobTemplateId='custom', description='d', document='{}')
        custom = self.iot.describe_job_template(jobTemplateId='custom')['jobTemplateArn']
        self.assertAwsError(create, 'InvalidRequestException', 400, jobTemplateArn=custom,
                            documentParameters={'packages': 'vim'})
        self.assertAwsError(create, 'InvalidRequestException', 400, document='{}',
                            documentParameters={'packages': 'vim'})
        # nothing was created
        self.assertEqual(self.iot.list_jobs()['jobs'], [])

    def test_aws_cli(self):
        t = self.create_thing()
        _, out, _ = self.jobsd.aws('iot', 'list-managed-job-templates')
        self.assertEqual([x['templateName'] for x in out['managedJobTemplates']], NAMES)
        _, out, _ = self.jobsd.aws('iot', 'describe-managed-job-template', '--template-name',
                                   'AWS-Run-Command')
        self.assertEqual([p['key'] for p in out['documentParameters']],
                         ['command', 'runAsUser'])
        jid = self.name('job')
        _, out, _ = self.jobsd.aws('iot', 'create-job', '--job-id', jid, '--targets',
                                   thing_arn(t), '--job-template-arn',
                                   managed_arn('AWS-Run-Command'), '--document-parameters',
                                   'command=ls -l /tmp,runAsUser=root')
        self.assertEqual(out['jobId'], jid)
        doc = json.loads(self.iot.get_job_document(jobId=jid)['document'])
        self.assertEqual(doc['steps'][0]['action']['input']['command'], 'ls -l /tmp')
        self.assertEqual(doc['steps'][0]['action']['runAsUser'], 'root')
        rc, _, err = self.jobsd.aws('iot', 'create-job', '--job-id', self.name('job'),
                                    '--targets', thing_arn(t), '--job-template-arn',
                                    managed_arn('AWS-Run-Command'), check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('InvalidRequestException', err)


if __name__ == '__main__':
    harness.main()
