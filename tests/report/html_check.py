#!/usr/bin/env python3
"""Facts about a `warden report` page, as JSON for the tier's jq checks.

Two real parsers read the page: Python's strict XML parser (the page is
written as XHTML-compatible markup, so any unbalanced tag, bad entity or
unescaped '<' or '&' in a name is an error) and its HTML parser (every
element closed in order, void elements excepted).

usage: html_check.py PAGE.html > facts.json"""
import html.parser
import json
import re
import sys
import xml.etree.ElementTree as ET

VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'}
FETCHING = {'script', 'link', 'img', 'iframe', 'object', 'embed', 'audio', 'video', 'source', 'image', 'use'}


class Balance(html.parser.HTMLParser):
    """Every start tag closed by its own end tag, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.fetching = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag in FETCHING:
            self.fetching.append(tag)
        for name, value in attrs:
            if name in ('src', 'srcset', 'action') or (name in ('href', 'xlink:href') and not (value or '').startswith('#')):
                self.fetching.append('%s %s=%s' % (tag, name, value))
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        if tag in FETCHING:
            self.fetching.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append('</%s> at line %d does not close %s' % (tag, self.getpos()[0], self.stack[-1] if self.stack else 'anything'))
            return
        self.stack.pop()


def local(tag):
    return tag.rsplit('}', 1)[-1]


def text_of(el):
    return ''.join(el.itertext()).strip()


def svg_facts(svg):
    cls = svg.get('class', '').split()
    items = [e for e in svg.iter() if local(e.tag) == 'g' and 'legend-item' in e.get('class', '').split()]
    return {
        'class': cls,
        'polylines': sum(1 for e in svg.iter() if local(e.tag) in ('polyline', 'path') and 'series' in e.get('class', '').split()),
        'series': [e.get('data-name') for e in svg.iter() if local(e.tag) == 'polyline'],
        'legend': [e.get('data-name') for e in items],
        'bars': sum(1 for e in svg.iter() if local(e.tag) == 'rect' and 'bar' in e.get('class', '').split()),
        'markers': sum(1 for e in svg.iter() if local(e.tag) == 'line' and 'marker' in e.get('class', '').split()),
        'texts': [text_of(e) for e in svg.iter() if local(e.tag) == 'text'],
        'axis_labels': [text_of(e) for e in svg.iter() if local(e.tag) == 'text' and 'axis-label' in e.get('class', '').split()],
        'tick_labels': sum(1 for e in svg.iter() if local(e.tag) == 'text' and 'tick-label' in e.get('class', '').split()),
    }


def main():
    page = open(sys.argv[1], encoding='utf-8').read()
    facts = {'xml': 'ok', 'balance': 'ok'}
    b = Balance()
    b.feed(page)
    b.close()
    if b.errors or b.stack:
        facts['balance'] = '; '.join(b.errors[:3] + ['unclosed %s' % (s,) for s in b.stack[:3]])
    facts['fetching'] = b.fetching
    # "http" only in namespace declarations; no CSS url(), no @import
    facts['http_outside_xmlns'] = len(re.findall(r'https?:', re.sub(r'xmlns(:\w+)?="[^"]*"', '', page)))
    facts['css_fetch'] = len(re.findall(r'url\(|@import', page))
    try:
        root = ET.fromstring(page)
    except ET.ParseError as e:
        facts['xml'] = str(e)
        print(json.dumps(facts, indent=1))
        return
    svgs = [e for e in root.iter() if local(e.tag) == 'svg']
    facts['svg_count'] = len(svgs)
    facts['svg_without_id'] = sum(1 for s in svgs if not s.get('id'))
    facts['svgs'] = {s.get('id'): svg_facts(s) for s in svgs if s.get('id')}
    classes = {}
    for s in svgs:
        for c in s.get('class', '').split():
            classes[c] = classes.get(c, 0) + 1
    facts['classes'] = classes
    facts['missing'] = [text_of(e) for e in root.iter() if local(e.tag) == 'p' and 'missing' in e.get('class', '').split()]
    facts['summary'] = {text_of(r[0]): text_of(r[1]) for t in root.iter() if local(t.tag) == 'table'
                        and 'summary' in t.get('class', '').split() for r in t.iter() if local(r.tag) == 'tr' and len(r) == 2}
    facts['tables'] = {}
    for t in root.iter():
        if local(t.tag) == 'table':
            rows = [[text_of(c) for c in r] for r in t.iter() if local(r.tag) == 'tr']
            facts['tables'][t.get('class', '')] = rows
    facts['title'] = text_of(next(e for e in root.iter() if local(e.tag) == 'title'))
    print(json.dumps(facts, indent=1, ensure_ascii=False))


if __name__ == '__main__':
    main()
