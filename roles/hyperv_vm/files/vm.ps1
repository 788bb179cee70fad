#Requires -Modules Hyper-V
# Create one VM or bring an existing one to the planned settings: Generation 2,
# Secure Boot with the given template, vCPUs, memory, one network adapter with
# a static MAC on a switch and VLAN, every integration service on except Time
# Synchronization (off: chrony keeps the time), automatic start/stop actions,
# no automatic checkpoints.
#
# Reads the VM first and changes only what differs. Changes that need the VM
# off are refused while it runs unless -AllowRestart; a generation change is
# always refused (Hyper-V cannot convert one). A new VM is left off: the seed
# is attached and the VM started later (seed.ps1).
#
# Every value arrives as a parameter (ansible.windows.win_powershell
# `parameters:`), never as text pasted into this script, so a name holding a
# quote stays a name.
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)][string]$Name,
    # Folder that holds one folder per VM; the VM's files go to <Root>\<Name>.
    [Parameter(Mandatory = $true)][string]$Root,
    [int]$Generation = 2,
    [Parameter(Mandatory = $true)][int]$ProcessorCount,
    # Memory in MB (Hyper-V wants a multiple of 2).
    [Parameter(Mandatory = $true)][long]$MemoryMB,
    [bool]$DynamicMemory = $false,
    [long]$MemoryMinimumMB = 0,
    # '' picks the host's only external switch.
    [string]$SwitchName = '',
    # 0 = untagged.
    [int]$VlanId = 0,
    # 12 hex digits, no separators (Hyper-V's form).
    [Parameter(Mandatory = $true)][string]$MacAddress,
    [string]$SecureBootTemplate = 'MicrosoftUEFICertificateAuthority',
    [string]$AutomaticStartAction = 'Start',
    [int]$AutomaticStartDelay = 0,
    [string]$AutomaticStopAction = 'ShutDown',
    # Marks the VM as this installer's: absent.ps1 removes only marked VMs.
    [Parameter(Mandatory = $true)][string]$Notes,
    [bool]$AllowRestart = $false,
    # After a restart, how long the guest may take to report its heartbeat
    # (the play moves to the next VM only then).
    [int]$StartTimeoutSeconds = 600
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$MemoryBytes = $MemoryMB * 1024 * 1024
$MemoryMinimumBytes = $MemoryMinimumMB * 1024 * 1024

$changes = [System.Collections.Generic.List[string]]::new()
$checkMode = [bool]$Ansible.CheckMode

function Resolve-Switch {
    if ($SwitchName) {
        $found = @(Get-VMSwitch -Name $SwitchName -ErrorAction SilentlyContinue)
        if ($found.Count -ne 1) {
            throw "Hyper-V host has no virtual switch named '$SwitchName' (hyperv_vm_switch_name)."
        }
        return $found[0].Name
    }
    $external = @(Get-VMSwitch -SwitchType External)
    if ($external.Count -ne 1) {
        throw ("hyperv_vm_switch_name is empty and the host has $($external.Count) external switches; " +
            'name the switch of the node network.')
    }
    return $external[0].Name
}

$switch = Resolve-Switch
$vmHost = Get-VMHost
$mac = $MacAddress.ToUpperInvariant()
if ($mac -ge $vmHost.MacAddressMinimum -and $mac -le $vmHost.MacAddressMaximum) {
    throw ("MAC $mac lies in this host's dynamic MAC pool ($($vmHost.MacAddressMinimum)-" +
        "$($vmHost.MacAddressMaximum)): Hyper-V could give it to another VM. Set node_mac outside it.")
}

