#!/usr/bin/env python
"""Regenerate tests/unit/fixtures/powershell/cmdlet-parameters.json.

The PowerShell scripts of roles/hyperv_vm cannot run here (no PowerShell, no
Hyper-V), so tests/unit/test_powershell.py checks every cmdlet they call, and
every parameter they pass, against Microsoft's own reference: the Markdown
pages of MicrosoftDocs/windows-powershell-docs (Hyper-V, PnpDevice modules of
Windows Server 2025) and MicrosoftDocs/PowerShell-Docs (Windows PowerShell
5.1 core modules). Each page has one `### -<Parameter>` heading per parameter.

Usage (with both repositories checked out or mirrored as bare git dirs):
  .venv/bin/python tests/tools/powershell_reference.py WINDOWS_POWERSHELL_DOCS_GIT POWERSHELL_DOCS_GIT
"""

import json
import os
import re
import subprocess
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "unit", "fixtures", "powershell",
                   "cmdlet-parameters.json")
SOURCES = [
    # (argument index, folder in that repository, module)
    (0, "docset/winserver2025-ps/Hyper-V", "Hyper-V"),
    (0, "docset/winserver2025-ps/PnpDevice", "PnpDevice"),
    (1, "reference/5.1/Microsoft.PowerShell.Core", "Microsoft.PowerShell.Core"),
    (1, "reference/5.1/Microsoft.PowerShell.Management", "Microsoft.PowerShell.Management"),
    (1, "reference/5.1/Microsoft.PowerShell.Utility", "Microsoft.PowerShell.Utility"),
]
REPOSITORIES = ["MicrosoftDocs/windows-powershell-docs", "MicrosoftDocs/PowerShell-Docs"]
CMDLET = re.compile(r"^[A-Z][A-Za-z]+-[A-Za-z0-9]+\.md$")
PARAMETER = re.compile(r"^### -([A-Za-z0-9]+)\s*$", re.M)


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    repos = [os.path.join(path, ".git") if os.path.isdir(os.path.join(path, ".git")) else path for path in argv]
    result = {"_source": {}, "cmdlets": {}}
    for index, folder, module in SOURCES:
        repo = repos[index]
        commit = git(repo, "rev-parse", "HEAD").strip()
        result["_source"][module] = "%s %s@%s" % (REPOSITORIES[index], folder, commit)
        for name in git(repo, "ls-tree", "--name-only", "HEAD", folder + "/").split():
            base = os.path.basename(name)
            if not CMDLET.match(base):
                continue
            page = git(repo, "show", "HEAD:" + name)
            result["cmdlets"][base[:-3]] = {"module": module, "parameters": sorted(set(PARAMETER.findall(page)))}
    with open(OUT, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
        handle.write("\n")
    print("%d cmdlets written to %s" % (len(result["cmdlets"]), os.path.normpath(OUT)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
