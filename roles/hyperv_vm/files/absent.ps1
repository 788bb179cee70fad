#Requires -Modules Hyper-V
# Remove one VM (hyperv_vm_state: absent): turn it off, give its GPUs back to
# the host, delete the VM, then its OS disk and seed ISOs one file at a time.
# Every other disk in <Root>\<Name> (a data disk: bricks, etcd, blobs) stays,
# with the folder: the folder is removed only once empty, never recursively
# (vm_plan.folder_cleanup is the same rule, unit-tested).
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
    [Parameter(Mandatory = $true)][string]$Notes,
    # The one disk this script may delete.
    [Parameter(Mandatory = $true)][string]$OsDiskPath,
    # Seed ISOs of this VM (seed.ps1), deleted too.
    [string]$SeedPattern = 'cidata-*.iso'
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

# The folder: the OS disk and the seed ISOs go, file by file; any other file
# (a data disk above all) stays, and so does the folder around it.
$kept = [System.Collections.Generic.List[string]]::new()
if (Test-Path -LiteralPath $folder) {
    foreach ($file in @(Get-ChildItem -LiteralPath $folder -File -Recurse -Force)) {
        $isOsDisk = $file.FullName -eq $OsDiskPath -or
            [string]::Equals($file.FullName, $OsDiskPath, [System.StringComparison]::OrdinalIgnoreCase)
        if ($isOsDisk -or $file.Name -like $SeedPattern) {
            $changes.Add("delete $($file.FullName)")
            if (-not $checkMode) { Remove-Item -LiteralPath $file.FullName -Force }
        } else {
            $kept.Add($file.FullName)
        }
    }
    if ($kept.Count -eq 0) {
        # Empty folders Hyper-V left (Virtual Machines, Snapshots), deepest first,
        # then the VM's folder: each removed only when empty, never recursively.
        $dirs = @(Get-ChildItem -LiteralPath $folder -Directory -Recurse -Force |
                Sort-Object -Property { $_.FullName.Length } -Descending)
        $changes.Add("delete the empty folder $folder")
        if (-not $checkMode) {
            foreach ($dir in $dirs) { Remove-Item -LiteralPath $dir.FullName -Force }
            Remove-Item -LiteralPath $folder -Force
        }
    } else {
        $changes.Add("keep $folder with " + ($kept -join ', ') + ' (not the OS disk: delete by hand once its data is safe)')
    }
}

$Ansible.Changed = @($changes | Where-Object { -not $_.StartsWith('keep ') }).Count -gt 0
$Ansible.Result = @{ changes = @($changes); kept = @($kept) }
