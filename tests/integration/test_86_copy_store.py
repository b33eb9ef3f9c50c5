"""jobsd copy-store: a stopped deployment's whole state, SQLite -> PostgreSQL and back.

The data is made through the API (thing types, one deprecated; things with
attributes, some with a type; a group tree with members; a dynamic group and its
members; tags on a job, a template, a static and a dynamic group and a thing type;
a template, jobs with documents and configurations, executions in several
states with status details, a retried execution (executionNumber 2), a paced rollout
with things still waiting, a continuous job on a group). Everything the API shows is
read before the copy and again from a jobsd on the copy, and must be equal; the copy
back to a new SQLite file too. Also: a non-empty target is refused (exit 3) unless
--force, usage errors exit 2, a missing source exits 1, and the PostgreSQL password
never appears in the output.

The test uses both stores itself, so it runs once (under integ_test_86_copy_store);
integ_pg_test_86_copy_store skips it.
"""

import json
import os
import subprocess
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import pgkit  # noqa: E402
from harness import all_pages, eventually, strip, thing_arn, group_arn, job_arn  # noqa: E402

PASSWORD = 'pw-Zq81x'   # trust auth ignores it; it must never be printed
DYN_QUERY = 'attributes.site:s0'


def arn(kind, name):
    return 'arn:aws:iot:%s:%s:%s/%s' % (harness.REGION, harness.ACCOUNT, kind, name)


def tags_of(iot, resource_arn):
    return sorted((t['Key'], t['Value']) for t in
                  all_pages(iot.list_tags_for_resource, 'tags', resourceArn=resource_arn))


class OnStore(harness.Jobsd):
    """A jobsd on a given --store."""

    def __init__(self, spec, data_dir, **kw):
        os.makedirs(data_dir, exist_ok=True)
        super().__init__(data_dir=data_dir, extra_args=('--admin-listen', '127.0.0.1:0'), **kw)
        self.spec = spec

    def admin(self, method, path):
        """The admin listener's JSON answer to an unauthenticated loopback call."""
        status, _, raw = harness.admin_request(self, method, path)
        body = json.loads(raw)
        assert status == 200, (method, path, status, body)
        return body

    def store_spec(self):
        return self.spec


