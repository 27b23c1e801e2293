"""Deferred modifications: RDS keeps most changes pending until the next
maintenance window unless the call says ApplyImmediately (ElastiCache's
ModifyReplicationGroup does too: not modelled yet).

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

def _truthy(value):
    return value is True or str(value).lower() == "true"


def _hold(obj, deferred, kwargs, current, apply):
    """Moves the settings of `deferred` out of `kwargs` into `obj`'s
    pending values (those equal to the live value are dropped); `apply`
    applies a dict of held keywords later."""
    held = obj.__dict__.setdefault("_forge_pending", {})
    for key in deferred:
        value = kwargs.pop(key, None)
        if value is None:
            continue
        if str(current(key)) == str(value):
            held.pop(key, None)
        else:
            held[key] = value
    _describe(obj, deferred)
    with _LOCK:
        if held:
            _PENDING[id(obj)] = (obj, apply)
        else:
            _PENDING.pop(id(obj), None)


def _release(obj, deferred, kwargs):
    """Adds `obj`'s pending values to `kwargs` (the request's own win) and
    clears them: an ApplyImmediately call applies everything pending."""
    held = obj.__dict__.pop("_forge_pending", {})
    for key, value in held.items():
        if kwargs.get(key) is None:
            kwargs[key] = value
    _describe(obj, deferred)
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
