"""schedulingConfig.endTime with each endBehavior, and maintenanceWindows (spec §9.5), driven by
the test rig's virtual clock: what each behaviour leaves of the executions, and the job's status;
rollouts that pause outside windows, and the status alternating SCHEDULED / IN_PROGRESS across
windows that cross a day and a month boundary.
"""

import calendar
import datetime
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import schedule_time, thing_arn  # noqa: E402

HOUR = 3600


class EndBehaviour(harness.JobsdTestCase):

    def job_ending(self, things, behaviour, hours=1, **kw):
        now = self.jobsd.clock_now_ms()
        sc = {'endTime': schedule_time(now + hours * HOUR * 1000 + 60000)}
        if behaviour is not None:
            sc['endBehavior'] = behaviour
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t) for t in things], document='{}',
                            schedulingConfig=sc, **kw)
        return jid

    def statuses(self, jid, things):
        return [self.describe_exec(jid, t)['status'] for t in things]

    def past_end(self, hours=1):
        self.jobsd.advance_clock(hours * HOUR + 120)

    def test_regression_end_and_start_passes_among_many_waiting_jobs(self):
        """Regression (the soak's RSS creep, heaptrack): on every tick the end pass kept a copy
        of every IN_PROGRESS job and the start pass of every SCHEDULED one. They now keep only
        the due ones; among 30 running and 30 scheduled jobs that are not due, exactly the due
        ones act."""
        thing = self.create_thing()
        now = self.jobsd.clock_now_ms()
        running, later = [], []
        for _ in range(30):
            running.append(self.name('run'))
            self.iot.create_job(jobId=running[-1], targets=[thing_arn(thing)], document='{}')
        for _ in range(30):
            later.append(self.name('later'))
            self.iot.create_job(jobId=later[-1], targets=[thing_arn(thing)], document='{}',
                                schedulingConfig={'startTime': schedule_time(now + 10 * HOUR * 1000)})
        soon = self.name('soon')
        self.iot.create_job(jobId=soon, targets=[thing_arn(thing)], document='{}',
                            schedulingConfig={'startTime': schedule_time(now + 40 * 60 * 1000)})
        ending = self.job_ending([thing], 'CANCEL')
        self.assertEqual(self.iot.describe_job(jobId=soon)['job']['status'], 'SCHEDULED')
        self.past_end()
        self.assertEqual(self.iot.describe_job(jobId=ending)['job']['status'], 'CANCELED')
        self.assertEqual(self.iot.describe_job(jobId=soon)['job']['status'], 'IN_PROGRESS')
        self.assertEqual({self.iot.describe_job(jobId=j)['job']['status'] for j in running},
                         {'IN_PROGRESS'})
        self.assertEqual({self.iot.describe_job(jobId=j)['job']['status'] for j in later},
                         {'SCHEDULED'})

    def test_cancel(self):
        things = [self.create_thing() for _ in range(3)]
        jid = self.job_ending(things, 'CANCEL')
        self.data.start_next_pending_job_execution(thingName=things[0])
        self.data.update_job_execution(jobId=jid, thingName=things[1], status='SUCCEEDED')
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'IN_PROGRESS')
        self.past_end()
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'CANCELED')
        self.assertIs(job['forceCanceled'], False)
        self.assertIn('endTime', job['comment'])
        # QUEUED canceled, IN_PROGRESS runs on, terminal untouched
        self.assertEqual(self.statuses(jid, things), ['IN_PROGRESS', 'SUCCEEDED', 'CANCELED'])
        self.data.update_job_execution(jobId=jid, thingName=things[0], status='SUCCEEDED')
        self.assertEqual(self.describe_exec(jid, things[0])['status'], 'SUCCEEDED')

    def test_force_cancel(self):
        things = [self.create_thing() for _ in range(2)]
        jid = self.job_ending(things, 'FORCE_CANCEL')
        self.data.start_next_pending_job_execution(thingName=things[0])
        self.past_end()
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'CANCELED')
        self.assertIs(job['forceCanceled'], True)
        self.assertEqual(self.statuses(jid, things), ['CANCELED', 'CANCELED'])

    def test_stop_rollout(self):
        things = [self.create_thing() for _ in range(4)]
        # a paced rollout of 1 a minute: one queued at once, the rest wait
        jid = self.job_ending(things, 'STOP_ROLLOUT',
                              jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        first = [t for t in things if self.iot.list_job_executions_for_thing(
            thingName=t)['executionSummaries']]
        self.assertEqual(len(first), 1)
        self.data.start_next_pending_job_execution(thingName=first[0])
        # the end comes before the rollout could reach every thing: 60 s a batch, but the
        # clock jumps past the end in one step, so only what was due before it may run
        self.jobsd.advance_clock(HOUR + 120)
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'IN_PROGRESS')  # its execution still runs
        self.assertIs(job['isConcurrent'], False)
        n_before = sum(1 for t in things if self.iot.list_job_executions_for_thing(
            thingName=t)['executionSummaries'])
        self.jobsd.advance_clock(600)
        n_after = sum(1 for t in things if self.iot.list_job_executions_for_thing(
            thingName=t)['executionSummaries'])
        self.assertEqual(n_after, n_before)  # no execution created after the end
        for t in things:
            for x in self.iot.list_job_executions_for_thing(thingName=t)['executionSummaries']:
                if x['jobExecutionSummary']['status'] in ('QUEUED', 'IN_PROGRESS'):
                    self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.jobsd.advance_clock(1)
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'COMPLETED')

    def test_continuous_completes_after_end(self):
        t = self.create_thing()
        jid = self.job_ending([t], 'STOP_ROLLOUT', targetSelection='CONTINUOUS')
        self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'IN_PROGRESS')
        self.past_end()
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'COMPLETED')

    def test_before_end_nothing_happens(self):
        t = self.create_thing()
        jid = self.job_ending([t], 'CANCEL', hours=2)
        self.jobsd.advance_clock(HOUR)
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'IN_PROGRESS')
        self.assertEqual(self.describe_exec(jid, t)['status'], 'QUEUED')


