#!/usr/bin/env python3
"""gen-man.py BINARY > jobsd.8: the man page of jobsd, generated from `BINARY --help` and
`BINARY --version` (so it never drifts from the option table in src/config.c), with the
sections --help does not hold (files, signals, exit status) written here.

Why not help2man: it would need jobsd's --help in GNU's layout and still could not add
these sections without an include file; parsing our own fixed layout is a few lines.
"""

import datetime
import os
import re
import subprocess
import sys

OPT_RE = re.compile(r'^  (--[a-z][a-z0-9-]*)(?: (\S+))?\s+(.*)$')


def roff(text):
    """Escape text for roff: backslashes, hyphens, and a leading dot or quote."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    if text[:1] in ('.', "'"):
        text = '\\&' + text
    return text


def main(argv):
    binary = argv[1]
    help_text = subprocess.run([binary, '--help'], check=True, capture_output=True,
                               text=True).stdout
    version = subprocess.run([binary, '--version'], check=True, capture_output=True,
                             text=True).stdout.split()[-1]
    epoch = int(os.environ.get('SOURCE_DATE_EPOCH', '0')) or None
    date = (datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc)).strftime('%Y-%m-%d')
    lines = help_text.splitlines()
    options, prose, tail = [], [], []
    state = 'head'
    for line in lines:
        m = OPT_RE.match(line)
        if m:
            options.append(m.groups())
            state = 'opts'
        elif state == 'head' and line and not line.startswith('usage:'):
            prose.append(line)
        elif state == 'opts' and line.strip():
            tail.append(line.strip())
    out = []
    w = out.append
    w('.TH JOBSD 8 "%s" "jobsd %s" "System Administration"' % (date, version))
    w('.SH NAME')
    w('jobsd \\- a self\\-hosted, wire\\-compatible AWS IoT Jobs service')
    w('.SH SYNOPSIS')
    w('.B jobsd')
    w('[\\fIoptions\\fR]')
    w('.SH DESCRIPTION')
    for p in prose[1:]:
        w(roff(p))
    w('.SH OPTIONS')
    for name, arg, desc in options:
        w('.TP')
        w('\\fB%s\\fR%s' % (roff(name), (' \\fI%s\\fR' % roff(arg)) if arg else ''))
        w(roff(desc))
    if tail:
        w('.PP')
        for t in tail:
            w(roff(t))
            w('.br')
    w('.SH SIGNALS')
    w('.TP')
    w('.B SIGTERM, SIGINT')
    w('Stop accepting, finish the requests in flight, close the store, exit 0.')
    w('.TP')
    w('.B SIGHUP')
    w(roff('Re-read the log level and format, the credentials file, the TLS files and the '
           'admin token (a bad file keeps the one in force), and reopen the access log.'))
    w('.SH EXIT STATUS')
    w('0 after a signal, \\-\\-help or \\-\\-version; 2 for a configuration error (among them '
      'the unsafe combinations jobsd refuses); 1 when the store, the MQTT bridge or a '
      'listener does not start.')
    w('.SH FILES')
    w('.TP')
    w('.I /etc/jobsd/jobsd.conf')
    w('The options of the jobsd service (\\fBsystemctl\\fR(1) unit \\fIjobsd.service\\fR).')
    w('.TP')
    w('.I /etc/jobsd/credentials')
    w('SigV4 key pairs, one \\fIACCESS_KEY_ID SECRET\\fR [\\fIadmin\\fR] a line.')
    w('.TP')
    w('.I /var/lib/jobsd')
    w('The service\'s state (the SQLite store).')
    w('.TP')
    w('.I /usr/share/jobsd/mosquitto')
    w('Sample Mosquitto configurations and ACLs for the MQTT device plane.')
    w('.SH SEE ALSO')
    w('\\fBmosquitto\\fR(8), \\fBsystemctl\\fR(1)')
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main(sys.argv)
