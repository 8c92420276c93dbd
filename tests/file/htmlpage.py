"""htmlpage.py - what the tests of memrec's HTML pages check on the markup
(tests/live/test_oom_html.sh, tests/file/test_leak_html.sh).

parse(path) reads a page with python's html.parser and returns (source,
Page): the tags seen, each <script>'s attributes and text, every text
node, the SVG <text> elements' texts, and the errors found: a tag closed
out of order, one never closed, a src/href attribute or CSS url().
outside(src, page, scripts) lists what would make the page fetch
something or run someone else's code: <script> (unless scripts), <link>,
<iframe>, <img>, <object>, CSS @import/@font-face/url(), any address.
"""
import html.parser
import re

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
SVG_NS = "http://www.w3.org/2000/svg"


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags = [], [], set()
        self.svgs = 0
        self.texts = []             # each SVG <text>'s
        self.all_text = []          # every text node outside <script> and <style>
        self.scripts = []           # (attributes dict, text) per <script>
        self.text = None
        self.in_raw = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ("src", "href") or (k == "style" and "url(" in (v or "")):
                self.errors.append("external reference %s=%r" % (k, v))
        if tag == "svg":
            self.svgs += 1
        if tag == "text":
            self.text = ""
        if tag in ("script", "style"):
            self.in_raw = tag
            if tag == "script":
                self.scripts.append((dict(attrs), ""))
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> at line %d closes %s" % (
                tag, self.getpos()[0], self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if tag == self.in_raw:
            self.in_raw = None
        if tag == "text" and self.text is not None:
            self.texts.append(self.text)
            self.text = None

    def handle_data(self, data):
        if self.in_raw == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
            return
        if self.in_raw:
            return
        self.all_text.append(data)
        if self.text is not None:
            self.text += data


def parse(path):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    p = Page()
    p.feed(src)
    p.close()
    if p.stack:
        p.errors.append("never closed: %s" % p.stack[-3:])
    return src, p


def outside(src, p, scripts=False):
    why = [t for t in ("script", "link", "iframe", "img", "object")
           if t in p.tags and not (scripts and t == "script")]
    if re.search(r"@import|@font-face|url\(", src):
        why.append("CSS fetches something")
    for u in re.findall(r"https?://[^\s\"'<>]+", src):
        if u != SVG_NS:
            why.append("address %s" % u)
    return why
