"""Every section number and decision number the repository cites resolves in docs/.

Code comments, tests and documents cite sections of the AWS IoT Jobs specification as
"§N" or "§N.N" and jobsd's decisions as "D<number>". Neither source document is in the
repository; docs/reference.md has one entry per cited section and docs/decisions.md one per
decision. This test collects every citation from the source and documentation trees and
checks that each has its entry: a heading "§N.N ..." in reference.md, a heading "DN ..." in
decisions.md, each with a matching anchor. No jobsd is started.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

REPO = harness.REPO
REFERENCE = os.path.join(REPO, 'docs', 'reference.md')
DECISIONS = os.path.join(REPO, 'docs', 'decisions.md')

# Trees and files searched for citations (relative to the repository).
SEARCHED = ('src', 'tests', 'docs', 'bench', 'fuzz', 'contrib', 'scripts', 'README.md')
SKIP_DIRS = {'.git', '__pycache__', 'build', 'build-asan', 'node_modules'}
TEXT_EXT = {'.c', '.h', '.py', '.md', '.sh', '.txt', '.dict', '.cmake', '.conf', '.in',
            '.service', '.toml', '.json', '.yml', '.yaml', ''}

# "§7.1", "§ 9", "spec §4.1 / §9.5"; a trailing sentence period is not part of the number.
SECTION_RE = re.compile(r'§\s?(\d+(?:\.\d+)*)')
# "D14", "D1-D5", "decisions D20"; not a hexadecimal code point such as "U+D800".
DECISION_RE = re.compile(r'(?<![\w+])D(\d+)\b')
SECTION_HEADING_RE = re.compile(r'^#{2,4} §(\d+(?:\.\d+)*) \S', re.M)
DECISION_HEADING_RE = re.compile(r'^#{2,4} D(\d+) \S', re.M)
ANCHOR_RE = re.compile(r'<a id="([^"]+)"></a>')


def searched_files():
    for top in SEARCHED:
        path = os.path.join(REPO, top)
        if os.path.isfile(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                if os.path.splitext(name)[1] in TEXT_EXT:
                    yield os.path.join(root, name)


def citations(pattern):
    """{cited id: ['path:line', ...]} over every searched file."""
    found = {}
    for path in searched_files():
        try:
            with open(path, encoding='utf-8') as f:
                lines = f.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        rel = os.path.relpath(path, REPO)
        targets = path in (REFERENCE, DECISIONS)
        for no, line in enumerate(lines, 1):
            if targets and line.startswith('#'):
                continue    # an entry's own heading is not a citation
            for m in pattern.finditer(line):
                found.setdefault(m.group(1), []).append('%s:%d' % (rel, no))
    return found


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def first_places(places, n=3):
    return ', '.join(places[:n]) + (' ...' if len(places) > n else '')


class DocsResolveCitations(unittest.TestCase):

    def test_every_cited_section_has_an_entry_in_reference_md(self):
        text = read(REFERENCE)
        entries = set(SECTION_HEADING_RE.findall(text))
        anchors = set(ANCHOR_RE.findall(text))
        cited = citations(SECTION_RE)
        self.assertTrue(cited, 'no section citations found: is the search broken?')
        missing = {s: p for s, p in cited.items() if s not in entries}
        self.assertEqual(missing, {}, 'sections cited without an entry in docs/reference.md:\n'
                         + '\n'.join('  §%s  (%s)' % (s, first_places(p))
                                     for s, p in sorted(missing.items())))
        no_anchor = sorted(s for s in entries if 's' + s not in anchors)
        self.assertEqual(no_anchor, [], 'entries of docs/reference.md without <a id="sN.N">')
        sys.stderr.write('\n%d distinct sections cited, each resolves in docs/reference.md\n'
                         % len(cited))

    def test_every_cited_decision_has_an_entry_in_decisions_md(self):
        text = read(DECISIONS)
        entries = set(DECISION_HEADING_RE.findall(text))
        anchors = set(ANCHOR_RE.findall(text))
        cited = citations(DECISION_RE)
        self.assertTrue(cited, 'no decision citations found: is the search broken?')
        missing = {d: p for d, p in cited.items() if d not in entries}
        self.assertEqual(missing, {}, 'decisions cited without an entry in docs/decisions.md:\n'
                         + '\n'.join('  D%s  (%s)' % (d, first_places(p))
                                     for d, p in sorted(missing.items(), key=lambda x: int(x[0]))))
        no_anchor = sorted(d for d in entries if 'D' + d not in anchors)
        self.assertEqual(no_anchor, [], 'entries of docs/decisions.md without <a id="DN">')
        sys.stderr.write('%d distinct decisions cited, each resolves in docs/decisions.md\n'
                         % len(cited))

    def test_decision_entries_are_numbered_without_gaps(self):
        numbers = sorted(int(d) for d in DECISION_HEADING_RE.findall(read(DECISIONS)))
        self.assertEqual(numbers, list(range(1, len(numbers) + 1)))

    def test_the_patterns_find_what_they_should(self):
        self.assertEqual(SECTION_RE.findall('spec §4.1 / §9.5, see §7.2/§7.3. End §11.'),
                         ['4.1', '9.5', '7.2', '7.3', '11'])
        self.assertEqual(DECISION_RE.findall('decisions D1-D5, D11; U+D800; ID12 x_D3 D20.'),
                         ['1', '5', '11', '20'])


if __name__ == '__main__':
    unittest.main(verbosity=1)
