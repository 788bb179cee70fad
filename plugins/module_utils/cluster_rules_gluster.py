# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules on the GlusterFS volumes (cluster_gluster_volumes) against the storage nodes.

Methods of :class:`cluster_rules.Validator` (``self.add``, ``self.var``,
``self.expect`` and the parsed values such as ``self.subnet`` are defined
there and in cluster_view.ClusterView); each check adds Defects and never
stops the others.
"""

from __future__ import annotations

from collections.abc import Mapping

from .cluster_formats import VOLUME_NAME_RE
from .cluster_values import MISSING, show, type_name
from .cluster_vars import GROUP_GLUSTER


class GlusterRules:
    """Volume names, replica layouts gluster_server builds, node counts."""

    def _check_gluster(self) -> None:
        volumes = self.var("all", self.cluster, "cluster_gluster_volumes", hint="define cluster_gluster_volumes in "
                           "group_vars/all; write [] when there are no GlusterFS nodes")
        if volumes is MISSING:
            return
        example = "[{name: gv0, replica: 3, arbiter: 0}]"
        if not isinstance(volumes, (list, tuple)):
            self.add("all", "cluster_gluster_volumes", volumes, "must be a list, got %s" % type_name(volumes), "write e.g. %s" % example)
            return
        nodes = self._members(GROUP_GLUSTER)
        if volumes and not nodes:
            self.add("all", "cluster_gluster_volumes", volumes, "volumes are defined but the %s group is empty" % GROUP_GLUSTER,
                     "add the storage VMs to %s, or write []" % GROUP_GLUSTER)
        names = set()
        for volume in volumes:
            if not isinstance(volume, Mapping):
                self.add("all", "cluster_gluster_volumes", volume, "every volume must be a mapping, got %s" % type_name(volume),
                         "write e.g. %s" % example)
                continue
            volume = dict(volume)
            unknown = sorted(str(k) for k in volume if k not in ("name", "replica", "arbiter", "options"))
            if unknown:
                self.add("all", "cluster_gluster_volumes", volume, "unknown key %s" % ", ".join(unknown),
                         "a volume has the keys name, replica, arbiter and optionally options")
            if "options" in volume and not isinstance(volume["options"], Mapping):
                self.add("all", "cluster_gluster_volumes", volume, "options must be a mapping of volume options, got %s"
                         % type_name(volume["options"]), "write e.g. options: {performance.cache-size: 256MB}")
            name = volume.get("name", MISSING)
            if not isinstance(name, str) or not VOLUME_NAME_RE.match(name):
                self.add("all", "cluster_gluster_volumes", volume, "volume name %s is not valid" % show(name),
                         "name it with letters, digits, '-' or '_', e.g. gv0")
            elif name in names:
                self.add("all", "cluster_gluster_volumes", volume, "volume name %s is used twice" % show(name),
                         "give every volume its own name")
            else:
                names.add(name)
            replica = volume.get("replica", MISSING)
            arbiter = volume.get("arbiter", MISSING)
            if isinstance(replica, bool) or not isinstance(replica, int) or replica < 2:
                self.add("all", "cluster_gluster_volumes", volume, "replica must be an integer of at least 2, got %s" % show(replica),
                         "write replica: 3")
                continue
            if isinstance(arbiter, bool) or arbiter not in (0, 1):
                self.add("all", "cluster_gluster_volumes", volume, "arbiter must be 0 or 1, got %s" % show(arbiter),
                         "write arbiter: 0 (three full copies) or arbiter: 1 with replica: 2 (two copies and an arbiter)")
                continue
            # The layouts gluster_server builds: "replica 3" and "replica 2 arbiter 1",
            # both three bricks per set, both keep quorum when one node fails.
            if arbiter == 1 and replica != 2:
                self.add("all", "cluster_gluster_volumes", volume,
                         "an arbiter volume is replica 2 arbiter 1 (two data copies and one arbiter brick per set)",
                         "write replica: 2, arbiter: 1")
                continue
            if replica == 2 and arbiter == 0:
                self.add("all", "cluster_gluster_volumes", volume, "replica 2 volumes split-brain when a node fails",
                         "write replica: 3, or replica: 2 with arbiter: 1")
                continue
            if replica != 3 and arbiter == 0:
                self.add("all", "cluster_gluster_volumes", volume, "replica %d is not a layout this installer builds" % replica,
                         "write replica: 3, or replica: 2 with arbiter: 1")
                continue
            set_size = replica + arbiter  # bricks per replica set: 3 in both layouts
            if nodes and (len(nodes) < set_size or len(nodes) % set_size):
                sizes = sorted({n for n in (len(nodes) - len(nodes) % set_size, (len(nodes) // set_size + 1) * set_size) if n >= set_size})
                self.add("all", "cluster_gluster_volumes", volume,
                         "a replica set of %d bricks needs a multiple of %d GlusterFS nodes (one brick per node), but %s has %d"
                         % (set_size, set_size, GROUP_GLUSTER, len(nodes)),
                         "put %s hosts in %s, or change the replica count" % (" or ".join(map(str, sizes)), GROUP_GLUSTER))
