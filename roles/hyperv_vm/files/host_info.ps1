#Requires -Modules Hyper-V
# Read-only probe of a Hyper-V host, run before any VM is touched: the role's
# preflight asserts on what this returns (switches, GPUs, MAC pool, paths).
# Every value arrives as a parameter (ansible.windows.win_powershell
# `parameters:`), never as text pasted into this script.
[CmdletBinding(SupportsShouldProcess)]
param(
    # Switch names the planned VMs ask for ('' = the host's only external switch).
    [string[]]$SwitchNames = @(),
    # PCI location paths of the GPUs the planned VMs of this host get.
    [string[]]$LocationPaths = @()
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$vmHost = Get-VMHost
$switches = @(Get-VMSwitch | ForEach-Object { @{ name = $_.Name; type = [string]$_.SwitchType } })

# Where each requested GPU is now: on the host (a PnP device), dismounted and
# free, or already assigned to a VM.
$devices = @{}
foreach ($path in $LocationPaths) {
    $devices[$path] = @{ where = 'missing'; vm = ''; instance_id = '' }
}
if ($LocationPaths.Count -gt 0) {
    foreach ($pnp in @(Get-PnpDevice -PresentOnly | Where-Object { $_.InstanceId -like 'PCI\*' })) {
        $paths = @((Get-PnpDeviceProperty -InstanceId $pnp.InstanceId -KeyName DEVPKEY_Device_LocationPaths).Data)
        foreach ($path in $LocationPaths) {
            if ($paths -contains $path) {
                $devices[$path] = @{ where = 'host'; vm = ''; instance_id = $pnp.InstanceId }
            }
        }
    }
    foreach ($dev in @(Get-VMHostAssignableDevice)) {
        if ($devices.ContainsKey($dev.LocationPath)) {
            $devices[$dev.LocationPath] = @{ where = 'dismounted'; vm = ''; instance_id = $dev.InstanceID }
        }
    }
    foreach ($vm in @(Get-VM)) {
        foreach ($dev in @(Get-VMAssignableDevice -VMName $vm.Name)) {
            if ($devices.ContainsKey($dev.LocationPath)) {
                $devices[$dev.LocationPath] = @{ where = 'assigned'; vm = $vm.Name; instance_id = $dev.InstanceID }
            }
        }
    }
}

$Ansible.Changed = $false
$Ansible.Result = @{
    virtual_machine_path = $vmHost.VirtualMachinePath
    mac_address_minimum  = $vmHost.MacAddressMinimum
    mac_address_maximum  = $vmHost.MacAddressMaximum
    iov_support          = [bool]$vmHost.IovSupport
    switches             = $switches
    requested_switches   = @($SwitchNames)
    devices              = $devices
}