def utc(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)


def ms_of(dt):
    return int(dt.timestamp()) * 1000


class AtNoonClock(harness.JobsdTestCase):
    """A test case whose virtual clock starts at the next 12:30 UTC (self.noon): windows are
    placed relative to it, so no test depends on the hour CI runs at (at 00:00 a 23:58 window
    was already open, and an hourly window began exactly at a startTime two hours ahead)."""

    def advance_to(self, ms):
        now = self.jobsd.clock_now_ms()
        self.assertGreater(ms, now)
        self.jobsd.advance_clock((ms - now + 999) // 1000)

    def setUp(self):
        super().setUp()
        now = utc(self.jobsd.clock_now_ms())
        noon = now.replace(hour=12, minute=30, second=0, microsecond=0)
        if noon <= now:
            noon += datetime.timedelta(days=1)
        self.advance_to(ms_of(noon))
        self.noon = noon


class MaintenanceWindows(AtNoonClock):

    def paced_job(self, things, windows, **sc):
        jid = self.name('win')
        sc['maintenanceWindows'] = windows
        self.iot.create_job(jobId=jid, targets=[thing_arn(t) for t in things], document='{}',
                            schedulingConfig=sc,
                            jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        return jid

    def state(self, jid):
        status = self.iot.describe_job(jobId=jid)['job']['status']
        n = len(self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries'])
        return status, n

    # A clock jump inside a window releases every batch that became due (the rollout keeps its
    # minute cadence), so inside windows these tests step a minute at a time.

    def test_day_boundary_pauses_and_alternates(self):
        now = utc(self.jobsd.clock_now_ms())
        # the next 23:58 UTC at least an hour away; 5 minutes, so it ends at 00:03
        start = now.replace(hour=23, minute=58, second=0, microsecond=0)
        if start - now < datetime.timedelta(hours=1):
            start += datetime.timedelta(days=1)
        things = [self.create_thing() for _ in range(6)]
        jid = self.paced_job(things, [{'startTime': 'cron(58 23 * * ? *)',
                                       'durationInMinutes': 5}])
        # outside every window: SCHEDULED, nothing queued
        self.assertEqual(self.state(jid), ('SCHEDULED', 0))
        self.jobsd.advance_clock(600)
        self.assertEqual(self.state(jid), ('SCHEDULED', 0))
        # the window opens: the first batch of one, then one a minute, across midnight
        self.advance_to(ms_of(start) + 1000)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 1))
        self.jobsd.advance_clock(60)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 2))
        self.jobsd.advance_clock(60)
        self.assertEqual(utc(self.jobsd.clock_now_ms()).hour, 0)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 3))
        self.jobsd.advance_clock(60)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 4))
        # the window closes (the clock jumps over the 00:02 batch, which is not released
        # late): SCHEDULED, the rollout pauses, queued executions are untouched
        self.advance_to(ms_of(start + datetime.timedelta(minutes=5)) + 1000)
        self.assertEqual(self.state(jid), ('SCHEDULED', 4))
        self.jobsd.advance_clock(3 * HOUR)
        self.assertEqual(self.state(jid), ('SCHEDULED', 4))
        for x in self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries']:
            self.assertEqual(x['jobExecutionSummary']['status'], 'QUEUED')
        # the next night's window resumes the rollout at once, and finishes it
        self.advance_to(ms_of(start + datetime.timedelta(days=1)) + 1000)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 5))
        self.jobsd.advance_clock(60)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 6))
        # the rollout learns it is finished at its next (empty) batch, a minute later
        self.jobsd.advance_clock(60)
        # nothing left to roll out: it stays IN_PROGRESS between windows
        self.advance_to(ms_of(start + datetime.timedelta(days=1, minutes=30)))
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 6))
        for t in things:
            self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.assertEqual(self.state(jid), ('COMPLETED', 6))

    def test_month_boundary(self):
        now = utc(self.jobsd.clock_now_ms())
        # 23:58 on the last day of the month, for 5 minutes: into the next month's first day
        last = calendar.monthrange(now.year, now.month)[1]
        start = now.replace(day=last, hour=23, minute=58, second=0, microsecond=0)
        if start - now < datetime.timedelta(hours=1):
            nxt = (start + datetime.timedelta(days=2)).replace(day=1)
            last = calendar.monthrange(nxt.year, nxt.month)[1]
            start = nxt.replace(day=last, hour=23, minute=58)
        things = [self.create_thing() for _ in range(4)]
        jid = self.paced_job(things, [{'startTime': 'cron(58 23 L * ? *)',
                                       'durationInMinutes': 5}])
        self.assertEqual(self.state(jid), ('SCHEDULED', 0))
        self.advance_to(ms_of(start) - 60000)
        self.assertEqual(self.state(jid), ('SCHEDULED', 0))
        self.advance_to(ms_of(start) + 1000)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 1))
        self.jobsd.advance_clock(60)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 2))
        # 00:00 on the first of the next month: still the same window
        self.jobsd.advance_clock(60)
        self.assertEqual(utc(self.jobsd.clock_now_ms()).day, 1)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 3))
        self.advance_to(ms_of(start + datetime.timedelta(minutes=5)) + 1000)
        self.assertEqual(self.state(jid), ('SCHEDULED', 3))
        # a week later: still between windows, nothing more rolled out
        self.jobsd.advance_clock(7 * 24 * HOUR)
        self.assertEqual(self.state(jid), ('SCHEDULED', 3))

    def test_start_time_then_windows_and_end_time_wins(self):
        now = utc(self.jobsd.clock_now_ms())
        start = (now + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
        end = start + datetime.timedelta(hours=3)
        # a window every hour at :00 for 10 minutes
        things = [self.create_thing() for _ in range(6)]
        jid = self.paced_job(things, [{'startTime': 'cron(0 * * * ? *)',
                                       'durationInMinutes': 10}],
                             startTime=start.strftime('%Y-%m-%dT%H:%M'),
                             endTime=end.strftime('%Y-%m-%dT%H:%M'),
                             endBehavior='CANCEL')
        # inside a window but before startTime: still SCHEDULED, nothing queued
        first = start.replace(minute=0) + datetime.timedelta(hours=1)
        self.advance_to(ms_of(first) - HOUR * 1000 + 60000)
        self.assertEqual(self.state(jid), ('SCHEDULED', 0))
        self.advance_to(ms_of(first) + 1000)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 1))
        self.advance_to(ms_of(first) + 11 * 60000)
        status, n = self.state(jid)
        self.assertEqual(status, 'SCHEDULED')
        # endTime comes between windows: endTime wins, CANCEL cancels what was queued
        self.advance_to(ms_of(end) + 1000)
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'CANCELED')
        for x in self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries']:
            self.assertEqual(x['jobExecutionSummary']['status'], 'CANCELED')
        self.jobsd.advance_clock(HOUR)
        self.assertEqual(self.state(jid), ('CANCELED', n))

    def exec_statuses(self, jid):
        return {x['thingArn'].split('/')[-1]: x['jobExecutionSummary']['status']
                for x in self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries']}

    def test_continuous_paused_queues_joins_when_the_window_opens(self):
        """Regression: things joining a CONTINUOUS job's groups while it was paused between
        windows were never queued by it, even when the next window opened."""
        now = utc(self.jobsd.clock_now_ms())
        # the job is created at :40 (outside its window of :00-:10 every hour)
        hour = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
        self.advance_to(ms_of(hour + datetime.timedelta(minutes=40)))
        hour += datetime.timedelta(hours=1)
        grp = self.create_group()
        child = self.create_group(parent=grp)
        first = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=grp, thingName=first)
        jid = self.name('cont')
        self.iot.create_job(jobId=jid, targets=[harness.group_arn(grp)], document='{}',
                            targetSelection='CONTINUOUS',
                            schedulingConfig={'maintenanceWindows': [
                                {'startTime': 'cron(0 * * * ? *)', 'durationInMinutes': 10}]})
        # joining before the first window: queued when it opens, as every member
        early = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=grp, thingName=early)
        self.assertEqual(self.state(jid), ('SCHEDULED', 0))
        self.advance_to(ms_of(hour) + 1000)
        self.assertEqual(self.exec_statuses(jid), {first: 'QUEUED', early: 'QUEUED'})
        self.assertEqual(self.state(jid)[0], 'IN_PROGRESS')
        # a join inside the window is queued at once
        during = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=grp, thingName=during)
        self.assertEqual(self.exec_statuses(jid)[during], 'QUEUED')
        self.data.update_job_execution(jobId=jid, thingName=first, status='SUCCEEDED')
        # the window closes: paused
        self.advance_to(ms_of(hour + datetime.timedelta(minutes=11)))
        self.assertEqual(self.state(jid), ('SCHEDULED', 3))
        # joins while paused: nothing queued (directly, through a child group, or a thing that
        # joins and leaves again); a thing that leaves has its pending execution removed
        joined = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=grp, thingName=joined)
        nested = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=child, thingName=nested)
        passing = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=grp, thingName=passing)
        self.iot.remove_thing_from_thing_group(thingGroupName=grp, thingName=passing)
        self.iot.remove_thing_from_thing_group(thingGroupName=grp, thingName=early)
        self.jobsd.advance_clock(600)
        self.assertEqual(self.exec_statuses(jid),
                         {first: 'SUCCEEDED', early: 'REMOVED', during: 'QUEUED'})
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'SCHEDULED')
        # the next window: the things that joined meanwhile are queued, once each
        self.advance_to(ms_of(hour + datetime.timedelta(hours=1)) + 1000)
        self.assertEqual(self.exec_statuses(jid),
                         {first: 'SUCCEEDED', early: 'REMOVED', during: 'QUEUED',
                          joined: 'QUEUED', nested: 'QUEUED'})
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 5))
        for t in (joined, nested):
            got = self.data.get_pending_job_executions(thingName=t)
            self.assertEqual([x['jobId'] for x in got['queuedJobs']], [jid])
        self.assertEqual(self.data.get_pending_job_executions(thingName=passing)['queuedJobs'],
                         [])
        # another pause and window: nothing new, no second execution anywhere
        self.advance_to(ms_of(hour + datetime.timedelta(hours=2)) + 1000)
        self.assertEqual(self.state(jid), ('IN_PROGRESS', 5))
        for t in (first, during, joined, nested):
            xs = self.iot.list_job_executions_for_thing(thingName=t)['executionSummaries']
            self.assertEqual(len(xs), 1, t)

    def test_invalid_cron_refused(self):
        t = self.create_thing()
        for bad in ['0 10 * * ? *', 'cron(0 10 * * * *)', 'cron(0 10 ? * ? *)',
                    'cron(61 10 * * ? *)', 'cron(0 0 30 2 ? *)', 'cron(0 0 ? * 3#1,6#3 *)',
                    'cron(0 0 1 1 ? 2020)']:
            e = self.assertAwsError(
                self.iot.create_job, 'InvalidRequestException', 400, jobId=self.name('bad'),
                targets=[thing_arn(t)], document='{}',
                schedulingConfig={'maintenanceWindows': [{'startTime': bad,
                                                          'durationInMinutes': 30}]})
            self.assertIn(bad, e.response['Error']['Message'])
        self.assertAwsError(
            self.iot.create_job_template, 'InvalidRequestException', 400,
            jobTemplateId=self.name('tpl'), description='d', document='{}',
            maintenanceWindows=[{'startTime': 'cron(0 0 L,1 * ? *)', 'durationInMinutes': 5}])
        tid = self.name('tpl')
        self.iot.create_job_template(
            jobTemplateId=tid, description='d', document='{}',
            maintenanceWindows=[{'startTime': 'cron(0 2 ? * SUN#2 *)', 'durationInMinutes': 5}])
        self.assertEqual(self.iot.list_job_executions_for_thing(thingName=t)[
            'executionSummaries'], [])


