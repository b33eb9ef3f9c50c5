/*
 * app.js: the jobsd dashboard (issue 14). Plain JavaScript, no framework,
 * no build step: jobsd compiles this file into its binary and serves it
 * from the admin listener. Pages are hash routes:
 *   #/                         the job list (?status=&namespace=)
 *   #/jobs/ID                  a job (?status=&thing= filter its executions)
 *   #/jobs/ID/executions/T/N   one execution
 *   #/things/NAME              a thing
 * Data comes from the JSON API under /api/ (docs/dashboard.md); live
 * updates from the server-sent events of /api/stream, which pushes only the
 * jobs whose counts or state changed. Every action asks for confirmation in
 * a modal <dialog>. The DOM is built with textContent only (no innerHTML).
 */
'use strict';

(function () {
  const STATUSES = ['QUEUED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED',
    'REMOVED', 'CANCELED'];
  const JOB_STATUSES = ['IN_PROGRESS', 'SCHEDULED', 'COMPLETED', 'CANCELED',
    'DELETION_IN_PROGRESS'];
  const main = document.getElementById('main');
  const live = document.getElementById('live');
  let csrf = '';
  let stream = null;
  let streamJobs = '';
  let onJobEvent = null;   // the current page's handler of a changed job
  let onJobsEvent = null;  // ... of a new job
  let onExecEvent = null;  // ... of the watched execution (the execution page)
  let renderSeq = 0;       // drops answers to a page left since

  /* ---- helpers ---------------------------------------------------------- */

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  function fmtTime(ms) {
    if (!ms) return '—';
    if (ms >= 253402300800000) return 'never';
    return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function enc(s) { return encodeURIComponent(s); }

  function toast(msg, err) {
    const t = document.getElementById('toast');
    t.textContent = msg;
    t.className = 'toast' + (err ? ' err' : '');
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || ('HTTP ' + status));
      this.status = status;
      this.code = body && body.code;
    }
  }

  async function api(method, path, body) {
    const opts = { method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (method !== 'GET') {
      opts.headers['X-Jobsd-Csrf'] = csrf;
      if (body !== undefined) {
        opts.headers['Content-Type'] = 'application/json';
        opts.body = JSON.stringify(body);
      }
    }
    const resp = await fetch(path, opts);
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (resp.status === 401 && path !== '/api/login') {
      showLogin();
      throw new ApiError(401, data);
    }
    if (!resp.ok) throw new ApiError(resp.status, data);
    return data;
  }

  /* The extensions this jobsd serves (pause, timeline, plan), from
   * /api/features, so the page never asks for a route that is not there. */
  let features = {};

  async function loadFeatures() {
    const f = await api('GET', '/api/features');
    const has = (r) => f.routes.includes(r);
    features = {
      pause: has('GET api/jobs/{jobId}/rollout') && has('POST api/jobs/{jobId}/pause'),
      timeline: has('GET api/jobs/{jobId}/timeline'),
      plan: has('GET api/jobs/{jobId}/plan'),
    };
  }

  /* An optional extension: null when this jobsd does not serve it. */
  async function optional(feature, path) {
    if (!features[feature]) return null;
    try {
      return await api('GET', path);
    } catch (e) {
      if (e.status === 404 || e.status === 405) return null;
      throw e;
    }
  }

  function parseHash() {
    const raw = location.hash.replace(/^#/, '') || '/';
    const [path, query] = raw.split('?');
    const params = new URLSearchParams(query || '');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    return { parts, params };
  }

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function setTitle(text) {
    document.title = text + ' · jobsd';
    const h1 = h('h1', { tabindex: '-1', id: 'page-title' }, text);
    return h1;
  }

  function focusTitle() {
    const t = document.getElementById('page-title');
    if (t && document.activeElement === document.body) t.focus({ preventScroll: true });
  }

  /* ---- confirmation dialog --------------------------------------------- */

  /* Resolves to false (dismissed) or to the extra fields' values. */
  function confirmDialog(title, text, yesLabel, extra) {
    const dlg = document.getElementById('confirm');
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-body').textContent = text;
    const box = document.getElementById('confirm-extra');
    box.replaceChildren(...(extra || []).map((x) => x.el));
    document.getElementById('confirm-yes').textContent = yesLabel;
    dlg.returnValue = '';
    return new Promise((resolve) => {
      dlg.addEventListener('close', function done() {
        dlg.removeEventListener('close', done);
        if (dlg.returnValue !== 'yes') { resolve(false); return; }
        const out = {};
        for (const x of extra || []) out[x.name] = x.value();
        resolve(out);
      });
      dlg.showModal();
      document.getElementById('confirm-no').focus();
    });
  }

  function checkboxField(name, label, checked) {
    const id = 'f-' + name;
    const input = h('input', { type: 'checkbox', id, name, checked: checked || null });
    return { name, el: h('label', { for: id }, input, ' ', label), value: () => input.checked };
  }

  function textField(name, label, pattern) {
    const id = 'f-' + name;
    const input = h('input', { id, name, pattern: pattern || null, autocomplete: 'off' });
    return { name, el: h('label', { for: id }, label, h('br'), input), value: () => input.value };
  }

  async function act(what, fn) {
    try {
      await fn();
      toast(what + ': done');
    } catch (e) {
      if (e.status !== 401) toast(what + ' failed: ' + e.message + (e.code ? ' (' + e.code + ')' : ''), true);
    }
  }

  /* ---- progress bars ---------------------------------------------------- */

  function progressBar(counts, total) {
    const bar = h('div', { class: 'bar', role: 'img' });
    const parts = [];
    for (const s of STATUSES) {
      const n = counts[s] || 0;
      if (!n) continue;
      parts.push(n + ' ' + s.toLowerCase().replace('_', ' '));
      bar.append(h('span', { class: 'seg-' + s, style: null, 'data-status': s, 'data-count': n }));
    }
    // widths via the CSSOM (CSP forbids style attributes)
    let i = 0;
    for (const s of STATUSES) {
      const n = counts[s] || 0;
      if (!n) continue;
      bar.children[i++].style.width = (100 * n / Math.max(total, 1)) + '%';
    }
    bar.setAttribute('aria-label', total ? 'Progress: ' + parts.join(', ') + ' of ' + total : 'No executions');
    bar.dataset.total = total;
    return bar;
  }

  function doneCount(c) {
    return ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED']
      .reduce((a, s) => a + (c[s] || 0), 0);
  }

  function legend() {
    return h('ul', { class: 'legend', 'aria-label': 'Legend' },
      STATUSES.map((s) => h('li', {}, h('i', { class: 'seg-' + s, 'aria-hidden': 'true' }), s)));
  }

  function badge(s) { return h('span', { class: 'badge ' + s }, s); }

  /* ---- live stream ------------------------------------------------------ */

  /* exec (optional): {path: 'JOB/THING/NUMBER', on: handler}, the execution page's */
  function watch(jobIds, onJob, onJobs, exec) {
    onJobEvent = onJob;
    onJobsEvent = onJobs;
    onExecEvent = exec ? exec.on : null;
    const jobs = jobIds.slice(0, 100).join(',');
    const query = 'jobs=' + enc(jobs) + (exec ? '&execution=' + enc(exec.path) : '');
    if (stream && streamJobs === query) return;
    if (stream) stream.close();
    streamJobs = query;
    stream = new EventSource('/api/stream?' + query);
    live.textContent = 'Connecting…';
    live.className = 'live';
    stream.onopen = () => { live.textContent = 'Live'; live.className = 'live on'; };
    stream.onerror = () => { live.textContent = 'Reconnecting…'; live.className = 'live off'; };
    stream.addEventListener('job', (ev) => {
      const j = JSON.parse(ev.data);
      if (onJobEvent) onJobEvent(j);
    });
    stream.addEventListener('jobs', (ev) => {
      if (onJobsEvent) onJobsEvent(JSON.parse(ev.data));
    });
    stream.addEventListener('execution', (ev) => {
      if (onExecEvent) onExecEvent(JSON.parse(ev.data));
    });
  }

  /* Call fn at most once per `ms`, the last call winning. */
  function throttle(fn, ms) {
    let timer = null, again = false;
    return function run() {
      if (timer) { again = true; return; }
      fn();
      timer = setTimeout(() => { timer = null; if (again) { again = false; run(); } }, ms);
    };
  }

  /* ---- login -------------------------------------------------------------- */

  async function session() {
    const s = await api('GET', '/api/session');
    if (s.csrf) csrf = s.csrf;
    document.getElementById('logout').hidden = !(s.mode !== 'none' && s.authenticated);
    return s;
  }

  function showLogin(mode) {
    if (stream) { stream.close(); stream = null; streamJobs = ''; }
    live.textContent = 'Signed out';
    live.className = 'live off';
    const input = h('input', { id: 'token', type: 'password', required: true, autocomplete: 'current-password' });
    const err = h('p', { class: 'near', role: 'alert' });
    const form = h('form', { class: 'login' },
      h('label', { for: 'token' }, 'Admin token'),
      input,
      h('p', { class: 'muted' }, 'The token of jobsd\'s --admin-token-file. A session cookie keeps you signed in for 12 hours.'),
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'), err);
    if (mode === 'sigv4') {
      form.replaceChildren(h('p', {}, 'This admin listener takes SigV4 admin keys only. The dashboard needs --admin-token-file to sign in; the JSON API under /api/ accepts signed requests.'));
    }
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('POST', '/api/login', { token: input.value });
        csrf = r.csrf;
        document.getElementById('logout').hidden = false;
        await loadFeatures();
        route();
      } catch (e) {
        err.textContent = e.message;
      }
    });
    main.replaceChildren(setTitle('Sign in'), form);
    input.focus();
  }

  /* ---- job list ------------------------------------------------------------ */

  async function jobsPage(params) {
    const seq = ++renderSeq;
    const status = params.get('status') || '';
    const ns = params.get('namespace') || '';
    const next = params.get('next') || '';
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    if (ns) q.set('namespace', ns);
    if (next) q.set('next', next);
    q.set('limit', '25');
    const data = await api('GET', '/api/jobs?' + q);
    if (seq !== renderSeq) return;

    const sel = h('select', { id: 'f-status', name: 'status' },
      h('option', { value: '' }, 'any'),
      JOB_STATUSES.map((s) => h('option', { value: s, selected: s === status || null }, s)));
    const nsIn = h('input', { id: 'f-namespace', name: 'namespace', value: ns, pattern: '[a-zA-Z0-9_\\-]+', autocomplete: 'off' });
    const filters = h('form', { class: 'filters', 'aria-label': 'Filter jobs' },
      h('label', { for: 'f-status' }, 'Status', sel),
      h('label', { for: 'f-namespace' }, 'Namespace', nsIn),
      h('button', { type: 'submit' }, 'Filter'));
    filters.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (sel.value) p.set('status', sel.value);
      if (nsIn.value) p.set('namespace', nsIn.value);
      go('#/?' + p);
    });

    const rows = new Map();
    const tbody = h('tbody');
    for (const j of data.jobs) {
      const tr = jobRow(j);
      rows.set(j.jobId, tr);
      tbody.append(tr);
    }
    const table = h('table', { id: 'jobs' },
      h('caption', { class: 'visually-hidden' }, 'Jobs, newest first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Job'), h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Namespace'), h('th', { scope: 'col' }, 'Progress'),
        h('th', { scope: 'col' }, 'Done'), h('th', { scope: 'col' }, 'Created'))),
      tbody);
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of jobs' });
    if (next) {
      const p = new URLSearchParams(params); p.delete('next');
      pager.append(h('a', { href: '#/?' + p }, 'First page'));
    }
    if (data.nextToken) {
      const p = new URLSearchParams(params); p.set('next', data.nextToken);
      pager.append(h('a', { href: '#/?' + p, id: 'next-page' }, 'Next page'));
    }
    main.replaceChildren(setTitle('Jobs'), filters, legend(),
      data.jobs.length ? table : h('p', {}, 'No jobs match.'), pager);
    focusTitle();

    const refresh = throttle(() => { if (seq === renderSeq) jobsPage(params).catch(showError); }, 1000);
    watch(data.jobs.map((j) => j.jobId), (j) => {
      const old = rows.get(j.jobId);
      if (!old) return;
      if (j.deleted) { old.remove(); rows.delete(j.jobId); return; }
      if (sameJob(j, old.job)) return;
      const tr = jobRow(j);
      old.replaceWith(tr);
      rows.set(j.jobId, tr);
    }, () => { if (!next) refresh(); });
  }

  function sameJob(a, b) {
    return a.status === b.status && a.lastUpdatedAt === b.lastUpdatedAt &&
      JSON.stringify(a.counts) === JSON.stringify(b.counts);
  }

  function jobRow(j) {
    const tr = h('tr', { 'data-job': j.jobId },
      h('th', { scope: 'row' }, h('a', { href: '#/jobs/' + enc(j.jobId) }, j.jobId)),
      h('td', {}, badge(j.status)),
      h('td', {}, j.namespaceId || '—'),
      h('td', {}, progressBar(j.counts, j.total)),
      h('td', { class: 'num' }, doneCount(j.counts) + ' / ' + j.total),
      h('td', {}, fmtTime(j.createdAt)));
    tr.job = j;
    return tr;
  }

  /* ---- a job ----------------------------------------------------------------- */

  async function jobPage(id, params) {
    const seq = ++renderSeq;
    const [d, rollout, timeline, plan] = await Promise.all([
      api('GET', '/api/jobs/' + enc(id)),
      optional('pause', '/api/jobs/' + enc(id) + '/rollout'),
      optional('timeline', '/api/jobs/' + enc(id) + '/timeline'),
      optional('plan', '/api/jobs/' + enc(id) + '/plan')]);
    if (seq !== renderSeq) return;
    const j = d.job;

    const progress = h('div', { id: 'job-progress' });
    function drawProgress(job) {
      const table = h('dl', { class: 'counts' },
        STATUSES.map((s) => h('div', {}, h('dt', {}, h('i', { class: 'seg-' + s, 'aria-hidden': 'true' }), s.replace('_', ' ')),
          h('dd', { class: 'num', 'data-status': s }, job.counts[s] || 0))));
      progress.replaceChildren(progressBar(job.counts, job.total),
        h('p', { class: 'muted' }, doneCount(job.counts) + ' of ' + job.total + ' executions done'), table);
    }
    drawProgress(j);

    const statusBadge = h('span', { id: 'job-status' }, badge(j.status));
    const pausedBadge = h('span', { id: 'job-paused' });
    const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Job actions' });
    function drawActions(job, ro) {
      const btns = [];
      if (job.status === 'IN_PROGRESS' || job.status === 'SCHEDULED') {
        btns.push(h('button', { type: 'button', class: 'danger', id: 'cancel-job', onclick: () => cancelJob(job) }, 'Cancel job…'));
      }
      if (ro && (job.status === 'IN_PROGRESS' || job.status === 'SCHEDULED')) {
        if (ro.paused) btns.push(h('button', { type: 'button', id: 'resume-job', class: 'primary', onclick: () => pauseJob(job, false) }, 'Resume rollout…'));
        else btns.push(h('button', { type: 'button', id: 'pause-job', onclick: () => pauseJob(job, true) }, 'Pause rollout…'));
      }
      actions.replaceChildren(...btns);
      pausedBadge.replaceChildren(ro && ro.paused ? badge('PAUSED') : '');
    }
    drawActions(j, rollout);

    async function cancelJob(job) {
      const force = checkboxField('force', 'Force: also cancel executions that are IN_PROGRESS (devices are not told to stop)', false);
      const reason = textField('reasonCode', 'Reason code (optional, A-Z 0-9 _)', '[A-Z0-9_]*');
      const comment = textField('comment', 'Comment (optional)');
      const ok = await confirmDialog('Cancel job ' + job.jobId + '?',
        'Queued executions are canceled; the job cannot be resumed.', 'Cancel job', [force, reason, comment]);
      if (!ok) return;
      await act('Cancel job', () => api('POST', '/api/jobs/' + enc(job.jobId) + '/cancel',
        { force: ok.force, reasonCode: ok.reasonCode || undefined, comment: ok.comment || undefined }));
      reload();
    }

    async function pauseJob(job, pause) {
      const ok = await confirmDialog((pause ? 'Pause' : 'Resume') + ' the rollout of ' + job.jobId + '?',
        pause ? 'No new executions are queued while it is paused; its timers keep running.'
          : 'The rollout queues new executions again at its rate.', pause ? 'Pause' : 'Resume');
      if (!ok) return;
      await act(pause ? 'Pause' : 'Resume', () => api('POST', '/api/jobs/' + enc(job.jobId) + (pause ? '/pause' : '/resume')));
      reload();
    }

    // configuration: rollout, abort thresholds, schedule
    const ro = d.rollout;
    const rolloutDl = h('dl', { class: 'kv' },
      h('dt', {}, 'Paced'), h('dd', {}, ro.paced ? 'yes' : 'no (all at once)'),
      ro.paced ? [h('dt', {}, 'Rate now'), h('dd', { id: 'rate' }, ro.ratePerMinute + ' / minute'),
        h('dt', {}, 'Maximum'), h('dd', {}, ro.maximumPerMinute + ' / minute')] : null,
      ro.exponential ? [h('dt', {}, 'Exponential'), h('dd', {}, 'base ' + ro.baseRatePerMinute + '/min × ' + ro.incrementFactor)] : null,
      h('dt', {}, 'Notified so far'), h('dd', { id: 'notified' }, ro.notified),
      h('dt', {}, 'Next batch'), h('dd', {}, ro.held || (rollout && rollout.held) ? 'held (paused or outside its windows)' : fmtTime((rollout && rollout.nextBatchAt) || ro.nextBatchAt)),
      rollout ? [h('dt', {}, 'Paused'), h('dd', {}, rollout.paused ? 'since ' + fmtTime(rollout.pausedAt) : 'no')] : null);
    const abortList = d.abort.length ? h('table', { id: 'abort' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Failure type'), h('th', { scope: 'col' }, 'Threshold'),
        h('th', { scope: 'col' }, 'Now'), h('th', { scope: 'col' }, 'Min. executed'), h('th', { scope: 'col' }, 'Closeness'))),
      h('tbody', {}, d.abort.map((a) => {
        const ratio = a.thresholdPercentage > 0 ? Math.min(a.failedPercentage / a.thresholdPercentage, 1) : 0;
        const near = ratio >= 0.8;
        return h('tr', {},
          h('td', {}, a.failureType), h('td', { class: 'num' }, a.thresholdPercentage + '%'),
          h('td', { class: 'num' + (near ? ' near' : '') }, a.failedPercentage + '% (' + a.failed + ' of ' + a.executed + ')'),
          h('td', { class: 'num' }, a.executed + ' / ' + a.minNumberOfExecutedThings + (a.armed ? '' : ' (not armed yet)')),
          h('td', {}, h('meter', { min: 0, max: 1, low: 0.5, high: 0.8, optimum: 0, value: ratio,
            'aria-label': 'Failures at ' + Math.round(ratio * 100) + '% of the threshold' })));
      }))) : h('p', { class: 'muted' }, 'No abort criteria.');
    const sc = d.schedule;
    const schedDl = h('dl', { class: 'kv' },
      h('dt', {}, 'Start'), h('dd', {}, sc.startTime ? fmtTime(sc.startTime) : 'at creation'),
      h('dt', {}, 'End'), h('dd', {}, sc.endTime ? fmtTime(sc.endTime) + (sc.endBehavior ? ' (' + sc.endBehavior + ')' : '') : 'none'),
      h('dt', {}, 'Maintenance windows'), h('dd', {}, String(sc.maintenanceWindows)),
      h('dt', {}, 'In-progress timeout'), h('dd', {}, d.inProgressTimeoutInMinutes ? d.inProgressTimeoutInMinutes + ' min' : 'none'));

    // timeline: the extension's events when present, else what the job records
    const events = timeline && timeline.events ? timeline.events.map((e) => [e.at, e.event + (e.detail ? ': ' + (typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)) : '')])
      : [[j.createdAt, 'created'], [sc.startTime, 'scheduled start'], [sc.endTime, 'scheduled end'], [j.completedAt, j.status === 'CANCELED' ? 'canceled' : 'completed']].filter((e) => e[0]);
    const tl = h('ol', { class: 'timeline', id: 'timeline' }, events.map((e) => h('li', {}, h('time', {}, fmtTime(e[0])), ' — ', e[1])));

    const planBox = plan ? h('details', { id: 'plan' }, h('summary', {}, 'Planned rollout (what-if)'),
      h('p', {}, plan.executions + ' execution(s) still to queue in ' + plan.wavesTotal + ' wave(s); earliest completion ' + fmtTime(plan.earliestCompletion) + '.'),
      (plan.notes || []).map((n) => h('p', { class: 'muted' }, n)),
      plan.waves && plan.waves.length ? h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Wave at'), h('th', { scope: 'col' }, 'Executions'), h('th', { scope: 'col' }, 'Cumulative'))),
        h('tbody', {}, plan.waves.map((w) => h('tr', {}, h('td', {}, fmtTime(w.at)), h('td', { class: 'num' }, w.count), h('td', { class: 'num' }, w.cumulative))))) : null) : null;

    const info = h('dl', { class: 'kv' },
      h('dt', {}, 'Status'), h('dd', {}, statusBadge, ' ', pausedBadge),
      h('dt', {}, 'Namespace'), h('dd', {}, j.namespaceId || '—'),
      h('dt', {}, 'Target selection'), h('dd', {}, j.targetSelection),
      h('dt', {}, 'Description'), h('dd', {}, j.description || '—'),
      h('dt', {}, 'Created'), h('dd', {}, fmtTime(j.createdAt)),
      h('dt', {}, 'Last updated'), h('dd', { id: 'job-updated' }, fmtTime(j.lastUpdatedAt)),
      j.completedAt ? [h('dt', {}, 'Completed'), h('dd', {}, fmtTime(j.completedAt))] : null,
      d.reasonCode ? [h('dt', {}, 'Reason'), h('dd', {}, d.reasonCode)] : null,
      d.comment ? [h('dt', {}, 'Comment'), h('dd', {}, d.comment)] : null);

    const raw = h('details', {}, h('summary', {}, 'Configuration, targets and document (JSON)'),
      h('pre', {}, JSON.stringify({ configuration: d.configuration || {}, targets: d.targets, document: d.document, documentSource: d.documentSource }, null, 2)));

    const execBox = h('div', { id: 'exec-box' });
    main.replaceChildren(setTitle('Job ' + j.jobId), actions,
      h('div', { class: 'grid2' },
        h('section', { class: 'card', 'aria-labelledby': 'h-overview' }, h('h2', { id: 'h-overview' }, 'Overview'), info),
        h('section', { class: 'card', 'aria-labelledby': 'h-progress' }, h('h2', { id: 'h-progress' }, 'Progress'), progress)),
      h('div', { class: 'grid2' },
        h('section', { class: 'card', 'aria-labelledby': 'h-rollout' }, h('h2', { id: 'h-rollout' }, 'Rollout'), rolloutDl),
        h('section', { class: 'card', 'aria-labelledby': 'h-schedule' }, h('h2', { id: 'h-schedule' }, 'Schedule'), schedDl)),
      h('section', { 'aria-labelledby': 'h-abort' }, h('h2', { id: 'h-abort' }, 'Abort thresholds'), abortList),
      h('section', { 'aria-labelledby': 'h-timeline' }, h('h2', { id: 'h-timeline' }, 'Timeline'), tl, planBox),
      raw,
      h('section', { 'aria-labelledby': 'h-execs' }, h('h2', { id: 'h-execs' }, 'Executions'), execBox));
    focusTitle();

    const execs = execTable(id, params, execBox, j);
    await execs.load();

    function reload() { if (seq === renderSeq) jobPage(id, params).catch(showError); }
    const refreshExecs = throttle(() => { if (seq === renderSeq) execs.load().catch(showError); }, 1000);
    const refreshRollout = throttle(() => {
      if (seq !== renderSeq || !features.pause) return;
      api('GET', '/api/jobs/' + enc(id) + '/rollout').then((r) => drawActions(j, r), () => {});
    }, 1000);
    watch([id], (ev) => {
      if (ev.jobId !== id || seq !== renderSeq) return;
      if (ev.deleted) { toast('Job ' + id + ' was deleted'); return; }
      if (sameJob(ev, j)) return;   // the stream's first event: what the page shows
      const statusChanged = ev.status !== j.status;
      Object.assign(j, ev);
      drawProgress(j);
      statusBadge.replaceChildren(badge(j.status));
      document.getElementById('job-updated').textContent = fmtTime(j.lastUpdatedAt);
      refreshExecs();
      if (statusChanged) reload(); else refreshRollout();
    }, null);
  }

  /* The executions of a job: filters, one page at a time, actions. */
  function execTable(id, params, box, job) {
    const state = { status: params.get('status') || '', thing: params.get('thing') || '', tokens: [''], page: 0 };
    const sel = h('select', { id: 'x-status' }, h('option', { value: '' }, 'any'),
      STATUSES.map((s) => h('option', { value: s, selected: s === state.status || null }, s)));
    const thingIn = h('input', { id: 'x-thing', value: state.thing, pattern: '[a-zA-Z0-9:_\\-]+', autocomplete: 'off' });
    const filters = h('form', { class: 'filters', 'aria-label': 'Filter executions' },
      h('label', { for: 'x-status' }, 'Status', sel), h('label', { for: 'x-thing' }, 'Thing', thingIn),
      h('button', { type: 'submit' }, 'Filter'));
    filters.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (sel.value) p.set('status', sel.value);
      if (thingIn.value) p.set('thing', thingIn.value);
      go('#/jobs/' + enc(id) + (p.toString() ? '?' + p : ''));
    });
    const tableBox = h('div', { id: 'exec-table' });
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of executions' });
    const summary = h('p', { class: 'muted', id: 'exec-summary' });
    box.replaceChildren(filters, summary, tableBox, pager);

    async function load() {
      const q = new URLSearchParams();
      if (state.status) q.set('status', state.status);
      if (state.thing) q.set('thing', state.thing);
      if (state.tokens[state.page]) q.set('next', state.tokens[state.page]);
      q.set('limit', '50');
      const data = await api('GET', '/api/jobs/' + enc(id) + '/executions?' + q);
      const total = state.status ? (job.counts[state.status] || 0) : job.total;
      summary.textContent = state.thing ? data.executions.length + ' execution(s) of ' + state.thing
        : 'Page ' + (state.page + 1) + ' of ' + Math.max(1, Math.ceil(total / 50)) + ' · ' + total + ' thing(s)' + (state.status ? ' ' + state.status : '') + ' (latest execution of each)';
      tableBox.replaceChildren(data.executions.length ? execRows(data.executions, false, () => load().catch(showError)) : h('p', {}, 'No executions match.'));
      state.tokens[state.page + 1] = data.nextToken || null;
      pager.replaceChildren(
        state.page > 0 ? h('button', { type: 'button', id: 'exec-prev', onclick: () => { state.page--; load().catch(showError); } }, 'Previous page') : '',
        data.nextToken ? h('button', { type: 'button', id: 'exec-next', onclick: () => { state.page++; load().catch(showError); } }, 'Next page') : '');
    }
    return { load };
  }

  function execRows(list, withJob, after) {
    return h('table', { class: 'execs' },
      h('thead', {}, h('tr', {},
        withJob ? h('th', { scope: 'col' }, 'Job') : h('th', { scope: 'col' }, 'Thing'),
        h('th', { scope: 'col' }, 'Execution'), h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Queued'), h('th', { scope: 'col' }, 'Last update'),
        h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, list.map((x) => h('tr', { 'data-thing': x.thingName, 'data-job': x.jobId, 'data-status': x.status },
        withJob ? h('th', { scope: 'row' }, h('a', { href: '#/jobs/' + enc(x.jobId) }, x.jobId))
          : h('th', { scope: 'row' }, h('a', { href: '#/things/' + enc(x.thingName) }, x.thingName)),
        h('td', {}, h('a', { href: '#/jobs/' + enc(x.jobId) + '/executions/' + enc(x.thingName) + '/' + x.executionNumber,
          'aria-label': 'Execution ' + x.executionNumber + ' of ' + x.thingName + ': status details' }, '#' + x.executionNumber)),
        h('td', {}, badge(x.status)),
        h('td', {}, fmtTime(x.queuedAt)), h('td', {}, fmtTime(x.lastUpdatedAt)),
        h('td', {}, execActions(x, after))))));
  }

  function execActions(x, after) {
    const label = x.thingName + ' #' + x.executionNumber;
    const box = h('div', { class: 'row-actions' });
    if (x.actions.cancel !== 'no') {
      const force = x.actions.cancel === 'force';
      box.append(h('button', { type: 'button', class: 'act-cancel', 'aria-label': (force ? 'Force cancel ' : 'Cancel ') + label,
        onclick: async () => {
          const ok = await confirmDialog((force ? 'Force cancel' : 'Cancel') + ' execution ' + label + '?',
            force ? 'It is IN_PROGRESS: canceling it needs force. The device is not told; its later updates are refused.'
              : 'The execution is QUEUED: it is canceled before the device starts it.',
            force ? 'Force cancel' : 'Cancel execution');
          if (!ok) return;
          await act('Cancel execution', () => api('POST', '/api/jobs/' + enc(x.jobId) + '/executions/' + enc(x.thingName) + '/cancel', { force }));
          after();
        } }, force ? 'Force cancel…' : 'Cancel…'));
    }
    const forceDel = x.actions.delete === 'force';
    box.append(h('button', { type: 'button', class: 'act-delete danger', 'aria-label': (forceDel ? 'Force delete ' : 'Delete ') + label,
      onclick: async () => {
        const ok = await confirmDialog((forceDel ? 'Force delete' : 'Delete') + ' execution ' + label + '?',
          forceDel ? 'It is ' + x.status + ', not finished: deleting it needs force. Its record is gone for good and the device may still be working on it.'
            : 'Its record is gone for good.',
          forceDel ? 'Force delete' : 'Delete');
        if (!ok) return;
        await act('Delete execution', () => api('DELETE', '/api/jobs/' + enc(x.jobId) + '/executions/' + enc(x.thingName) + '/' + x.executionNumber + (forceDel ? '?force=true' : '')));
        after();
      } }, forceDel ? 'Force delete…' : 'Delete…'));
    return box;
  }

  /* ---- one execution --------------------------------------------------------- */

  async function execPage(id, thing, n) {
    const seq = ++renderSeq;
    const d = await api('GET', '/api/jobs/' + enc(id) + '/executions/' + enc(thing) + '/' + enc(n));
    if (seq !== renderSeq) return;
    const x = d.execution;
    const details = x.statusDetails && Object.keys(x.statusDetails).length
      ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'))),
        h('tbody', {}, Object.entries(x.statusDetails).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, String(v))))))
      : h('p', { class: 'muted' }, 'No status details.');
    main.replaceChildren(setTitle('Execution #' + x.executionNumber + ' of ' + x.thingName),
      h('p', {}, h('a', { href: '#/jobs/' + enc(id) }, '← Job ' + id), ' · ', h('a', { href: '#/things/' + enc(thing) }, 'Thing ' + thing)),
      h('div', { class: 'actions' }, execActions(x, () => execPage(id, thing, n).catch(showError))),
      h('dl', { class: 'kv' },
        h('dt', {}, 'Status'), h('dd', {}, badge(x.status), x.forceCanceled ? ' (force canceled)' : ''),
        h('dt', {}, 'Queued'), h('dd', {}, fmtTime(x.queuedAt)),
        h('dt', {}, 'Started'), h('dd', {}, fmtTime(x.startedAt)),
        h('dt', {}, 'Last update'), h('dd', {}, fmtTime(x.lastUpdatedAt)),
        h('dt', {}, 'Version'), h('dd', {}, String(x.versionNumber)),
        h('dt', {}, 'Retry attempt'), h('dd', {}, String(x.retryAttempt)),
        h('dt', {}, 'In-progress deadline'), h('dd', {}, fmtTime(x.inProgressDeadline)),
        h('dt', {}, 'Step deadline'), h('dd', {}, fmtTime(x.stepDeadline))),
      h('h2', {}, 'Status details'), details);
    focusTitle();
    const again = () => { if (seq === renderSeq) execPage(id, thing, n).catch(showError); };
    // the execution's own events: a device's update of its statusDetails alone moves
    // no count of the job; the stream's first event is what the page shows
    watch([id], (ev) => { if (ev.jobId === id) again(); }, null, {
      path: id + '/' + thing + '/' + n,
      on: (ev) => {
        if (ev.deleted || ev.versionNumber !== x.versionNumber || ev.status !== x.status) again();
      } });
  }

  /* ---- a thing ------------------------------------------------------------------ */

  async function thingPage(name, params) {
    const seq = ++renderSeq;
    const next = params.get('next') || '';
    const q = new URLSearchParams({ limit: '50' });
    if (next) q.set('next', next);
    const d = await api('GET', '/api/things/' + enc(name) + '?' + q);
    if (seq !== renderSeq) return;
    const t = d.thing;
    const jobs = [...new Set(d.executions.map((x) => x.jobId))];
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of executions' });
    if (next) pager.append(h('a', { href: '#/things/' + enc(name) }, 'First page'));
    if (d.nextToken) pager.append(h('a', { href: '#/things/' + enc(name) + '?next=' + enc(d.nextToken) }, 'Next page'));
    main.replaceChildren(setTitle('Thing ' + name),
      t ? h('dl', { class: 'kv' },
        h('dt', {}, 'Type'), h('dd', {}, t.thingTypeName || '—'),
        h('dt', {}, 'Version'), h('dd', {}, String(t.version)),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(t.createdAt)),
        h('dt', {}, 'Attributes'), h('dd', {}, t.attributes && Object.keys(t.attributes).length
          ? Object.entries(t.attributes).map(([k, v]) => k + '=' + v).join(', ') : '—'))
        : h('p', { class: 'muted' }, 'No such thing in the registry (it may have been deleted); its executions follow.'),
      h('h2', {}, 'Jobs'),
      jobs.length ? h('ul', {}, jobs.map((id) => h('li', {}, h('a', { href: '#/jobs/' + enc(id) }, id)))) : h('p', { class: 'muted' }, 'None on this page.'),
      h('h2', {}, 'Executions'),
      d.executions.length ? execRows(d.executions, true, () => thingPage(name, params).catch(showError)) : h('p', {}, 'No executions.'),
      pager);
    focusTitle();
    const refresh = throttle(() => { if (seq === renderSeq) thingPage(name, params).catch(showError); }, 1000);
    let first = true;
    watch(jobs, () => { if (!first) refresh(); }, null);
    setTimeout(() => { first = false; }, 1500);
  }

  /* ---- routing ---------------------------------------------------------------- */

  function showError(e) {
    if (e && e.status === 401) return;
    main.replaceChildren(setTitle(e && e.status === 404 ? 'Not found' : 'Error'),
      h('p', { role: 'alert' }, (e && e.message) || String(e)), h('p', {}, h('a', { href: '#/' }, 'Back to the jobs')));
    focusTitle();
  }

  async function route() {
    const { parts, params } = parseHash();
    try {
      if (parts.length === 0) await jobsPage(params);
      else if (parts[0] === 'jobs' && parts.length === 2) await jobPage(parts[1], params);
      else if (parts[0] === 'jobs' && parts.length === 5 && parts[2] === 'executions') await execPage(parts[1], parts[3], parts[4]);
      else if (parts[0] === 'things' && parts.length === 2) await thingPage(parts[1], params);
      else showError(new ApiError(404, { message: 'No such page' }));
    } catch (e) {
      showError(e);
    }
  }

  async function start() {
    document.getElementById('thing-search').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const v = document.getElementById('thing-q').value.trim();
      if (v) go('#/things/' + enc(v));
    });
    document.getElementById('logout').addEventListener('click', async () => {
      await api('POST', '/api/logout').catch(() => {});
      csrf = '';
      showLogin('token');
    });
    window.addEventListener('hashchange', () => { document.activeElement.blur(); route(); });
    let s;
    try {
      s = await session();
    } catch (e) {
      showError(e);
      return;
    }
    if (s.mode !== 'none' && !s.authenticated) showLogin(s.mode);
    else loadFeatures().then(route, showError);
  }

  start();
}());