$vms = @(Get-VM -Name $Name -ErrorAction SilentlyContinue)
if ($vms.Count -gt 1) {
    throw "$($vms.Count) VMs are named '$Name' on this host; rename or remove the extra ones by hand."
}
$created = $false
if ($vms.Count -eq 0) {
    $changes.Add("create generation $Generation VM in $Root")
    if ($checkMode) {
        # Nothing to compare against: report the whole VM as the change.
        $changes.Add("set $ProcessorCount vCPUs, $MemoryBytes bytes of memory, MAC $mac on '$switch' VLAN $VlanId")
        $Ansible.Changed = $true
        $Ansible.Result = @{ id = ''; state = 'Absent'; created = $true; changes = @($changes) }
        return
    }
    $vm = New-VM -Name $Name -Generation $Generation -Path $Root -MemoryStartupBytes $MemoryBytes -SwitchName $switch -NoVHD
    Set-VM -VM $vm -Notes $Notes
    $created = $true
} else {
    $vm = $vms[0]
    if ($vm.Generation -ne $Generation) {
        throw ("VM '$Name' is generation $($vm.Generation); the plan says $Generation. Hyper-V cannot " +
            'change a generation: remove the VM (hyperv_vm_state: absent) and provision it again.')
    }
    if ($vm.Notes -ne $Notes) {
        throw ("VM '$Name' exists but was not created by this installer (its notes differ). Refusing to " +
            'change it: rename it, or remove it by hand if it is a leftover.')
    }
}

# Settings Hyper-V only changes while the VM is off, and settings it takes live.
$offline = [System.Collections.Generic.List[scriptblock]]::new()
$online = [System.Collections.Generic.List[scriptblock]]::new()

if ($vm.ProcessorCount -ne $ProcessorCount) {
    $changes.Add("vCPUs $($vm.ProcessorCount) -> $ProcessorCount")
    $offline.Add({ Set-VMProcessor -VM $vm -Count $ProcessorCount })
}

