"""Deferred modifications: RDS and ElastiCache keep most changes pending
until the next maintenance window unless the call says ApplyImmediately.

moto applies every Modify at once, so a client that forgets
`apply_immediately` (off by default on AWS) never sees what AWS shows: the
old value live and the new one under `PendingModifiedValues`. These patches
hold the deferred settings back and describe them as pending; the harness
endpoint `POST /forge-harness/maintenance` (harness_app.py) runs every
maintenance window now (`run_maintenance_window`), applying what is
pending. A Modify with ApplyImmediately applies its own settings and
everything already pending (AWS: "the modifications in this request and any
pending modifications are asynchronously applied as soon as possible").

What is deferred follows each API reference's PendingModifiedValues (only
the settings a client can change there); everything else a Modify carries
(tags, deletion protection, parameter groups, security groups, windows,
promotion tier, ...) applies at once, as AWS documents for them.
"""

import threading

from ._patching import patch, replace

_LOCK = threading.RLock()
_PENDING = {}  # id(obj) -> (obj, apply(kwargs)) of objects holding pending values

# ModifyDBInstance settings AWS defers (RDS API Reference,
# PendingModifiedValues; RDS User Guide, "Settings for DB instances"):
# moto's keyword -> the PendingModifiedValues member.
INSTANCE_DEFERRED = {
    "db_instance_class": "DBInstanceClass",
    "allocated_storage": "AllocatedStorage",
    "backup_retention_period": "BackupRetentionPeriod",
    "multi_az": "MultiAZ",
    "engine_version": "EngineVersion",
    "storage_type": "StorageType",
    "iops": "Iops",
    "storage_throughput": "StorageThroughput",
    "port": "Port",
    "ca_certificate_identifier": "CACertificateIdentifier",
}

# ModifyDBCluster settings AWS defers for an Aurora cluster (RDS API
# Reference, ClusterPendingModifiedValues; Aurora User Guide, "Settings for
# Amazon Aurora": the engine version waits for the maintenance window unless
# applied immediately; backup retention, deletion protection and the rest
# change at once).
CLUSTER_DEFERRED = {
    "engine_version": "EngineVersion",
}

# ModifyReplicationGroup settings AWS defers (ElastiCache API Reference,
# ModifyReplicationGroup, ApplyImmediately: "If false, changes to the nodes
# in the replication group are applied on the next maintenance reboot"):
# the request parameter -> the PendingModifiedValues member showing it.
# The node settings are described on each member cache cluster
# (CacheCluster.PendingModifiedValues: CacheNodeType, EngineVersion)...
MEMBER_DEFERRED = {
    "CacheNodeType": "CacheNodeType",
    "EngineVersion": "EngineVersion",
}
# ... in-transit encryption on the group too
# (ReplicationGroupPendingModifiedValues: TransitEncryptionEnabled,
# TransitEncryptionMode). Everything else ModifyReplicationGroup carries
# (description, Multi-AZ and automatic failover, security groups, parameter
# group, snapshot settings, windows, AUTH token) applies at once here.
GROUP_DEFERRED = {
    "TransitEncryptionEnabled": "TransitEncryptionEnabled",
    "TransitEncryptionMode": "TransitEncryptionMode",
}
REPLICATION_GROUP_DEFERRED = {**MEMBER_DEFERRED, **GROUP_DEFERRED}


def _truthy(value):
    return value is True or str(value).lower() == "true"


def _hold(obj, deferred, kwargs, current, apply, describe=None):
    """Moves the settings of `deferred` out of `kwargs` into `obj`'s
    pending values (those equal to the live value are dropped); `apply`
    applies a dict of held keywords later. `describe()` shows the pending
    values (default: on `obj`, named by `deferred`)."""
    held = obj.__dict__.setdefault("_forge_pending", {})
    for key in deferred:
        value = kwargs.pop(key, None)
        if value is None:
            continue
        if str(current(key)) == str(value):
            held.pop(key, None)
        else:
            held[key] = value
    (describe or (lambda: _describe(obj, deferred)))()
    with _LOCK:
        if held:
            _PENDING[id(obj)] = (obj, apply)
        else:
            _PENDING.pop(id(obj), None)


def _release(obj, deferred, kwargs, describe=None):
    """Adds `obj`'s pending values to `kwargs` (the request's own win) and
    clears them: an ApplyImmediately call applies everything pending."""
    held = obj.__dict__.pop("_forge_pending", {})
    for key, value in held.items():
        if kwargs.get(key) is None:
            kwargs[key] = value
    (describe or (lambda: _describe(obj, deferred)))()
    with _LOCK:
        _PENDING.pop(id(obj), None)


def _describe(obj, deferred):
    held = obj.__dict__.get("_forge_pending", {})
    obj.__dict__["pending_modified_values"] = {
        deferred[k]: v for k, v in held.items()
    } or None


def run_maintenance_window():
    """Applies every pending modification now; returns how many objects
    changed."""
    with _LOCK:
        waiting = list(_PENDING.values())
        _PENDING.clear()
    for obj, apply in waiting:
        held = obj.__dict__.pop("_forge_pending", {})
        obj.__dict__["pending_modified_values"] = None
        if held:
            apply(held)
    return len(waiting)


