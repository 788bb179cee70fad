#Requires -Modules Hyper-V
# Give one VM its disks: the OS disk made from the golden image (a full copy,
# or a differencing disk on top of it) and grown to its planned size, then one
# empty dynamic VHDX per data disk (etcd, Gluster bricks, Nexus blobs), all on
# SCSI controller 0 with the OS disk first in the boot order.
#
# Each disk goes to the location (LUN) the plan gives it: the OS disk at 0,
# data disks at 1, 2, ... The guest names a disk by that location
# (/dev/disk/by-path/...-lun-N, the plan's guest_path), and the storage layer
# uses that name: a disk found at another location, or a planned location
# taken by another drive, is refused, never silently accepted.
#
# Changes only what differs. Refuses to shrink a disk and to detach a disk the
# plan does not list: both would destroy data.
#
# Every value arrives as a parameter (ansible.windows.win_powershell
# `parameters:`), never as text pasted into this script.
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)][string]$Name,
    [Parameter(Mandatory = $true)][string]$OsDiskPath,
    # Sizes in GiB.
    [Parameter(Mandatory = $true)][long]$OsDiskGB,
    [Parameter(Mandatory = $true)][string]$GoldenImagePath,
    # copy | differencing
    [string]$OsDiskMode = 'copy',
    # Data disks, in plan order: paths and sizes side by side.
    [string[]]$DataDiskPaths = @(),
    [long[]]$DataDiskGB = @(),
    # SCSI controller 0 locations: the OS disk's, then the data disks' in plan order.
    [int]$OsDiskLun = 0,
    [int[]]$DataDiskLuns = @()
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$OsDiskBytes = $OsDiskGB * 1024 * 1024 * 1024
$DataDiskBytes = @($DataDiskGB | ForEach-Object { $_ * 1024 * 1024 * 1024 })

$changes = [System.Collections.Generic.List[string]]::new()
$checkMode = [bool]$Ansible.CheckMode

if ($DataDiskPaths.Count -ne $DataDiskGB.Count -or $DataDiskPaths.Count -ne $DataDiskLuns.Count) {
    throw ("DataDiskPaths has $($DataDiskPaths.Count) entries, DataDiskGB $($DataDiskGB.Count) and " +
        "DataDiskLuns $($DataDiskLuns.Count); they go side by side.")
}

$vm = Get-VM -Name $Name -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    if (-not $checkMode) {
        throw "VM '$Name' does not exist: vm.ps1 creates it before its disks."
    }
    # Check mode before the VM exists: every disk is new.
    $changes.Add("create OS disk $OsDiskPath ($OsDiskMode of $GoldenImagePath, $OsDiskBytes bytes)")
    for ($i = 0; $i -lt $DataDiskPaths.Count; $i++) {
        $changes.Add("create data disk $($DataDiskPaths[$i]) ($($DataDiskBytes[$i]) bytes)")
    }
    $Ansible.Changed = $true
    $Ansible.Result = @{ changes = @($changes) }
    return
}

function Confirm-Size {
    param([string]$Path, [long]$Bytes)
    $vhd = Get-VHD -Path $Path
    if ($vhd.Size -gt $Bytes) {
        throw ("Disk $Path of VM '$Name' is $($vhd.Size) bytes; the plan says $Bytes. Refusing to shrink " +
            'it (data would be lost): raise size_gb in node_disks back, or move the data off by hand.')
    }
    if ($vhd.Size -lt $Bytes) {
        $changes.Add("grow $Path from $($vhd.Size) to $Bytes bytes")
        if (-not $checkMode) { Resize-VHD -Path $Path -SizeBytes $Bytes }
    }
}

# OS disk: made once; afterwards it is the VM's own disk and only grows.
if (Test-Path -LiteralPath $OsDiskPath) {
    Confirm-Size -Path $OsDiskPath -Bytes $OsDiskBytes
} else {
    if (-not (Test-Path -LiteralPath $GoldenImagePath)) {
        if (-not $checkMode) {
            throw "Golden image $GoldenImagePath is missing on this host: run the hyperv_image role first."
        }
    }
    $changes.Add("create OS disk $OsDiskPath ($OsDiskMode of $GoldenImagePath, $OsDiskBytes bytes)")
    if (-not $checkMode) {
        $folder = Split-Path -Path $OsDiskPath -Parent
        New-Item -ItemType Directory -Path $folder -Force | Out-Null
        if ($OsDiskMode -eq 'differencing') {
            New-VHD -Path $OsDiskPath -ParentPath $GoldenImagePath -Differencing | Out-Null
        } else {
            Copy-Item -LiteralPath $GoldenImagePath -Destination $OsDiskPath
        }
        Confirm-Size -Path $OsDiskPath -Bytes $OsDiskBytes
    }
}

