#Requires -Modules Hyper-V
# Discrete Device Assignment of whole GPUs to one VM, and its reverse.
#
# For each planned PCI location path: disable the PnP device on the host,
# dismount it from the host and assign it to the VM, after setting what DDA
# needs on the VM: guest-controlled cache types (write-combining) and enough
# 32-bit and 64-bit MMIO space for the devices' BARs. Static memory and
# AutomaticStopAction TurnOff are set by vm.ps1 from the same plan.
# Devices assigned to the VM but no longer planned are removed from it,
# mounted back on the host and enabled again.
#
# Hyper-V changes device assignment only while the VM is off: a running VM is
# refused unless -AllowRestart. A device that belongs to another VM is refused.
#
# Every value arrives as a parameter (ansible.windows.win_powershell
# `parameters:`), never as text pasted into this script.
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)][string]$Name,
    [string[]]$LocationPaths = @(),
    # MMIO space in MB.
    [long]$LowMmioMB = 0,
    [long]$HighMmioMB = 0,
    # Without a vendor mitigation driver Hyper-V dismounts only with -Force.
    [bool]$ForceDismount = $true,
    [bool]$AllowRestart = $false,
    # After a restart, how long the guest may take to report its heartbeat.
    [int]$StartTimeoutSeconds = 600
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$LowMmioBytes = $LowMmioMB * 1024 * 1024
$HighMmioBytes = $HighMmioMB * 1024 * 1024

$changes = [System.Collections.Generic.List[string]]::new()
$checkMode = [bool]$Ansible.CheckMode

$vm = Get-VM -Name $Name -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    if (-not $checkMode) {
        throw "VM '$Name' does not exist: vm.ps1 creates it before its GPUs."
    }
    foreach ($path in $LocationPaths) { $changes.Add("assign $path") }
    $Ansible.Changed = $changes.Count -gt 0
    $Ansible.Result = @{ changes = @($changes) }
    return
}

function Find-PnpDevice {
    param([string]$LocationPath)
    foreach ($pnp in @(Get-PnpDevice | Where-Object { $_.InstanceId -like 'PCI\*' })) {
        $paths = @((Get-PnpDeviceProperty -InstanceId $pnp.InstanceId -KeyName DEVPKEY_Device_LocationPaths).Data)
        if ($paths -contains $LocationPath) { return $pnp }
    }
    return $null
}

$assigned = @(Get-VMAssignableDevice -VM $vm | ForEach-Object { $_.LocationPath })
$toAdd = @($LocationPaths | Where-Object { -not ($assigned -contains $_) })
$toRemove = @($assigned | Where-Object { -not ($LocationPaths -contains $_) })

$actions = [System.Collections.Generic.List[scriptblock]]::new()

if ($LocationPaths.Count -gt 0) {
    if ((Get-VMMemory -VM $vm).DynamicMemoryEnabled) {
        throw "VM '$Name' has dynamic memory; DDA needs static memory (vm.ps1 sets it for GPU VMs)."
    }
    if (-not $vm.GuestControlledCacheTypes) {
        $changes.Add('guest-controlled cache types on')
        $actions.Add({ Set-VM -VM $vm -GuestControlledCacheTypes $true })
    }
    if ($vm.LowMemoryMappedIoSpace -ne $LowMmioBytes) {
        $changes.Add("low MMIO space $($vm.LowMemoryMappedIoSpace) -> $LowMmioBytes bytes")
        $actions.Add({ Set-VM -VM $vm -LowMemoryMappedIoSpace $LowMmioBytes })
    }
    if ($vm.HighMemoryMappedIoSpace -ne $HighMmioBytes) {
        $changes.Add("high MMIO space $($vm.HighMemoryMappedIoSpace) -> $HighMmioBytes bytes")
        $actions.Add({ Set-VM -VM $vm -HighMemoryMappedIoSpace $HighMmioBytes })
    }
}

foreach ($path in $toRemove) {
    $changes.Add("return $path to the host")
}

if ($toAdd.Count -gt 0) {
    $dismounted = @(Get-VMHostAssignableDevice | ForEach-Object { $_.LocationPath })
    $elsewhere = @{}
    foreach ($other in @(Get-VM | Where-Object { $_.VMId -ne $vm.VMId })) {
        foreach ($dev in @(Get-VMAssignableDevice -VM $other)) { $elsewhere[$dev.LocationPath] = $other.Name }
    }
    foreach ($path in $toAdd) {
        if ($elsewhere.ContainsKey($path)) {
            throw "GPU $path is assigned to VM '$($elsewhere[$path])'; remove it there first (a device goes to one VM)."
        }
        if (-not ($dismounted -contains $path) -and $null -eq (Find-PnpDevice -LocationPath $path)) {
            throw "No PCI device at location path $path on this host (node_gpu_devices of $Name)."
        }
        $changes.Add("assign $path")
    }
}

$running = [string]$vm.State -ne 'Off'
if ($changes.Count -gt 0 -and $running -and -not $AllowRestart) {
    throw ("VM '$Name' is $($vm.State); device assignment needs it off: " + ($changes -join '; ') +
        '. Stop it, or set hyperv_vm_allow_restart: true to let the play shut it down and start it again.')
}

if (-not $checkMode -and $changes.Count -gt 0) {
    if ($running) { Stop-VM -VM $vm }
    foreach ($action in $actions) { & $action }
    foreach ($path in $toRemove) {
        Remove-VMAssignableDevice -VMName $vm.Name -LocationPath $path
        Mount-VMHostAssignableDevice -LocationPath $path
        $pnp = Find-PnpDevice -LocationPath $path
        if ($null -ne $pnp) { Enable-PnpDevice -InstanceId $pnp.InstanceId -Confirm:$false }
    }
    foreach ($path in $toAdd) {
        if (-not (@(Get-VMHostAssignableDevice | ForEach-Object { $_.LocationPath }) -contains $path)) {
            $pnp = Find-PnpDevice -LocationPath $path
            Disable-PnpDevice -InstanceId $pnp.InstanceId -Confirm:$false
            Dismount-VMHostAssignableDevice -LocationPath $path -Force:$ForceDismount
        }
        Add-VMAssignableDevice -VM $vm -LocationPath $path
    }
    if ($running) {
        Start-VM -VM $vm
        # The next VM is stopped only once this guest is up again.
        $deadline = (Get-Date).AddSeconds($StartTimeoutSeconds)
        while (-not ([string](Get-VM -Name $Name).Heartbeat).StartsWith('Ok')) {
            if ((Get-Date) -gt $deadline) {
                throw ("VM '$Name' was restarted but its guest reported no heartbeat within $StartTimeoutSeconds s. " +
                    'No further VM was stopped; check its console.')
            }
            Start-Sleep -Seconds 2
        }
    }
}

$Ansible.Changed = $changes.Count -gt 0
$Ansible.Result = @{
    assigned = @(if ($checkMode) { $assigned } else { Get-VMAssignableDevice -VM $vm | ForEach-Object { $_.LocationPath } })
    changes  = @($changes)
}