$memory = Get-VMMemory -VM $vm
if ($DynamicMemory) {
    if (-not $memory.DynamicMemoryEnabled -or $memory.Startup -ne $MemoryBytes -or
        $memory.Maximum -ne $MemoryBytes -or $memory.Minimum -ne $MemoryMinimumBytes) {
        $changes.Add("dynamic memory $MemoryMinimumBytes-$MemoryBytes bytes")
        $offline.Add({
                Set-VMMemory -VM $vm -DynamicMemoryEnabled $true -StartupBytes $MemoryBytes `
                    -MinimumBytes $MemoryMinimumBytes -MaximumBytes $MemoryBytes
            })
    }
} elseif ($memory.DynamicMemoryEnabled -or $memory.Startup -ne $MemoryBytes) {
    $changes.Add("static memory $($memory.Startup) -> $MemoryBytes bytes")
    $offline.Add({ Set-VMMemory -VM $vm -DynamicMemoryEnabled $false -StartupBytes $MemoryBytes })
}

$firmware = Get-VMFirmware -VM $vm
if ([string]$firmware.SecureBoot -ne 'On' -or $firmware.SecureBootTemplate -ne $SecureBootTemplate) {
    $changes.Add("Secure Boot on with template $SecureBootTemplate")
    $offline.Add({ Set-VMFirmware -VM $vm -EnableSecureBoot On -SecureBootTemplate $SecureBootTemplate })
}

$nics = @(Get-VMNetworkAdapter -VM $vm)
if ($nics.Count -gt 1) {
    throw "VM '$Name' has $($nics.Count) network adapters; the plan has one. Remove the extra ones by hand."
}
if ($nics.Count -eq 0) {
    $changes.Add("add a network adapter on '$switch'")
    $offline.Add({ Add-VMNetworkAdapter -VM $vm -SwitchName $switch })
}
$nic = { @(Get-VMNetworkAdapter -VM $vm)[0] }
if ($nics.Count -eq 0 -or $nics[0].DynamicMacAddressEnabled -or $nics[0].MacAddress -ne $mac) {
    $changes.Add("static MAC $mac")
    $offline.Add({ Set-VMNetworkAdapter -VMNetworkAdapter (& $nic) -StaticMacAddress $mac })
}
if ($nics.Count -eq 1 -and $nics[0].SwitchName -ne $switch) {
    $changes.Add("connect the adapter to '$switch'")
    $online.Add({ Connect-VMNetworkAdapter -VMNetworkAdapter (& $nic) -SwitchName $switch })
}
$vlan = if ($nics.Count -eq 1) { Get-VMNetworkAdapterVlan -VMNetworkAdapter $nics[0] } else { $null }
if ($VlanId -eq 0) {
    if ($null -eq $vlan -or [string]$vlan.OperationMode -ne 'Untagged') {
        $changes.Add('VLAN untagged')
        $online.Add({ Set-VMNetworkAdapterVlan -VMNetworkAdapter (& $nic) -Untagged })
    }
} elseif ($null -eq $vlan -or [string]$vlan.OperationMode -ne 'Access' -or $vlan.AccessVlanId -ne $VlanId) {
    $changes.Add("VLAN $VlanId (access)")
    $online.Add({ Set-VMNetworkAdapterVlan -VMNetworkAdapter (& $nic) -Access -VlanId $VlanId })
}

# Time Synchronization is the one integration service kept off: chrony with
# the site's NTP servers keeps the guest's time (role node_base), and Hyper-V's
# service would step the same clock at every boot and resume. Matched by its
# component id: the display name is localised.
$timeSyncId = '\2497F4DE-E9FA-4204-80E4-4B75C46419C0'
$services = @(Get-VMIntegrationService -VM $vm)
$timeSync = @($services | Where-Object { $_.Id.EndsWith($timeSyncId, 'OrdinalIgnoreCase') })
$disabled = @($services | Where-Object { -not $_.Enabled -and -not $_.Id.EndsWith($timeSyncId, 'OrdinalIgnoreCase') })
if ($disabled.Count -gt 0) {
    $changes.Add('integration services on: ' + (($disabled | ForEach-Object { $_.Name }) -join ', '))
    $online.Add({ $disabled | Enable-VMIntegrationService })
}
$timeSyncOn = @($timeSync | Where-Object { $_.Enabled })
if ($timeSyncOn.Count -gt 0) {
    $changes.Add('integration service off: ' + $timeSyncOn[0].Name + ' (chrony keeps the time)')
    $online.Add({ $timeSyncOn | Disable-VMIntegrationService })
}

if ([string]$vm.AutomaticStartAction -ne $AutomaticStartAction -or $vm.AutomaticStartDelay -ne $AutomaticStartDelay) {
    $changes.Add("automatic start $AutomaticStartAction after $AutomaticStartDelay s")
    $online.Add({ Set-VM -VM $vm -AutomaticStartAction $AutomaticStartAction -AutomaticStartDelay $AutomaticStartDelay })
}
# Hyper-V refuses to change the stop action of a running VM.
if ([string]$vm.AutomaticStopAction -ne $AutomaticStopAction) {
    $changes.Add("automatic stop $AutomaticStopAction")
    $offline.Add({ Set-VM -VM $vm -AutomaticStopAction $AutomaticStopAction })
}
# Kubernetes and etcd must never be rolled back to a checkpoint behind their peers' backs.
if ($vm.AutomaticCheckpointsEnabled) {
    $changes.Add('automatic checkpoints off')
    $online.Add({ Set-VM -VM $vm -AutomaticCheckpointsEnabled $false })
}

$running = [string]$vm.State -ne 'Off'
if ($offline.Count -gt 0 -and $running -and -not $AllowRestart) {
    throw ("VM '$Name' is $($vm.State) and these changes need it off: " + ($changes -join '; ') +
        '. Stop it, or set hyperv_vm_allow_restart: true to let the play shut it down and start it again.')
}

if (-not $checkMode) {
    $restart = $offline.Count -gt 0 -and $running
    if ($restart) {
        Stop-VM -VM $vm
    }
    foreach ($action in $offline) { & $action }
    foreach ($action in $online) { & $action }
    if ($restart) {
        Start-VM -VM $vm
        # The next VM (control-plane and etcd VMs go one batch at a time) is
        # stopped only once this guest is up again: its heartbeat says so.
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

$vm = Get-VM -Name $Name
$Ansible.Changed = $created -or $changes.Count -gt 0
$Ansible.Result = @{
    id      = $vm.VMId.Guid
    state   = [string]$vm.State
    created = $created
    changes = @($changes)
}
