"""Tags (issue 12): TagResource, UntagResource, ListTagsForResource on jobs, job
templates, thing groups and thing types; `tags` on their Create calls; AWS's limits
(50 tags, key 1..128, value 0..256, the reserved aws: prefix); a resource's tags go with
it."""

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import JobsdTestCase, sqlite_only, group_arn, job_arn  # noqa: E402


def arn(kind, name):
    return 'arn:aws:iot:%s:%s:%s/%s' % (harness.REGION, harness.ACCOUNT, kind, name)


def tags(n, prefix='k'):
    return [{'Key': '%s%02d' % (prefix, i), 'Value': 'v%d' % i} for i in range(n)]


class Tags(JobsdTestCase):

    def list_tags(self, resource):
        return self.iot.list_tags_for_resource(resourceArn=resource)['tags']

    def resources(self):
        """One of each taggable kind, each created with a tag; their ARNs."""
        thing = self.create_thing()
        group = self.create_group(tags=[{'Key': 'made', 'Value': 'thinggroup'}])
        job = self.create_job(targets=[harness.thing_arn(thing)],
                              tags=[{'Key': 'made', 'Value': 'job'}])
        tpl = self.name('tpl')
        self.iot.create_job_template(jobTemplateId=tpl, description='d', document='{}',
                                     tags=[{'Key': 'made', 'Value': 'jobtemplate'}])
        typ = self.name('type')
        self.iot.create_thing_type(thingTypeName=typ,
                                   tags=[{'Key': 'made', 'Value': 'thingtype'}])
        return {'thinggroup': group_arn(group), 'job': job_arn(job),
                'jobtemplate': arn('jobtemplate', tpl), 'thingtype': arn('thingtype', typ)}

    def test_tags_on_create_then_tag_untag_list(self):
        for kind, res in self.resources().items():
            self.assertEqual(self.list_tags(res), [{'Key': 'made', 'Value': kind}], kind)
            self.iot.tag_resource(resourceArn=res, tags=[
                {'Key': 'team', 'Value': 'fw'}, {'Key': 'made', 'Value': 'again'},
                {'Key': 'empty', 'Value': ''}, {'Key': 'ünïcode é', 'Value': 'ök'}])
            self.assertEqual(self.list_tags(res), [
                {'Key': 'empty', 'Value': ''}, {'Key': 'made', 'Value': 'again'},
                {'Key': 'team', 'Value': 'fw'}, {'Key': 'ünïcode é', 'Value': 'ök'}], kind)
            # keys it does not have are ignored
            self.iot.untag_resource(resourceArn=res, tagKeys=['made', 'absent'])
            self.assertEqual([t['Key'] for t in self.list_tags(res)],
                             ['empty', 'team', 'ünïcode é'], kind)

    def test_unknown_resource_is_404_and_bad_arn_400(self):
        for res in (arn('job', 'nope'), arn('jobtemplate', 'nope'), arn('thinggroup', 'nope'),
                    arn('thingtype', 'nope'),
                    'arn:aws:iot:%s:999999999999:thinggroup/x' % harness.REGION):
            self.assertAwsError(lambda: self.list_tags(res), 'ResourceNotFoundException', 404)
            self.assertAwsError(lambda: self.iot.tag_resource(resourceArn=res, tags=tags(1)),
                                'ResourceNotFoundException', 404)
            self.assertAwsError(lambda: self.iot.untag_resource(resourceArn=res, tagKeys=['k']),
                                'ResourceNotFoundException', 404)
        thing = self.create_thing()
        for res in ('not-an-arn', harness.thing_arn(thing), arn('policy', 'p'),
                    'arn:aws:s3:::bucket/key'):
            self.assertAwsError(lambda: self.list_tags(res), 'InvalidRequestException', 400)
            self.assertAwsError(lambda: self.iot.tag_resource(resourceArn=res, tags=tags(1)),
                                'InvalidRequestException', 400)

    def test_limits(self):
        res = group_arn(self.create_group())
        # botocore refuses an empty key itself: send it raw
        status, h, body = self.jobsd.raw_json('POST', '/tags', {
            'resourceArn': res, 'tags': [{'Key': '', 'Value': 'v'}]})
        self.assertEqual((status, h.get('x-amzn-errortype', '').split(':')[0]),
                         (400, 'InvalidRequestException'), body)
        bad = (
            [{'Key': 'k' * 129, 'Value': 'v'}],
            [{'Key': 'k', 'Value': 'v' * 257}],
            [{'Key': 'bad#key', 'Value': 'v'}],
            [{'Key': 'aws:owner', 'Value': 'v'}],
            [{'Key': 'AWS:owner', 'Value': 'v'}],
            tags(51),
        )
        for t in bad:
            self.assertAwsError(lambda: self.iot.tag_resource(resourceArn=res, tags=t),
                                'InvalidRequestException', 400)
            self.assertAwsError(lambda: self.iot.create_thing_group(
                thingGroupName=self.name('g'), tags=t), 'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.untag_resource(resourceArn=res,
                                                            tagKeys=['aws:owner']),
                            'InvalidRequestException', 400)
        self.assertEqual(self.list_tags(res), [])
        self.iot.tag_resource(resourceArn=res, tags=[{'Key': 'k' * 128, 'Value': 'v' * 256}])
        self.iot.tag_resource(resourceArn=res, tags=tags(49))
        self.assertEqual(len(self.list_tags(res)), 50)
        # replacing values at the limit is fine; one more key is not, and changes nothing
        self.iot.tag_resource(resourceArn=res, tags=tags(49, 'k'))
        self.assertAwsError(lambda: self.iot.tag_resource(resourceArn=res, tags=[
            {'Key': 'k00', 'Value': 'changed'}, {'Key': 'one-more', 'Value': 'v'}]),
            'LimitExceededException', 410)
        got = self.list_tags(res)
        self.assertEqual(len(got), 50)
        self.assertEqual(got[0], {'Key': 'k00', 'Value': 'v0'})
        # a create over the limit is refused whole (nothing is created)
        tid = self.name('tpl')
        self.assertAwsError(lambda: self.iot.create_job_template(
            jobTemplateId=tid, description='d', document='{}', tags=tags(51)),
            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.describe_job_template(jobTemplateId=tid),
                            'ResourceNotFoundException', 404)

    def test_pagination(self):
        res = arn('thingtype', self.iot.create_thing_type(
            thingTypeName=self.name('type'), tags=tags(50))['thingTypeName'])
        self.assertEqual(self.iot.list_tags_for_resource(resourceArn=res)['tags'], tags(50))
        # jobsd takes maxResults (AWS's model has none): pages of 20 chain by nextToken
        q = urllib.parse.quote(res, safe='')
        got, token = [], None
        while True:
            path = '/tags?resourceArn=%s&maxResults=20' % q
            if token:
                path += '&nextToken=' + urllib.parse.quote(token, safe='')
            status, _, body = self.jobsd.raw_json('GET', path)
            self.assertEqual(status, 200, body)
            got += body['tags']
            token = body.get('nextToken')
            if not token:
                break
        self.assertEqual(got, tags(50))
        # boto3's paginator follows the same tokens
        pages = list(self.iot.get_paginator('list_tags_for_resource').paginate(resourceArn=res))
        self.assertEqual([t for p in pages for t in p['tags']], tags(50))
        self.assertAwsError(lambda: self.iot.list_tags_for_resource(resourceArn=res,
                                                                    nextToken='forged'),
                            'InvalidRequestException', 400)

    def test_deleting_a_resource_deletes_its_tags(self):
        res = self.resources()
        name = res['thinggroup'].rsplit('/', 1)[1]
        self.iot.delete_thing_group(thingGroupName=name)
        self.iot.create_thing_group(thingGroupName=name)
        self.assertEqual(self.list_tags(res['thinggroup']), [])
        tpl = res['jobtemplate'].rsplit('/', 1)[1]
        self.iot.delete_job_template(jobTemplateId=tpl)
        self.iot.create_job_template(jobTemplateId=tpl, description='d', document='{}')
        self.assertEqual(self.list_tags(res['jobtemplate']), [])
        typ = res['thingtype'].rsplit('/', 1)[1]
        self.iot.deprecate_thing_type(thingTypeName=typ)
        self.jobsd.advance_clock(301)
        self.iot.delete_thing_type(thingTypeName=typ)
        self.assertAwsError(lambda: self.list_tags(res['thingtype']),
                            'ResourceNotFoundException', 404)
        self.iot.create_thing_type(thingTypeName=typ)
        self.assertEqual(self.list_tags(res['thingtype']), [])
        job = res['job'].rsplit('/', 1)[1]
        self.iot.cancel_job(jobId=job, force=True)
        self.iot.delete_job(jobId=job, force=True)

        def gone():
            self.assertAwsError(lambda: self.iot.describe_job(jobId=job),
                                'ResourceNotFoundException', 404)
        self.eventually(gone)
        self.create_job(job, targets=[harness.thing_arn(self.create_thing())])
        self.assertEqual(self.list_tags(res['job']), [])

    @sqlite_only('the CLI speaks to the same handlers whatever the store: run it once')
    def test_cli(self):
        res = group_arn(self.create_group())
        self.jobsd.aws('iot', 'tag-resource', '--resource-arn', res,
                       '--tags', 'Key=env,Value=prod', 'Key=team,Value=fw')
        self.assertEqual(self.list_tags(res), [{'Key': 'env', 'Value': 'prod'},
                                               {'Key': 'team', 'Value': 'fw'}])


if __name__ == '__main__':
    harness.main()
