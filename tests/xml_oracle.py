#!/usr/bin/env python3
"""Test oracle for src/xml.rs and src/checksum.rs (run by tests/xml.rs and tests/checksum.rs).

`../shared/tools/msapp_checksum.py` decides XML indentation with look-ahead and writes every
childless element as `<a />`. .NET's `XDocument.ToString()` does neither: it keeps `<a></a>`
for elements closed explicitly, and its indenting writer only stops indenting once text or
CDATA has been written in an element. `dotnet_canon` below is an independent (expat-based)
model of that writer; with it the shared tool reproduces every C8 stamp of the corpus and
the `pkgs/*.xml` files that `pac` wrote.

Usage (prints JSON on stdout):
  xml_oracle.py xml APP...        every template / WADL payload with both canonical forms
  xml_oracle.py checksum APP...   whole + per-file checksums: shared tool as is, shared tool
                                  with dotnet_canon, and the stamps in checksum.json
"""
import json
import os
import sys
import xml.parsers.expat
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools"))
import msapp_checksum as tool  # noqa: E402

XML_SPACE = set(" \t\r\n")


def parse(s):
    """Tree of [name, attrs, children, self_closed]; children are nodes or (kind, data)."""
    raw = s.encode("utf-8")
    root = ["#doc", [], [], False]
    stack = [root]
    starts = []
    in_cdata = [False]
    p = xml.parsers.expat.ParserCreate()
    p.ordered_attributes = True
    p.buffer_text = True

    def start(name, attrs):
        node = [name, list(zip(attrs[0::2], attrs[1::2])), [], False]
        stack[-1][2].append(node)
        stack.append(node)
        starts.append(p.CurrentByteIndex)

    def end(_name):
        # Self-closed when the start tag itself ends in "/>" (skip quoted attribute values).
        i, quote = starts.pop(), None
        while True:
            c = raw[i:i + 1]
            if quote:
                if c == quote:
                    quote = None
            elif c in (b'"', b"'"):
                quote = c
            elif c == b">":
                break
            i += 1
        stack.pop()[3] = raw[i - 1:i] == b"/"

    def chars(data):
        kind = "cdata" if in_cdata[0] else "text"
        kids = stack[-1][2]
        if kids and isinstance(kids[-1], tuple) and kids[-1][0] == kind:
            kids[-1] = (kind, kids[-1][1] + data)
        else:
            kids.append((kind, data))

    def start_cdata():
        in_cdata[0] = True
        stack[-1][2].append(("cdata", ""))

    def end_cdata():
        in_cdata[0] = False

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.StartCdataSectionHandler = start_cdata
    p.EndCdataSectionHandler = end_cdata
    p.CommentHandler = lambda d: stack[-1][2].append(("comment", d))
    p.ProcessingInstructionHandler = lambda t, d: stack[-1][2].append(("pi", (t, d)))
    p.Parse(raw, True)
    return root


def dotnet_canon(s, drop_xml_ns=False):
    root = parse(s)
    w = {"buf": [], "n": 0, "text": 0, "content": 0, "mixed": False, "stack": [], "level": 0}

    def put(x):
        w["buf"].append(x)
        w["n"] += len(x)

    def may_indent():
        return not w["mixed"] and w["text"] != w["n"]

    def indent():
        put("\n" + "  " * w["level"])

    def esc_text(t):
        t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return t.replace("\r\n", "\n").replace("\r", "\n")

    def esc_attr(t):
        t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        return t.replace("\r", "&#xD;").replace("\n", "&#xA;").replace("\t", "&#x9;")

    def emit(node):
        if isinstance(node, tuple):
            kind, d = node
            if kind in ("text", "cdata"):
                w["mixed"] = True
                put(esc_text(d) if kind == "text" else "<![CDATA[" + d + "]]>")
                w["text"] = w["n"]
                return
            if may_indent():
                indent()
            if kind == "comment":
                put("<!--" + d + "-->")
            else:
                target, data = d
                put("<?" + target + (" " + data if data else "") + "?>")
            return
        name, attrs, kids, self_closed = node
        kids = [k for k in kids if not (isinstance(k, tuple) and k[0] == "text" and set(k[1]) <= XML_SPACE)]
        if may_indent():
            indent()
        w["level"] += 1
        w["stack"].append(w["mixed"])
        put("<" + name + "".join(' %s="%s"' % (k, esc_attr(v)) for k, v in attrs) + ">")
        w["content"] = w["n"]
        if self_closed:
            w["level"] -= 1
            w["mixed"] = w["stack"].pop()
            w["buf"][-1] = w["buf"][-1][:-1] + " />"
            w["n"] += 2
            return
        if not kids:
            w["mixed"] = True
            w["text"] = w["n"]
        for k in kids:
            emit(k)
        w["level"] -= 1
        if not w["mixed"] and w["content"] != w["n"] and w["text"] != w["n"]:
            indent()
        w["mixed"] = w["stack"].pop()
        put("</" + name + ">")

    for k in root[2]:
        if not (isinstance(k, tuple) and k[0] == "text"):
            emit(k)
    return "".join(w["buf"])


def payloads(path):
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            low = info.filename.lower()
            if low == "references\\templates.json":
                doc = json.loads(z.read(info).decode("utf-8-sig"))
                for t in doc.get("UsedTemplates") or []:
                    yield "template", "%s_%s" % (t.get("Name"), t.get("Version")), t.get("Template")
            elif low == "references\\datasources.json":
                doc = json.loads(z.read(info).decode("utf-8-sig"))
                for ds in doc.get("DataSources") or []:
                    wadl = (ds.get("WadlMetadata") or {}).get("WadlXml")
                    if wadl:
                        yield "wadl", ds.get("Name"), wadl


def main(argv):
    mode, apps = argv[0], argv[1:]
    out = {}
    if mode == "xml":
        for app in apps:
            out[app] = [
                {"kind": kind, "name": name, "source": src,
                 "python": tool.xml_canon(src), "dotnet": dotnet_canon(src)}
                for kind, name, src in payloads(app)
                if isinstance(src, str) and src.strip()
            ]
    elif mode == "checksum":
        shared_canon = tool.xml_canon
        for app in apps:
            tool.xml_canon = shared_canon
            py_whole, py_files = tool.checksum(app)
            tool.xml_canon = dotnet_canon
            net_whole, net_files = tool.checksum(app)
            stamped, stamped_files = tool.stamped(app)
            out[app] = {"python": [py_whole, py_files], "dotnet": [net_whole, net_files],
                        "stamped": [stamped, stamped_files]}
        tool.xml_canon = shared_canon
    else:
        raise SystemExit("unknown mode " + mode)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
