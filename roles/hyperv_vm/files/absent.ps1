#Requires -Modules Hyper-V
# Remove one VM and its files (hyperv_vm_state: absent): turn it off, give its
# GPUs back to the host, delete the VM and its folder <Root>\<Name> (disks,
# seed ISOs, configuration).
#
# Only a VM this installer created (its notes carry the marker) is removed;
# anything else with that name is refused, and nothing outside <Root>\<Name>
# is deleted.
#
# Every value arrives as a parameter (ansible.windows.win_powershell
# `parameters:`), never as text pasted into this script.
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)][string]$Name,
    [Parameter(Mandatory = $true)][string]$Root,
    [Parameter(Mandatory = $true)][string]$Notes
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$changes = [System.Collections.Generic.List[string]]::new()
$checkMode = [bool]$Ansible.CheckMode
$folder = Join-Path -Path $Root -ChildPath $Name

$vms = @(Get-VM -Name $Name -ErrorAction SilentlyContinue)
if ($vms.Count -gt 1) {
    throw "$($vms.Count) VMs are named '$Name' on this host; remove the right one by hand."
}
if ($vms.Count -eq 1) {
    $vm = $vms[0]
    if ($vm.Notes -ne $Notes) {
        throw ("VM '$Name' was not created by this installer (its notes differ); refusing to delete it. " +
            'Remove it by hand if it must go.')
    }
    foreach ($drive in @(Get-VMHardDiskDrive -VM $vm)) {
        if (-not $drive.Path.StartsWith($folder + '\', [System.StringComparison]::OrdinalIgnoreCase)) {
            throw ("VM '$Name' uses disk $($drive.Path) outside $folder; refusing to delete the VM and " +
                'leave that disk behind. Detach it by hand first.')
        }
    }
    if ([string]$vm.State -ne 'Off') {
        $changes.Add("turn off ($($vm.State))")
        if (-not $checkMode) { Stop-VM -VM $vm -TurnOff -Force }
    }
    foreach ($dev in @(Get-VMAssignableDevice -VM $vm)) {
        $path = $dev.LocationPath
        $changes.Add("return GPU $path to the host")
        if (-not $checkMode) {
            Remove-VMAssignableDevice -VMName $vm.Name -LocationPath $path
            Mount-VMHostAssignableDevice -LocationPath $path
            foreach ($pnp in @(Get-PnpDevice | Where-Object { $_.InstanceId -like 'PCI\*' })) {
                $paths = @((Get-PnpDeviceProperty -InstanceId $pnp.InstanceId -KeyName DEVPKEY_Device_LocationPaths).Data)
                if ($paths -contains $path) { Enable-PnpDevice -InstanceId $pnp.InstanceId -Confirm:$false }
            }
        }
    }
    $changes.Add('remove the VM')
    if (-not $checkMode) { Remove-VM -VM $vm -Force }
}

if (Test-Path -LiteralPath $folder) {
    $changes.Add("delete $folder")
    if (-not $checkMode) { Remove-Item -LiteralPath $folder -Recurse -Force }
}

$Ansible.Changed = $changes.Count -gt 0
$Ansible.Result = @{ changes = @($changes) }
