"""The Hyper-V PowerShell scripts, checked without PowerShell.

No machine here runs PowerShell or Hyper-V, so the scripts of
roles/hyperv_vm/files are parsed with tree-sitter-powershell and checked for:
syntax; the exact cmdlets each script calls, every one of them (and every
parameter passed to it) as documented by Microsoft (fixture
cmdlet-parameters.json, see tests/tools/powershell_reference.py); the shape
ansible.windows.win_powershell needs (check mode, $Ansible.Changed); and the
contract with the tasks: inventory values reach a script only as
`parameters:`, never pasted into its text, so a VM name with a quote in it
stays data.
"""

import glob
import json
import os
import re

import pytest
import tree_sitter_powershell
import yaml
from tree_sitter import Language, Parser

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, "roles", "hyperv_vm")
SCRIPTS = sorted(glob.glob(os.path.join(ROLE, "files", "*.ps1")))
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "powershell",
                         "cmdlet-parameters.json")

# What each script may call. A new cmdlet in a script must be added here on
# purpose (and exist in Microsoft's reference).
EXPECTED_COMMANDS = {
    "absent.ps1": {
        "Enable-PnpDevice", "Get-ChildItem", "Get-PnpDevice", "Get-PnpDeviceProperty", "Get-VM",
        "Get-VMAssignableDevice", "Get-VMHardDiskDrive", "Join-Path", "Mount-VMHostAssignableDevice", "Remove-Item",
        "Remove-VM", "Remove-VMAssignableDevice", "Set-StrictMode", "Sort-Object", "Stop-VM", "Test-Path",
        "Where-Object",
    },
    "disks.ps1": {
        "Add-VMHardDiskDrive", "Copy-Item", "ForEach-Object", "Get-VHD", "Get-VM", "Get-VMDvdDrive", "Get-VMFirmware",
        "Get-VMHardDiskDrive", "New-Item", "New-VHD", "Out-Null", "Resize-VHD", "Set-StrictMode", "Set-VMFirmware",
        "Split-Path", "Test-Path", "Where-Object",
    },
    "gpu.ps1": {
        "Add-VMAssignableDevice", "Disable-PnpDevice", "Dismount-VMHostAssignableDevice", "Enable-PnpDevice",
        "ForEach-Object", "Get-Date", "Get-PnpDevice", "Get-PnpDeviceProperty", "Get-VM", "Get-VMAssignableDevice",
        "Get-VMHostAssignableDevice", "Get-VMMemory", "Mount-VMHostAssignableDevice", "Remove-VMAssignableDevice",
        "Set-StrictMode", "Set-VM", "Start-Sleep", "Start-VM", "Stop-VM", "Where-Object",
    },
    "host_info.ps1": {
        "ForEach-Object", "Get-PnpDevice", "Get-PnpDeviceProperty", "Get-VM", "Get-VMAssignableDevice",
        "Get-VMHost", "Get-VMHostAssignableDevice", "Get-VMSwitch", "Set-StrictMode", "Where-Object",
    },
    "seed.ps1": {
        "Add-VMDvdDrive", "Get-ChildItem", "Get-VM", "Get-VMDvdDrive", "Remove-Item", "Set-StrictMode",
        "Set-VMDvdDrive", "Split-Path", "Start-VM", "Where-Object",
    },
    "vm.ps1": {
        "Add-VMNetworkAdapter", "Connect-VMNetworkAdapter", "Disable-VMIntegrationService",
        "Enable-VMIntegrationService", "ForEach-Object", "Get-Date",
        "Get-VM", "Get-VMFirmware", "Get-VMHost", "Get-VMIntegrationService", "Get-VMMemory", "Get-VMNetworkAdapter",
        "Get-VMNetworkAdapterVlan", "Get-VMSwitch", "New-VM", "Set-StrictMode", "Set-VM", "Set-VMFirmware",
        "Set-VMMemory", "Set-VMNetworkAdapter", "Set-VMNetworkAdapterVlan", "Set-VMProcessor", "Start-Sleep", "Start-VM",
        "Stop-VM", "Where-Object",
    },
}
# Ways to turn text into code: none of them may appear in a script.
FORBIDDEN_COMMANDS = {"Invoke-Expression", "iex", "Invoke-Command", "Start-Process", "Add-Type", "New-Module"}
FORBIDDEN_TEXT = ("[scriptblock]::Create", "InvokeScript", "$ExecutionContext", "{{", "{%")
# Parameters every cmdlet takes (about_CommonParameters); Microsoft's pages
# list them in one paragraph, not as headings.
COMMON_PARAMETERS = {"Debug", "ErrorAction", "ErrorVariable", "InformationAction", "InformationVariable",
                     "OutBuffer", "OutVariable", "PipelineVariable", "Verbose", "WarningAction", "WarningVariable"}