def copy_store(*args):
    bin_ = os.path.abspath(os.environ.get('JOBSD_BIN') or harness.DEFAULT_BIN)
    r = subprocess.run([bin_, 'copy-store'] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def table(out):
    """copy-store's report: {table: (source, target)}."""
    rows = {}
    for line in out.splitlines():
        parts = line.rsplit(None, 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            rows[parts[0].strip()] = (int(parts[1]), int(parts[2]))
    return rows


def snapshot(j):
    """Everything the API shows of the deployment, in a comparable form."""
    iot, data = j.iot(), j.jobs_data()
    snap = {}
    types = sorted(t['thingTypeName'] for t in all_pages(iot.list_thing_types, 'thingTypes'))
    snap['types'] = {t: strip(iot.describe_thing_type(thingTypeName=t)) for t in types}
    snap['typed'] = {t: sorted(x['thingName'] for x in all_pages(
        iot.list_things, 'things', thingTypeName=t)) for t in types}
    things = sorted(t['thingName'] for t in all_pages(iot.list_things, 'things'))
    snap['things'] = {t: strip(iot.describe_thing(thingName=t)) for t in things}
    groups = sorted(g['groupName'] for g in all_pages(iot.list_thing_groups, 'thingGroups'))
    snap['groups'] = {}
    for g in groups:
        d = strip(iot.describe_thing_group(thingGroupName=g))
        d['members'] = all_pages(iot.list_things_in_thing_group, 'things', thingGroupName=g)
        snap['groups'][g] = d
    snap['templates'] = {
        t['jobTemplateId']: strip(iot.describe_job_template(jobTemplateId=t['jobTemplateId']))
        for t in all_pages(iot.list_job_templates, 'jobTemplates')}
    jobs = all_pages(iot.list_jobs, 'jobs')
    snap['tags'] = {a: tags_of(iot, a) for a in
                    [arn('thingtype', t) for t in types] + [group_arn(g) for g in groups] +
                    [arn('jobtemplate', t) for t in snap['templates']] +
                    [job_arn(x['jobId']) for x in jobs]}
    snap['job_order'] = [x['jobId'] for x in jobs]
    snap['jobs'] = {}
    for x in jobs:
        jid = x['jobId']
        d = strip(iot.describe_job(jobId=jid))
        d['document'] = iot.get_job_document(jobId=jid)['document']
        execs = all_pages(iot.list_job_executions_for_job, 'executionSummaries', jobId=jid)
        d['executions'] = execs
        d['described'] = [
            strip(iot.describe_job_execution(
                jobId=jid, thingName=e['thingArn'].rsplit('/', 1)[1],
                executionNumber=e['jobExecutionSummary']['executionNumber']))
            for e in execs]
        snap['jobs'][jid] = d
        # jobsd's own extensions (issue 14): the timeline and the pause travel too
        d['timeline'] = j.admin('GET', '/api/jobs/%s/timeline' % jid)['events']
        rollout = j.admin('GET', '/api/jobs/%s/rollout' % jid)
        d['paused'] = (rollout['paused'], rollout['pausedAt'])
    snap['per_thing'] = {}
    for t in things:
        snap['per_thing'][t] = {
            'list': all_pages(iot.list_job_executions_for_thing, 'executionSummaries',
                              thingName=t),
            'pending': strip(data.get_pending_job_executions(thingName=t)),
        }
    return harness.clean(snap)   # without the clock-dependent seconds before a timeout


@unittest.skipIf(harness.STORE == 'postgres',
                 'uses SQLite and PostgreSQL itself: runs once, under integ_test_86')
class CopyStore(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='jobsd-it-')
        cls.pg = pgkit.shared_server()
        cls.pg.create_db('copy_a')
        cls.pg_uri = cls.pg.uri('copy_a').replace('://jobsd@', '://jobsd:%s@' % PASSWORD)
        cls.src = 'sqlite:' + os.path.join(cls.tmp, 'src.db')
        cls.back = 'sqlite:' + os.path.join(cls.tmp, 'back.db')
        with OnStore(cls.src, data_dir=os.path.join(cls.tmp, 'a')) as j:
            cls.populate(j)
            cls.before = snapshot(j)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        cls.pg.drop_db('copy_a')

    @classmethod
    def populate(cls, j):
        iot, data = j.iot(), j.jobs_data()
        iot.create_thing_type(thingTypeName='sensor', tags=[{'Key': 'team', 'Value': 'hw'}],
                              thingTypeProperties={'thingTypeDescription': 'a sensor',
                                                   'searchableAttributes': ['site']})
        iot.create_thing_type(thingTypeName='legacy')
        for i in range(12):
            kw = {'thingName': 'dev-%02d' % i,
                  'attributePayload': {'attributes': {'site': 's%d' % (i % 3), 'n': str(i)}}}
            if i < 3:
                kw['thingTypeName'] = 'legacy' if i == 2 else 'sensor'
            iot.create_thing(**kw)
        iot.deprecate_thing_type(thingTypeName='legacy')
        iot.create_thing_group(thingGroupName='fleet',
                               thingGroupProperties={'thingGroupDescription': 'all of them'})
        iot.create_thing_group(thingGroupName='east', parentGroupName='fleet')
        for i in range(12):
            iot.add_thing_to_thing_group(thingGroupName='east' if i < 6 else 'fleet',
                                         thingName='dev-%02d' % i)
        iot.tag_resource(resourceArn=group_arn('fleet'), tags=[{'Key': 'env', 'Value': 'prod'}])
        iot.create_dynamic_thing_group(
            thingGroupName='site-0', queryString=DYN_QUERY,
            thingGroupProperties={'thingGroupDescription': 'site s0'},
            tags=[{'Key': 'ring', 'Value': 'canary'}, {'Key': 'empty', 'Value': ''}])
        iot.create_job_template(jobTemplateId='tmpl-1', description='a template',
                                document='{"op":"from-template"}',
                                tags=[{'Key': 'kind', 'Value': 'ota'}])
        # a snapshot job with timeouts and retries: executions in several states
        iot.create_job(
            jobId='job-a', targets=[thing_arn('dev-%02d' % i) for i in range(6)],
            document='{"op":"update","v":0.35,"big":12345678901234567}',
            description='first', timeoutConfig={'inProgressTimeoutInMinutes': 60},
            jobExecutionsRetryConfig={'criteriaList': [
                {'failureType': 'FAILED', 'numberOfRetries': 2}]})
        data.start_next_pending_job_execution(thingName='dev-00',
                                              statusDetails={'step': 'download'})
        data.update_job_execution(jobId='job-a', thingName='dev-01', status='SUCCEEDED',
                                  statusDetails={'result': 'ok'})
        data.update_job_execution(jobId='job-a', thingName='dev-02', status='REJECTED')
        data.update_job_execution(jobId='job-a', thingName='dev-03', status='FAILED')
        eventually(lambda: iot.describe_job_execution(
            jobId='job-a', thingName='dev-03', executionNumber=2))
        iot.tag_resource(resourceArn=job_arn('job-a'), tags=[
            {'Key': 'owner', 'Value': 'ops'}, {'Key': 'ticket', 'Value': 'CHG-1 "x"/y'}])
        # a continuous job on a group (a job group target)
        iot.create_job(jobId='job-cont', targets=[group_arn('east')], document='{"op":"c"}',
                       targetSelection='CONTINUOUS')
        # a paced rollout: most things still wait in the rollout queue
        iot.create_job(jobId='job-paced', targets=[group_arn('fleet')], document='{"op":"p"}',
                       jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        # paused by an operator (issue 14): its timeline holds the pause
        paused = j.admin('POST', '/api/jobs/job-paced/pause')
        assert paused['paused'] is True, paused
        # from the template, then canceled
        iot.create_job(jobId='job-t', jobTemplateArn=iot.describe_job_template(
            jobTemplateId='tmpl-1')['jobTemplateArn'], targets=[thing_arn('dev-07')])
        iot.cancel_job(jobId='job-t', reasonCode='NO_LONGER_NEEDED', comment='changed plan')

    def run_on(self, spec, name):
        with OnStore(spec, data_dir=os.path.join(self.tmp, name)) as j:
            return snapshot(j)

    def test_0_the_source_holds_what_the_copy_must_carry(self):
        b = self.before
        self.assertTrue(b['types']['legacy']['thingTypeMetadata']['deprecated'])
        self.assertIn('deprecationDate', b['types']['legacy']['thingTypeMetadata'])
        self.assertFalse(b['types']['sensor']['thingTypeMetadata']['deprecated'])
        self.assertEqual(b['typed'], {'sensor': ['dev-00', 'dev-01'], 'legacy': ['dev-02']})
        self.assertEqual(b['things']['dev-02']['thingTypeName'], 'legacy')
        dyn = b['groups']['site-0']
        self.assertEqual((dyn['queryString'], dyn['indexName'], dyn['queryVersion']),
                         (DYN_QUERY, 'AWS_Things', '2017-09-30'))
        self.assertEqual(sorted(dyn['members']), ['dev-00', 'dev-03', 'dev-06', 'dev-09'])
        self.assertNotIn('queryString', b['groups']['fleet'])
        self.assertEqual(b['tags'][job_arn('job-a')],
                         [('owner', 'ops'), ('ticket', 'CHG-1 "x"/y')])
        self.assertEqual(b['tags'][arn('jobtemplate', 'tmpl-1')], [('kind', 'ota')])
        self.assertEqual(b['tags'][group_arn('fleet')], [('env', 'prod')])
        self.assertEqual(b['tags'][group_arn('site-0')], [('empty', ''), ('ring', 'canary')])
        self.assertEqual(b['tags'][arn('thingtype', 'sensor')], [('team', 'hw')])
        self.assertEqual(sum(len(v) for v in b['tags'].values()), 7)
        # the extensions' state the copy must carry: a pause and the timelines
        self.assertTrue(b['jobs']['job-paced']['paused'][0])
        self.assertEqual([e['event'] for e in b['jobs']['job-paced']['timeline']][-1], 'PAUSED')
        self.assertIn('CANCELED', [e['event'] for e in b['jobs']['job-t']['timeline']])
        self.assertFalse(b['jobs']['job-a']['paused'][0])

    def test_1_sqlite_to_postgres_and_back(self):
        rc, out, err = copy_store('--from', self.src, '--to', self.pg_uri)
        self.assertEqual(rc, 0, out + err)
        self.assertIn('copied and verified', out)
        self.assertNotIn(PASSWORD, out + err)
        self.assertNotIn('MISMATCH', out)
        t = table(out)
        self.assertEqual(t['thing types'], (2, 2))
        self.assertEqual(t['things'], (12, 12))
        self.assertEqual(t['thing groups'], (3, 3))
        self.assertEqual(t['dynamic groups'], (1, 1))
        self.assertEqual(t['group memberships'], (16, 16))   # 12 static, 4 dynamic
        self.assertEqual(t['tags'], (7, 7))
        self.assertEqual(t['job templates'], (1, 1))
        self.assertEqual(t['jobs'], (4, 4))
        self.assertEqual(t['job group targets'], (2, 2))
        self.assertGreater(t['rollout queue'][0], 0)
        self.assertEqual(t['rollout queue'][0], t['rollout queue'][1])
        self.assertGreater(t['meta'][0], 0)
        self.assertEqual(t['meta'][0], t['meta'][1])
        self.assertEqual(t['paused jobs'], (1, 1))
        self.assertGreaterEqual(t['timeline events'][0], 8)   # CREATED per job, and more
        self.assertEqual(t['timeline events'][0], t['timeline events'][1])
        self.assertEqual(t['fan-out cursors'], (0, 0))      # none left unfinished
        self.assertEqual(self.run_on(self.pg_uri, 'b'), self.before)

        rc, out, err = copy_store('--from', self.pg_uri, '--to', self.back)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn(PASSWORD, out + err)
        t = table(out)
        for name in ('thing types', 'dynamic groups', 'tags', 'group memberships',
                     'paused jobs', 'timeline events'):
            self.assertEqual(t[name][0], t[name][1], name)
        self.assertEqual(t['tags'], (7, 7))
        self.assertEqual(self.run_on(self.back, 'c'), self.before)

    def test_2_non_empty_target_refused_unless_force(self):
        rc, out, err = copy_store('--from', self.src, '--to', self.pg_uri)
        if rc == 0:   # test_1 did not run first: now it is non-empty
            rc, out, err = copy_store('--from', self.src, '--to', self.pg_uri)
        self.assertEqual(rc, 3, out + err)
        self.assertIn('not empty', err)
        self.assertNotIn(PASSWORD, out + err)
        rc, out, err = copy_store('--from', self.src, '--to', self.pg_uri, '--force')
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.run_on(self.pg_uri, 'd'), self.before)

    def test_3_errors(self):
        self.assertEqual(copy_store()[0], 2)
        self.assertEqual(copy_store('--from', self.src)[0], 2)
        self.assertEqual(copy_store('--from', self.src, '--to', self.src)[0], 2)
        self.assertEqual(copy_store('--bogus')[0], 2)
        rc, out, err = copy_store('--from', 'sqlite:' + os.path.join(self.tmp, 'nope.db'),
                                  '--to', self.pg_uri)
        self.assertEqual(rc, 1)
        self.assertIn('does not exist', err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'nope.db')))
        bad = self.pg_uri.rsplit('/', 1)[0] + '/no_such_db'
        rc, out, err = copy_store('--from', self.src, '--to', bad)
        self.assertEqual(rc, 1, out + err)
        self.assertIn('cannot open the target', err)
        self.assertNotIn(PASSWORD, out + err)


if __name__ == '__main__':
    harness.main()
