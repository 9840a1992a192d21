#!/usr/bin/env python3
"""Man pages against the programs (issue 13, item 3): for rsipd, rsipctl and
rsipc, every option --help lists is in the OPTIONS section of the man page
built from docs/man/*.scd, and every option that section names is in --help;
every key rsipd accepts in its file is in rsipd.conf(5)'s KEYS, and the other
way round. The pages are rendered by man(1) as a reader would see them."""
import os
import re
import subprocess
import sys

build = os.environ.get("BUILD", "build")
LONG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]+)")
SHORT = re.compile(r"(?<![\w-])(-[a-zA-Z])(?=[,\s])")
FLAG_ONLY = {"--config", "--check-config", "--help", "--version"}


def page(name):
    path = os.path.join(build, "man", name)
    if not os.path.exists(path):
        print(f"no {path} (make man)")
        sys.exit(1)
    out = subprocess.run(["man", "-l", path], capture_output=True, text=True,
                         env=dict(os.environ, MANWIDTH="200"), check=True).stdout
    return re.sub(r".\x08", "", out)  # no overstrike


def section(text, title):
    m = re.search(rf"^{title}\n(.*?)(?=^[A-Z][A-Z -]+\n|\Z)", text, re.S | re.M)
    assert m, f"no {title} section"
    return m.group(1)


def opts(text):
    return set(LONG.findall(text)) | set(SHORT.findall(text))


def help_text(prog):
    r = subprocess.run([os.path.join(build, prog), "--help"], capture_output=True, text=True)
    return r.stdout + r.stderr


failed = False
for prog, man in (("rsipd", "rsipd.8"), ("rsipctl", "rsipctl.8"), ("rsipc", "rsipc.8")):
    h = opts(help_text(prog))
    m = opts(section(page(man), "OPTIONS"))
    for o in sorted(h - m):
        print(f"FAIL: {prog} --help lists {o}, {man} does not")
        failed = True
    for o in sorted(m - h):
        print(f"FAIL: {man} lists {o}, {prog} --help does not")
        failed = True
    print(f"{prog}: {len(h)} options in --help, {len(m)} in {man}")

keys = {o[2:] for o in LONG.findall(help_text("rsipd")) if o not in FLAG_ONLY}
conf = page("rsipd.conf.5")
keys_text = re.split(r"config and check-config", section(conf, "KEYS"))[0]
# "Addresses: listen, public, tunnel-endpoint." - the words after each colon.
documented = set()
for part in re.findall(r":([^:]*?)\.(?:\s|$)", keys_text, re.S):
    documented |= {w.strip() for w in part.replace("\n", " ").split(",") if w.strip()}
for k in sorted(keys - documented):
    print(f"FAIL: rsipd accepts key '{k}', rsipd.conf(5) KEYS does not name it")
    failed = True
for k in sorted(documented - keys):
    print(f"FAIL: rsipd.conf(5) names key '{k}', rsipd does not accept it")
    failed = True
print(f"rsipd.conf: {len(keys)} keys, {len(documented)} in rsipd.conf(5)")
if failed:
    sys.exit(1)
print("man pages test: ok")