@patch
def patch_rds_deferred_modifications():
    """RDS API Reference, ModifyDBInstance / ModifyDBCluster, ApplyImmediately:
    "If this parameter is disabled, changes to the DB instance are applied
    during the next maintenance window"; until then DescribeDBInstances
    (DescribeDBClusters) shows them under PendingModifiedValues
    (PendingModifiedValues / ClusterPendingModifiedValues) and the live
    value is the old one. moto applies every change at once and describes
    no pending values. After the patch the deferred settings wait for the
    maintenance window (`POST /forge-harness/maintenance`) unless
    ApplyImmediately is set."""
    from moto.rds.models import RDSBackend

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        database = self.databases.get(db_instance_identifier)
        if database is None:
            return original_instance(self, db_instance_identifier, db_kwargs)
        if _truthy(db_kwargs.get("apply_immediately")):
            _release(database, INSTANCE_DEFERRED, db_kwargs)
        else:

            def apply(held, backend=self, database=database):
                database.update(**held)

            _hold(
                database,
                INSTANCE_DEFERRED,
                db_kwargs,
                lambda k: getattr(database, k, None),
                apply,
            )
        return original_instance(self, db_instance_identifier, db_kwargs)

    def modify_db_cluster(self, kwargs):
        cluster = self.clusters.get(kwargs.get("db_cluster_identifier"))
        if cluster is not None:
            if _truthy(kwargs.get("apply_immediately")):
                _release(cluster, CLUSTER_DEFERRED, kwargs)
            else:

                def apply(held, cluster=cluster):
                    for key, value in held.items():
                        setattr(cluster, key, value)

                _hold(
                    cluster,
                    CLUSTER_DEFERRED,
                    kwargs,
                    lambda k: getattr(cluster, k, None),
                    apply,
                )
        answer = original_cluster(self, kwargs)
        # moto answers with a copy of the cluster: describe its pending
        # values too.
        if cluster is not None and answer is not cluster:
            answer.__dict__["pending_modified_values"] = cluster.__dict__.get(
                "pending_modified_values"
            )
        return answer

    original_instance = replace(RDSBackend, "modify_db_instance", modify_db_instance)
    original_cluster = replace(RDSBackend, "modify_db_cluster", modify_db_cluster)


@patch
def patch_elasticache_deferred_modifications():
    """ElastiCache API Reference, ModifyReplicationGroup, ApplyImmediately
    (default false): "If false, changes to the nodes in the replication
    group are applied on the next maintenance reboot"; until then
    DescribeCacheClusters shows them under each member's
    PendingModifiedValues (CacheNodeType, EngineVersion) and
    DescribeReplicationGroups under the group's (TransitEncryptionEnabled,
    TransitEncryptionMode), with the old values live. "If true, this
    parameter causes the modifications in this request and any pending
    modifications to be applied". moto applies (or, for what the details
    patch adds, ignores) every change at once and describes nothing
    pending. After the patch those settings wait for the maintenance window
    (`POST /forge-harness/maintenance`) unless ApplyImmediately is set."""
    from moto.elasticache.responses import ElastiCacheResponse

    from .elasticache import full_version, sync_members

    def current(group, param):
        return {
            "CacheNodeType": group.cache_node_type,
            "EngineVersion": getattr(group, "engine_version", None),
            "TransitEncryptionEnabled": group.transit_encryption_enabled,
            "TransitEncryptionMode": getattr(group, "transit_encryption_mode", None),
        }[param]

    def requested(response, param):
        # Compared with the live value and described as AWS does: a
        # version with its patch level, a flag as a boolean.
        if param == "TransitEncryptionEnabled":
            return response._get_bool_param(param)
        value = response._get_param(param)
        return full_version(value) if param == "EngineVersion" and value else value

    def describe(backend, group):
        held = group.__dict__.get("_forge_pending", {})
        group.pending_modified_values = {
            GROUP_DEFERRED[k]: v for k, v in held.items() if k in GROUP_DEFERRED
        } or None
        nodes = {MEMBER_DEFERRED[k]: v for k, v in held.items() if k in MEMBER_DEFERRED}
        for cid in group.member_clusters:
            cluster = backend.cache_clusters.get(cid)
            if cluster is not None:
                cluster.pending_modified_values = dict(nodes) or None

    def apply(backend, group, held):
        for param, attr in (
            ("CacheNodeType", "cache_node_type"),
            ("EngineVersion", "engine_version"),
            ("TransitEncryptionEnabled", "transit_encryption_enabled"),
            ("TransitEncryptionMode", "transit_encryption_mode"),
        ):
            if held.get(param) is not None:
                setattr(group, attr, held[param])
        sync_members(backend, group)
        describe(backend, group)

    def wire(value):
        return str(value).lower() if isinstance(value, bool) else value

    def modify_replication_group(self):
        backend = self.elasticache_backend
        group = backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        if group is None:
            return original(self)
        asked = {p: requested(self, p) for p in REPLICATION_GROUP_DEFERRED}
        asked = {k: v for k, v in asked.items() if v is not None}
        show = lambda: describe(backend, group)  # noqa: E731
        if _truthy(self._get_bool_param("ApplyImmediately")):
            _release(group, REPLICATION_GROUP_DEFERRED, asked, show)
        else:
            _hold(
                group,
                REPLICATION_GROUP_DEFERRED,
                asked,
                lambda k: current(group, k),
                lambda held: apply(backend, group, held),
                show,
            )
        # The call below reads the request's parameters: the deferred ones
        # are what is left to apply now (none when held, the request's and
        # the pending ones when released).
        get = self._get_param

        def get_param(name, if_none=None):
            if name in REPLICATION_GROUP_DEFERRED:
                value = asked.get(name)
                return if_none if value is None else wire(value)
            return get(name, if_none)

        self._get_param = get_param
        try:
            return original(self)
        finally:
            del self._get_param

    original = replace(
        ElastiCacheResponse, "modify_replication_group", modify_replication_group
    )