PARSER = Parser(Language(tree_sitter_powershell.language()))


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)


class Script:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        with open(path, "rb") as handle:
            self.source = handle.read()
        self.tree = PARSER.parse(self.source)
        nodes = list(walk(self.tree.root_node))
        self.errors = [n for n in nodes if n.type == "ERROR" or n.is_missing]
        self.functions = {n.text.decode() for n in nodes if n.type == "function_name"}
        self.calls = []  # (command, [parameter names])
        for node in nodes:
            if node.type != "command":
                continue
            names = [c for c in node.children if c.type == "command_name"]
            if not names:
                continue  # `& $scriptblock`: invokes a block of this script
            params = [c.text.decode().lstrip("-").rstrip(":") for c in walk(node)
                      if c.type == "command_parameter" and self._owner(c) == node]
            self.calls.append((names[0].text.decode(), params))
        self.params, self.mandatory = self._param_block()

    @staticmethod
    def _owner(parameter):
        """The command a -Parameter belongs to (not one nested in a script block argument)."""
        node = parameter.parent
        while node is not None and node.type != "command":
            node = node.parent
        return node

    def _param_block(self):
        """Names of the script's own param() block (a child of the program node), and the mandatory ones."""
        blocks = [n for n in self.tree.root_node.children if n.type == "param_block"]
        params, mandatory = [], set()
        if not blocks:
            return params, mandatory
        for parameter in [n for n in walk(blocks[0]) if n.type == "script_parameter"]:
            variable = [c for c in parameter.children if c.type == "variable"][0].text.decode().lstrip("$")
            params.append(variable)
            if re.search(r"Mandatory\s*=\s*\$true", parameter.text.decode(), re.I):
                mandatory.add(variable)
        return params, mandatory

    @property
    def commands(self):
        return {name for name, _params in self.calls} - self.functions


@pytest.fixture(scope="module", name="reference")
def fixture_reference():
    with open(REFERENCE, encoding="utf-8") as handle:
        return json.load(handle)["cmdlets"]


@pytest.fixture(scope="module", name="scripts")
def fixture_scripts():
    return {os.path.basename(path): Script(path) for path in SCRIPTS}