class ScheduleDueTimes(AtNoonClock):
    """Issue 15 (cost flat in store size): every job write stores when a timer pass may next act
    on the job (jobs.sched_due_ms), and the start, window and end passes read only the jobs due
    (a partial index), not every waiting job on every tick. What that must keep: the due jobs
    act at their time, the waiting ones never early, whatever moves a job's due time."""

    def sql(self, sql):
        """Rows of sql run on this jobsd's store, as tuples of text (NULL: None)."""
        if harness.STORE == 'sqlite':
            db = sqlite3.connect(os.path.join(self.jobsd.data_dir, 'jobsd.db'), timeout=10,
                                 isolation_level=None)
            try:
                return [tuple(None if v is None else str(v) for v in row)
                        for row in db.execute(sql).fetchall()]
            finally:
                db.close()
        import pgkit
        out = pgkit.admin(self.jobsd.store_spec(), sql)
        return [tuple(v if v != '' else None for v in line.split('|'))
                for line in out.splitlines() if line]

    def due_of(self, jid):
        rows = self.sql("SELECT sched_due_ms FROM jobs WHERE job_id = '%s'" % jid)
        self.assertEqual(len(rows), 1)
        return None if rows[0][0] is None else int(rows[0][0])

    def status(self, jid):
        return self.iot.describe_job(jobId=jid)['job']['status']

    def statuses(self, jids):
        """The set of the statuses of jids (ListJobs: one call, not one per job)."""
        every = {j['jobId']: j['status'] for j in harness.all_pages(self.iot.list_jobs, 'jobs')}
        return {every[j] for j in jids}

    def dues(self, jids):
        """The set of the stored due times of jids (one query)."""
        every = {r[0]: None if r[1] is None else int(r[1])
                 for r in self.sql('SELECT job_id, sched_due_ms FROM jobs')}
        return {every[j] for j in jids}

    def n_execs(self, jid):
        return len(self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries'])

    def at(self, hour, minute, days=0):
        return self.noon.replace(hour=hour, minute=minute) + datetime.timedelta(days=days)

    def test_regression_schedule_pass_reads_only_due_jobs(self):
        """Regression (issue 15, an idle jobsd spent ~0.9% of a core per 1,000 IN_PROGRESS jobs):
        each 250 ms tick listed every SCHEDULED and IN_PROGRESS job and decided in C which were
        due. Among 100 jobs that wait (for a far startTime, a far endTime, a window tomorrow)
        the due ones act at their time, the others keep their stored due time and never act; a
        windowed job's due time moves from window to window and it acts at each boundary."""
        thing = self.create_thing()
        things = [self.create_thing() for _ in range(12)]
        far = ms_of(self.at(22, 0))
        running, later, windowed = [], [], []
        for i in range(40):
            running.append(self.name('run'))
            self.iot.create_job(jobId=running[-1], targets=[thing_arn(thing)], document='{}',
                                schedulingConfig={'endTime': schedule_time(far),
                                                  'endBehavior': 'CANCEL'})
            later.append(self.name('later'))
            self.iot.create_job(jobId=later[-1], targets=[thing_arn(thing)], document='{}',
                                schedulingConfig={'startTime': schedule_time(far)})
        for i in range(20):
            windowed.append(self.name('night'))
            self.iot.create_job(jobId=windowed[-1], targets=[thing_arn(thing)], document='{}',
                                schedulingConfig={'maintenanceWindows': [
                                    {'startTime': 'cron(0 3 * * ? *)', 'durationInMinutes': 30}]})
        soon = self.name('soon')
        self.iot.create_job(jobId=soon, targets=[thing_arn(thing)], document='{}',
                            schedulingConfig={'startTime': schedule_time(ms_of(self.at(13, 10)))})
        ending = self.name('ending')
        self.iot.create_job(jobId=ending, targets=[thing_arn(thing)], document='{}',
                            schedulingConfig={'endTime': schedule_time(ms_of(self.at(13, 20))),
                                              'endBehavior': 'CANCEL'})
        # a window 13:00-13:05, one thing a minute: 5 go out, 7 wait for the next day
        win = self.name('win')
        self.iot.create_job(jobId=win, targets=[thing_arn(t) for t in things], document='{}',
                            schedulingConfig={'maintenanceWindows': [
                                {'startTime': 'cron(0 13 * * ? *)', 'durationInMinutes': 5}]},
                            jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        # the stored due times: what each pass waits for
        self.assertEqual(self.due_of(running[0]), far)
        self.assertEqual(self.due_of(later[0]), far)
        self.assertEqual(self.due_of(windowed[0]), ms_of(self.at(3, 0, days=1)))
        self.assertEqual(self.due_of(win), ms_of(self.at(13, 0)))
        self.assertEqual(self.due_of(soon), ms_of(self.at(13, 10)))
        self.assertEqual(self.due_of(ending), ms_of(self.at(13, 20)))

        self.advance_to(ms_of(self.at(12, 59)))
        self.assertEqual(self.status(win), 'SCHEDULED')
        # the window opens: IN_PROGRESS; its due time is now the window's close
        self.advance_to(ms_of(self.at(13, 0)) + 1000)
        self.assertEqual((self.status(win), self.n_execs(win)), ('IN_PROGRESS', 1))
        self.assertEqual(self.due_of(win), ms_of(self.at(13, 5)))
        for _ in range(4):
            self.jobsd.advance_clock(60)
        self.assertEqual((self.status(win), self.n_execs(win)), ('IN_PROGRESS', 5))
        # it closes with things left: SCHEDULED, due at the next day's opening
        self.advance_to(ms_of(self.at(13, 5)) + 1000)
        self.assertEqual((self.status(win), self.n_execs(win)), ('SCHEDULED', 5))
        self.assertEqual(self.due_of(win), ms_of(self.at(13, 0, days=1)))
        self.assertEqual(self.status(soon), 'SCHEDULED')
        self.advance_to(ms_of(self.at(13, 10)) + 1000)
        self.assertEqual(self.status(soon), 'IN_PROGRESS')
        self.assertEqual(self.due_of(soon), 0)      # started, no endTime: never due again
        self.assertEqual(self.status(ending), 'IN_PROGRESS')
        self.advance_to(ms_of(self.at(13, 20)) + 1000)
        self.assertEqual(self.status(ending), 'CANCELED')
        self.assertEqual(self.due_of(ending), 0)
        # none of the waiting jobs acted, and their due times are as they were
        self.assertEqual(self.statuses(running), {'IN_PROGRESS'})
        self.assertEqual(self.statuses(later), {'SCHEDULED'})
        self.assertEqual(self.statuses(windowed), {'SCHEDULED'})
        self.assertEqual(self.dues(running + later), {far})
        # at their time they act (the CANCELs and the starts, in one pass)
        self.advance_to(far + 1000)
        self.assertEqual(self.statuses(running), {'CANCELED'})
        self.assertEqual(self.statuses(later), {'IN_PROGRESS'})
        self.assertEqual(self.statuses(windowed), {'SCHEDULED'})
        self.advance_to(ms_of(self.at(3, 0, days=1)) + 1000)
        self.assertEqual(self.statuses(windowed), {'IN_PROGRESS'})
        # the next day's window resumes the paced job
        self.advance_to(ms_of(self.at(13, 0, days=1)) + 1000)
        self.assertEqual((self.status(win), self.n_execs(win)), ('IN_PROGRESS', 6))

    def test_an_early_due_time_is_moved_on(self):
        """A due time that comes before anything is to be done (here written by hand; in
        jobsd, a boundary it cannot see past) makes a pass read the job once: it does nothing,
        stores the real due time, and the job acts at that time."""
        thing = self.create_thing()
        jid = self.name('later')
        start = ms_of(self.at(14, 0))
        self.iot.create_job(jobId=jid, targets=[thing_arn(thing)], document='{}',
                            schedulingConfig={'startTime': schedule_time(start)})
        self.sql("UPDATE jobs SET sched_due_ms = 1 WHERE job_id = '%s'" % jid)
        self.jobsd.advance_clock(1)
        self.assertEqual(self.status(jid), 'SCHEDULED')
        self.assertEqual(self.due_of(jid), start)
        self.advance_to(start - 60000)
        self.assertEqual(self.status(jid), 'SCHEDULED')
        self.advance_to(start + 1000)
        self.assertEqual(self.status(jid), 'IN_PROGRESS')

    def test_due_times_of_jobs_stored_before_the_column(self):
        """Jobs stored before the column read NULL there; jobsd computes their due times at
        start (once per store), and they act at their time."""
        thing = self.create_thing()
        later, ending, win = self.name('later'), self.name('ending'), self.name('win')
        self.iot.create_job(jobId=later, targets=[thing_arn(thing)], document='{}',
                            schedulingConfig={'startTime': schedule_time(ms_of(self.at(14, 0)))})
        self.iot.create_job(jobId=ending, targets=[thing_arn(thing)], document='{}',
                            schedulingConfig={'endTime': schedule_time(ms_of(self.at(15, 0))),
                                              'endBehavior': 'CANCEL'})
        self.iot.create_job(jobId=win, targets=[thing_arn(thing)], document='{}',
                            schedulingConfig={'maintenanceWindows': [
                                {'startTime': 'cron(0 16 * * ? *)', 'durationInMinutes': 5}]})
        self.jobsd.stop()
        self.sql("UPDATE jobs SET sched_due_ms = NULL")
        self.sql("DELETE FROM meta WHERE key = 'job_sched_due_filled'")
        self.jobsd.start()
        self.assertEqual(self.due_of(later), ms_of(self.at(14, 0)))
        self.assertEqual(self.due_of(ending), ms_of(self.at(15, 0)))
        self.assertEqual(self.due_of(win), ms_of(self.at(16, 0)))
        self.advance_to(ms_of(self.at(14, 0)) + 1000)
        self.assertEqual(self.status(later), 'IN_PROGRESS')
        self.advance_to(ms_of(self.at(15, 0)) + 1000)
        self.assertEqual(self.status(ending), 'CANCELED')
        self.assertEqual(self.status(win), 'SCHEDULED')
        self.advance_to(ms_of(self.at(16, 0)) + 1000)
        self.assertEqual(self.status(win), 'IN_PROGRESS')


if __name__ == '__main__':
    harness.main()
