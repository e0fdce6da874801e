#!/usr/bin/python3
"""The mechanical parts of docs/api-conventions.md, checked against the public headers, the
version script and the built library:
- every GROWTH_API function is declared in the header that the conventions' prefix table gives
  for its longest matching prefix, and in exactly one public header;
- the built library exports exactly the declared functions (no more, no fewer);
- src/libgrowth.map lists names (no glob) and equals what scripts/gen-version-script generates;
- every public struct starts with `uint32_t struct_size` and has a GROWTH_<NAME>_INIT macro;
- every function's doc comment has @since, and @return when it returns a status (int);
- the count out-parameter is called out_n (never needed / found / out_bins / n_slots).
Usage: check_conventions.py SOURCE_ROOT LIBGROWTH_SO"""
import os
import re
import subprocess
import sys

root, lib = sys.argv[1], sys.argv[2]
inc = os.path.join(root, "include", "growth")
errors = []

# --- the prefix table of section 1 ---------------------------------------------------------
doc = open(os.path.join(root, "docs", "api-conventions.md"), encoding="utf-8").read()
table = doc.split("### Where a function lives", 1)[1].split("\n## ", 1)[0]
prefixes = {}
for line in table.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 3 or not cells[1].endswith(".h`"):
        continue
    header = cells[1].strip("`")
    for p in re.findall(r"`(growth_\w*)`", cells[0]):
        prefixes[p] = header
if len(prefixes) < 10:
    errors.append(f"docs/api-conventions.md: prefix table not found or too short ({prefixes})")

# --- declarations --------------------------------------------------------------------------
DECL = re.compile(r"GROWTH_API\s+([^;{(]*?)\b(growth_\w+)\s*\(([^;]*?)\)\s*;", re.S)
declared = {}
for sub in ("", "sys"):
    d = os.path.join(inc, sub)
    if not os.path.isdir(d):
        continue
    for h in sorted(os.listdir(d)):
        if not h.endswith(".h"):
            continue
        rel = os.path.join(sub, h) if sub else h
        text = open(os.path.join(d, h), encoding="utf-8").read()
        for m in DECL.finditer(text):
            ret, name, params = m.group(1).strip(), m.group(2), m.group(3)
            declared.setdefault(name, []).append(rel)
            before = text[:m.start()].rstrip()
            comment = before[before.rfind("/**"):] if before.endswith("*/") else ""
            if "@since" not in comment:
                errors.append(f"{rel}: {name}: no @since in its doc comment")
            if ret == "int" and "@return" not in comment:
                errors.append(f"{rel}: {name}: returns a status but its doc comment has no @return")
            for bad in ("needed", "found", "out_bins", "n_slots"):
                if re.search(r"\*\s*" + bad + r"\b", params):
                    errors.append(f"{rel}: {name}: count out-parameter '{bad}' must be called out_n")
            best = max((p for p in prefixes if name.startswith(p)), key=len, default=None)
            if best is None:
                errors.append(f"{rel}: {name}: no prefix of the conventions' table matches")
            elif prefixes[best] != rel:
                errors.append(f"{rel}: {name}: prefix {best} belongs in {prefixes[best]}")
        # structs with a body
        for m in re.finditer(r"typedef struct (growth_\w+)\s*\{(.*?)\}\s*(growth_\w+)\s*;", text, re.S):
            name, body = m.group(1), m.group(2)
            first = re.sub(r"/\*.*?\*/", "", body, flags=re.S).strip().split(";")[0].split()
            if first != ["uint32_t", "struct_size"]:
                errors.append(f"{rel}: struct {name}: the first member must be uint32_t struct_size")
            macro = "GROWTH_" + name[len("growth_"):].upper() + "_INIT"
            if not re.search(r"#define\s+" + macro + r"\b", text):
                errors.append(f"{rel}: struct {name}: no {macro} macro")
for name, where in declared.items():
    if len(where) > 1:
        errors.append(f"{name} is declared in {len(where)} headers: {', '.join(where)}")

# --- the library exports exactly the declared functions ------------------------------------
out = subprocess.run(["readelf", "--dyn-syms", "-W", lib], capture_output=True, text=True, check=True).stdout
exported = set()
for line in out.splitlines()[3:]:
    f = line.split()
    if len(f) >= 8 and f[6] != "UND" and f[3] == "FUNC":
        exported.add(f[7].split("@")[0])
for n in sorted(exported - set(declared)):
    errors.append(f"exported but declared in no public header: {n}")
for n in sorted(set(declared) - exported):
    errors.append(f"declared but not exported: {n}")

# --- the version script --------------------------------------------------------------------
vmap = open(os.path.join(root, "src", "libgrowth.map"), encoding="utf-8").read()
glob_lines = [l.strip() for l in vmap.splitlines() if "*" in l and l.strip() not in ("*;",)
              and not l.strip().startswith(("/*", "*"))]
if glob_lines:
    errors.append(f"src/libgrowth.map uses a glob: {glob_lines}")
r = subprocess.run([sys.executable, os.path.join(root, "scripts", "gen-version-script"), "--check", root],
                   capture_output=True, text=True)
if r.returncode != 0:
    errors.append("src/libgrowth.map differs from the headers:\n" + r.stdout[-3000:])

for e in errors:
    print("FAIL:", e)
print(f"{len(declared)} functions, {len(prefixes)} prefixes, {len(errors)} problems")
sys.exit(1 if errors else 0)