def win_powershell_tasks():
    """(task file, task) for every win_powershell task of the role."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROLE, "tasks", "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            for task in yaml.safe_load(handle) or []:
                if "ansible.windows.win_powershell" in task:
                    found.append((os.path.basename(path), task))
    return found


def test_every_script_is_known():
    assert sorted(EXPECTED_COMMANDS) == [os.path.basename(p) for p in SCRIPTS]


@pytest.mark.parametrize("name", sorted(EXPECTED_COMMANDS))
def test_script_parses_without_syntax_errors(scripts, name):
    script = scripts[name]
    assert not script.errors, ["line %d: %s" % (n.start_point[0] + 1, n.text[:60]) for n in script.errors]


def test_parser_reports_a_broken_script(scripts):
    # The syntax check can fail: drop the closing brace of the first block.
    source = scripts["vm.ps1"].source
    broken = source.replace(b"}", b"", 1)
    assert PARSER.parse(broken).root_node.has_error


@pytest.mark.parametrize("name", sorted(EXPECTED_COMMANDS))
def test_script_calls_exactly_the_expected_cmdlets(scripts, name):
    assert scripts[name].commands == EXPECTED_COMMANDS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_COMMANDS))
def test_cmdlets_and_parameters_are_microsofts(scripts, reference, name):
    script = scripts[name]
    problems = []
    for command, params in script.calls:
        if command in script.functions:
            continue
        if command not in reference:
            problems.append("%s is not a documented cmdlet" % command)
            continue
        known = set(reference[command]["parameters"]) | COMMON_PARAMETERS
        problems += ["%s has no parameter -%s" % (command, p) for p in params if p not in known]
    assert not problems


@pytest.mark.parametrize("name", sorted(EXPECTED_COMMANDS))
def test_no_text_becomes_code(scripts, name):
    script = scripts[name]
    assert not script.commands & FORBIDDEN_COMMANDS
    text = script.source.decode()
    assert not [token for token in FORBIDDEN_TEXT if token in text]


@pytest.mark.parametrize("name", sorted(EXPECTED_COMMANDS))
def test_script_has_the_shape_win_powershell_needs(scripts, name):
    text = scripts[name].source.decode()
    # Without SupportsShouldProcess, win_powershell skips the script in check
    # mode; with it, the script runs and reports what it would change.
    assert re.search(r"^\[CmdletBinding\(SupportsShouldProcess\)\]\s*\nparam\(", text, re.M)
    assert "$ErrorActionPreference = 'Stop'" in text
    # win_powershell reports changed unless the script says otherwise.
    assert re.search(r"^\$Ansible\.Changed = ", text, re.M)
    assert scripts[name].params, "no param() block"


def test_every_task_runs_a_shipped_script_with_parameters_only(scripts):
    tasks = win_powershell_tasks()
    assert {os.path.basename(name) for name in scripts} == {
        re.search(r"'([^']+\.ps1)'", task["ansible.windows.win_powershell"]["script"]).group(1) for _file_name, task in tasks}
    for file_name, task in tasks:
        args = task["ansible.windows.win_powershell"]
        match = re.fullmatch(r"\{\{ lookup\('ansible\.builtin\.file', '([a-z_]+\.ps1)'\) \}\}", args["script"])
        assert match, "%s: %s: the script must be the shipped file, nothing else" % (file_name, task["name"])
        script = scripts[match.group(1)]
        given = set(args.get("parameters", {}))
        assert given <= set(script.params), (file_name, given - set(script.params))
        assert script.mandatory <= given, (file_name, script.mandatory - given)
        assert set(args) <= {"script", "parameters"}


def test_a_vm_name_with_a_quote_stays_data(scripts):
    """Template vm.yml's task as Ansible would, with a hostile VM name."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader
    from ansible.template import Templar

    init_plugin_loader()

    evil = "web'; Remove-VM -Name * -Force; '\"$(Stop-Computer)\""
    task = [t for f, t in win_powershell_tasks() if f == "vm.yml"][0]["ansible.windows.win_powershell"]
    item = {
        "name": evil, "root": "C:\\Hyper-V\\x'y", "generation": 2, "vcpus": 2, "memory_mb": 4096,
        "dynamic_memory": False, "dynamic_memory_minimum_mb": 4096, "switch_name": "sw'1", "vlan_id": 0,
        "mac": "00:15:5d:fe:08:0b", "secure_boot_template": "MicrosoftUEFICertificateAuthority",
        "automatic_start_action": "Start", "automatic_start_delay": 0, "automatic_stop_action": "ShutDown",
    }
    loader = DataLoader()
    templar = Templar(loader=loader, variables={
        "item": item, "hyperv_vm_notes": "notes", "hyperv_vm_allow_restart": False, "hyperv_vm_start_timeout": 600,
        "ansible_search_path": [ROLE], "role_path": ROLE,
    })
    rendered = templar.template(task)
    # The file lookup only strips the trailing newline: the text is the file's.
    assert rendered["script"] == scripts["vm.ps1"].source.decode().rstrip()
    assert rendered["parameters"]["Name"] == evil
    assert rendered["parameters"]["SwitchName"] == "sw'1"
    assert rendered["parameters"]["Root"] == "C:\\Hyper-V\\x'y"
    # Inside the script the name is only ever bound as a value.
    assert evil not in rendered["script"]


def test_vm_keeps_hyperv_time_synchronization_off(scripts):
    """chrony is the guest's one clock discipline (roles/node_base): vm.ps1
    turns Hyper-V's Time Synchronization off by its component id (the display
    name is localised) and leaves it out of the services it turns on."""
    script = scripts["vm.ps1"]
    commands = {command for command, _params in script.calls}
    assert "Disable-VMIntegrationService" in commands
    text = script.source.decode()
    assert "2497F4DE-E9FA-4204-80E4-4B75C46419C0" in text
    enable = re.search(r"\$disabled = @\(\$services \| Where-Object \{([^}]*)\}", text)
    assert enable and "-not $_.Id.EndsWith($timeSyncId" in enable.group(1)