for ($i = 0; $i -lt $DataDiskPaths.Count; $i++) {
    $path = $DataDiskPaths[$i]
    if (Test-Path -LiteralPath $path) {
        Confirm-Size -Path $path -Bytes $DataDiskBytes[$i]
    } else {
        $changes.Add("create data disk $path ($($DataDiskBytes[$i]) bytes)")
        if (-not $checkMode) {
            New-VHD -Path $path -SizeBytes $DataDiskBytes[$i] -Dynamic | Out-Null
        }
    }
}

# Attach: the OS disk at SCSI 0:0, data disks at their planned locations.
# Hyper-V hot-adds SCSI disks to a running generation 2 VM, so no restart is
# needed.
$wanted = @($OsDiskPath) + @($DataDiskPaths)
$luns = @($OsDiskLun) + @($DataDiskLuns)
$attached = @(Get-VMHardDiskDrive -VM $vm)
foreach ($drive in $attached) {
    $index = [array]::IndexOf($wanted, $drive.Path)
    if ($index -lt 0) {
        throw ("VM '$Name' has disk $($drive.Path) attached, which node_disks does not list. Refusing " +
            'to detach it (its data would be orphaned): add it to node_disks or detach it by hand.')
    }
    if ([string]$drive.ControllerType -ne 'SCSI' -or $drive.ControllerNumber -ne 0 -or
        $drive.ControllerLocation -ne $luns[$index]) {
        throw ("VM '$Name' has disk $($drive.Path) at $($drive.ControllerType) $($drive.ControllerNumber):" +
            "$($drive.ControllerLocation); the plan puts it at SCSI 0:$($luns[$index]), the location the guest " +
            'and the storage layer name it by. Move it while the VM is off (Set-VMHardDiskDrive ' +
            '-ToControllerLocation), or change node_disks to match.')
    }
}
$attachedPaths = @($attached | ForEach-Object { $_.Path })
# Locations held by other drives (the seed DVD) on controller 0.
$taken = @{}
foreach ($dvd in @(Get-VMDvdDrive -VM $vm)) {
    if ($dvd.ControllerNumber -eq 0) { $taken[[int]$dvd.ControllerLocation] = 'the DVD drive' }
}
for ($i = 0; $i -lt $wanted.Count; $i++) {
    $path = $wanted[$i]
    if (-not ($attachedPaths -contains $path)) {
        if ($taken.ContainsKey($luns[$i])) {
            throw ("VM '$Name': disk $path goes to SCSI 0:$($luns[$i]), which $($taken[$luns[$i]]) holds. " +
                'Move that drive while the VM is off (the seed DVD belongs at location 63), then run again.')
        }
        $changes.Add("attach $path at SCSI 0:$($luns[$i])")
        if (-not $checkMode) {
            Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation $luns[$i] -Path $path
        }
    }
}

# Boot from the OS disk first. Firmware settings change only while the VM is
# off, which is always the case for a VM that just got its OS disk.
if ([string]$vm.State -eq 'Off') {
    $firmware = Get-VMFirmware -VM $vm
    $first = @($firmware.BootOrder)[0]
    $isOsDisk = $null -ne $first -and $null -ne $first.Device -and
        ($first.Device.PSObject.Properties.Name -contains 'Path') -and $first.Device.Path -eq $OsDiskPath
    if (-not $isOsDisk) {
        $changes.Add('boot from the OS disk first')
        if (-not $checkMode) {
            $osDrive = Get-VMHardDiskDrive -VM $vm | Where-Object { $_.Path -eq $OsDiskPath }
            Set-VMFirmware -VM $vm -FirstBootDevice $osDrive
        }
    }
}

$Ansible.Changed = $changes.Count -gt 0
$Ansible.Result = @{ changes = @($changes) }
