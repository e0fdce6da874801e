#!/usr/bin/python3
"""Checks the Doxygen API reference built by the `docs` target (docs/meson.build).

usage: check_api_docs.py DOCS_BUILD_DIR VERSION INCLUDE_DIR
       check_api_docs.py --no-doxygen        (exits 77: meson reports the test as skipped)

Every function declared with GROWTH_API in include/growth/*.h and include/growth/sys/*.h must
have its own documented entry in a module (group) page of the HTML reference, the pages must
carry the project version, and Doxygen must have written no warning (undocumented members,
broken references, bad commands).
"""
import html
import os
import re
import sys
import xml.etree.ElementTree as ET

SKIP = 77


def declared_functions(include_dir):
    names = set()
    for sub in ("growth", os.path.join("growth", "sys")):  # sys: the unstable interfaces
        d = os.path.join(include_dir, sub)
        if not os.path.isdir(d):
            continue
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".h"):
                with open(os.path.join(d, fn), encoding="utf-8") as f:
                    names.update(re.findall(r"^GROWTH_API\b[^;(]*?\b(growth_\w+)\s*\(", f.read(), re.M))
    return names


def member_docs(page_text, anchor):
    """Plain text of the documentation block that follows the anchor of one member."""
    start = page_text.find(f'id="{anchor}"')
    if start < 0:
        return None
    end = page_text.find('<a id="', start + 1)
    block = page_text[start:end if end > 0 else len(page_text)]
    doc = block.find('class="memdoc"')
    if doc < 0:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", " ", block[doc + len('class="memdoc">'):])).strip()


def main(argv):
    if len(argv) == 2 and argv[1] == "--no-doxygen":
        print("doxygen not installed: the docs target is not defined, nothing to check")
        return SKIP
    docs_dir, version, include_dir = argv[1:4]
    problems = []

    with open(os.path.join(docs_dir, "doxygen-warnings.log"), encoding="utf-8") as f:
        warnings = f.read().strip()
    if warnings:
        problems.append("doxygen warnings:\n" + warnings)

    html_dir = os.path.join(docs_dir, "html")
    with open(os.path.join(html_dir, "index.html"), encoding="utf-8") as f:
        if version not in f.read():
            problems.append(f"index.html does not carry the project version {version}")

    # function name -> (page, anchor) of its entry in a module (group) page
    documented = {}
    for compound in ET.parse(os.path.join(docs_dir, "libgrowth.tag")).getroot():
        if compound.get("kind") != "group":
            continue
        for m in compound.findall("member"):
            if m.get("kind") == "function":
                documented[m.findtext("name")] = (m.findtext("anchorfile"), m.findtext("anchor"))

    declared = declared_functions(include_dir)
    if len(declared) < 100:
        problems.append(f"only {len(declared)} GROWTH_API functions found in {include_dir}")
    pages = {}
    for name in sorted(declared):
        if name not in documented:
            problems.append(f"{name}: no entry in any module page")
            continue
        page, anchor = documented[name]
        if page not in pages:
            path = os.path.join(html_dir, page)
            pages[page] = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if pages[page] is None:
            problems.append(f"{name}: page {page} missing")
            continue
        text = member_docs(pages[page], anchor)
        if text is None:
            problems.append(f"{name}: anchor {anchor} not in {page}")
        elif len(text.split()) < 3:
            problems.append(f"{name}: empty documentation in {page}")

    page, anchor = documented.get("growth_ftrl_predict", (None, None))
    if page:
        print(f"growth_ftrl_predict is documented in html/{page}#{anchor}: "
              f"{member_docs(pages[page], anchor)[:100]}...")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print(f"ok: {len(declared)} public functions documented in {len(pages)} module pages, "
              f"version {version}, no doxygen warnings")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
