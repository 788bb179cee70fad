#Requires -Modules Hyper-V
# Attach a VM's first-boot seed (the cidata ISO, already copied next to the
# VM) as its DVD and start the VM.
#
# The ISO's file name carries a hash of its content, so a changed seed is a
# new file: Hyper-V keeps the attached ISO open, and swapping the DVD's media
# works on a running VM where overwriting the open file would not. Older seed
# ISOs of this VM are deleted once detached. cloud-init reads the seed at
# every boot but applies it once per instance-id (the VM's id), so a new seed
# on an existing VM changes nothing inside it.
#
# Every value arrives as a parameter (ansible.windows.win_powershell
# `parameters:`), never as text pasted into this script.
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)][string]$Name,
    [Parameter(Mandatory = $true)][string]$IsoPath,
    # Seed ISOs of this VM match <folder of IsoPath>\<SeedPattern>.
    [string]$SeedPattern = 'cidata-*.iso',
    [bool]$Start = $true,
    # The DVD sits at the last location of SCSI controller 0, so the data
    # disks keep locations 1, 2, ... in node_disks order (their guest path).
    [int]$DvdLocation = 63
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$changes = [System.Collections.Generic.List[string]]::new()
$checkMode = [bool]$Ansible.CheckMode

$vm = Get-VM -Name $Name -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    if (-not $checkMode) {
        throw "VM '$Name' does not exist: vm.ps1 creates it before its seed."
    }
    $changes.Add("attach $IsoPath")
    if ($Start) { $changes.Add('start the VM') }
    $Ansible.Changed = $true
    $Ansible.Result = @{ changes = @($changes); state = 'Absent' }
    return
}

$drives = @(Get-VMDvdDrive -VM $vm)
if ($drives.Count -eq 0) {
    if ([string]$vm.State -ne 'Off') {
        throw ("VM '$Name' is $($vm.State) and has no DVD drive; Hyper-V adds one only while the VM is off. " +
            'Stop it and run the play again.')
    }
    $changes.Add("add a DVD drive with $IsoPath")
    if (-not $checkMode) { Add-VMDvdDrive -VM $vm -ControllerNumber 0 -ControllerLocation $DvdLocation -Path $IsoPath }
} elseif ($drives[0].Path -ne $IsoPath) {
    $changes.Add("insert $IsoPath (was '$($drives[0].Path)')")
    if (-not $checkMode) { Set-VMDvdDrive -VMDvdDrive $drives[0] -Path $IsoPath }
}

$folder = Split-Path -Path $IsoPath -Parent
$stale = @(Get-ChildItem -LiteralPath $folder -Filter $SeedPattern -File |
        Where-Object { $_.FullName -ne $IsoPath })
foreach ($file in $stale) {
    $changes.Add("delete old seed $($file.FullName)")
    if (-not $checkMode) { Remove-Item -LiteralPath $file.FullName }
}

if ($Start -and [string]$vm.State -ne 'Running') {
    $changes.Add("start the VM (was $($vm.State))")
    if (-not $checkMode) { Start-VM -VM $vm }
}

$Ansible.Changed = $changes.Count -gt 0
$Ansible.Result = @{ changes = @($changes); state = [string](Get-VM -Name $Name).State }