# --- Removal and disk locations (issue 12) ---------------------------------------

def _args_of(script, command):
    """Every call of `command` in the script, as {parameter: argument text} (switches map to '')."""
    found = []
    for node in walk(script.tree.root_node):
        if node.type != "command":
            continue
        names = [c for c in node.children if c.type == "command_name"]
        if not names or names[0].text.decode() != command:
            continue
        elements = [c for c in walk(node) if c.type in ("command_parameter", "command_argument_sep")
                    or (c.parent is not None and c.parent.type == "command_elements")]
        args, last = {}, None
        for element in elements:
            if element.type == "command_parameter":
                last = element.text.decode().lstrip("-").rstrip(":")
                args[last] = ""
            elif last is not None and element.type not in ("command_argument_sep",) and element.text.strip():
                args[last] = element.text.decode()
                last = None
        found.append(args)
    return found


def test_absent_never_deletes_recursively(scripts):
    """The old absent.ps1 ran Remove-Item -Recurse on the VM folder, data disks included."""
    removes = _args_of(scripts["absent.ps1"], "Remove-Item")
    assert removes, "absent.ps1 deletes files one by one"
    assert not [r for r in removes if "Recurse" in r]
    # Only the files it lists one by one (OS disk, seed ISOs) and then empty folders.
    assert {r.get("LiteralPath") for r in removes} == {"$file.FullName", "$dir.FullName", "$folder"}
    text = scripts["absent.ps1"].source.decode()
    # The folder goes only when nothing was kept in it.
    assert re.search(r"if \(\$kept\.Count -eq 0\) \{", text)
    assert text.index("$kept.Count -eq 0") < text.index("Remove-Item -LiteralPath $folder")


def test_absent_task_passes_the_os_disk(scripts):
    task = [t for f, t in win_powershell_tasks() if f == "absent.yml"][0]["ansible.windows.win_powershell"]
    assert task["parameters"]["OsDiskPath"] == "{{ item.os_disk.path }}"


def test_disks_attach_at_the_planned_location(scripts):
    """The guest path of a disk (vm_plan.guest_disk_path) names its LUN: the script must put it there."""
    adds = _args_of(scripts["disks.ps1"], "Add-VMHardDiskDrive")
    assert adds and all(a.get("ControllerLocation") == "$luns[$i]" and a.get("ControllerNumber") == "0"
                        for a in adds)
    task = [t for f, t in win_powershell_tasks() if f == "disks.yml"][0]["ansible.windows.win_powershell"]
    assert task["parameters"]["DataDiskLuns"] == "{{ item.data_disks | map(attribute='lun') | list }}"
    assert task["parameters"]["OsDiskLun"] == "{{ item.os_disk.lun }}"


def test_seed_dvd_sits_where_the_plan_keeps_room_for_it(scripts):
    from ansible_collections.mlplatform.installer.plugins.module_utils.vm_plan import SEED_DVD_LUN

    adds = _args_of(scripts["seed.ps1"], "Add-VMDvdDrive")
    assert adds and all(a.get("ControllerLocation") == "$DvdLocation" for a in adds)
    assert re.search(r"\[int\]\$DvdLocation = %d\b" % SEED_DVD_LUN, scripts["seed.ps1"].source.decode())


@pytest.mark.parametrize("name", ["vm.ps1", "gpu.ps1"])
def test_a_restarted_vm_is_back_before_the_next_is_stopped(scripts, name):
    text = scripts[name].source.decode()
    start = text.rindex("Start-VM -VM $vm")
    assert "(Get-VM -Name $Name).Heartbeat" in text[start:]
    assert "StartTimeoutSeconds" in list(scripts[name].params)


@pytest.mark.parametrize("file_name", ["vm.yml", "gpu.yml", "absent.yml"])
def test_control_plane_and_etcd_vms_go_one_batch_at_a_time(file_name):
    tasks = [t for f, t in win_powershell_tasks() if f == file_name]
    critical = [t for t in tasks if "selectattr('critical')" in t["loop"]]
    others = [t for t in tasks if "rejectattr('critical')" in t["loop"]]
    assert len(critical) == 1 and len(others) == 1 and len(tasks) == 2
    assert critical[0]["throttle"] == "{{ hyperv_vm_control_plane_batch }}"
    assert "throttle" not in others[0]
