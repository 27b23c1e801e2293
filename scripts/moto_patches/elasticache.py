"""ElastiCache: replication group lifecycle and members, cache subnet groups,
cache parameter groups."""

from ._patching import add, patch, replace


def _error(code, message):
    """An ElastiCache error with AWS's code (moto has no class for these)."""
    from moto.elasticache.exceptions import ElastiCacheException

    return ElastiCacheException(code, message)


def _users_of(backend, attr, name):
    """Ids of the replication groups and cache clusters whose `attr` is
    `name`. A group being deleted still counts: AWS frees what it uses only
    once the group is gone."""
    groups = [
        g.replication_group_id
        for g in backend.replication_groups.values()
        if getattr(g, attr, None) == name
    ]
    clusters = [
        c.cache_cluster_id
        for c in backend.cache_clusters.values()
        if getattr(c, attr, None) == name
        or (attr == "cache_parameter_group_name"
            and (getattr(c, "cache_parameter_group", None) or {}).get("CacheParameterGroupName") == name)
    ]
    return groups + clusters


@patch
def patch_elasticache_deletes():
    """ElastiCache API Reference, DeleteReplicationGroup: the group is
    `deleting`, then gone (DescribeReplicationGroups answers
    ReplicationGroupNotFoundFault); moto leaves it `deleting` forever. After
    the patch the next describe that sees it reports `deleting`, the one
    after answers ReplicationGroupNotFoundFault.

    ElastiCache API Reference, DeleteCacheSubnetGroup: "You cannot delete a
    default cache subnet group or one that is associated with any clusters"
    (CacheSubnetGroupInUse; CacheSubnetGroupNotFoundFault for an unknown
    name). moto does not implement it (HTTP 500). After the patch it answers
    CacheSubnetGroupInUse while a replication group (deleting ones included)
    or cache cluster uses the group, else removes it."""
    from moto.core.responses import EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    def deleting(backend):
        # Kept on the backend instance so /moto-api/reset forgets it too.
        if not hasattr(backend, "_forge_deleting"):
            backend._forge_deleting = set()
        return backend._forge_deleting

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        deleting(self).add(replication_group_id)
        return group

    def describe_replication_groups(self, replication_group_id=None):
        groups = original_describe(self, replication_group_id)
        pending = deleting(self)
        for group in groups:
            gid = group.replication_group_id
            if gid in pending:
                pending.discard(gid)
                self.replication_groups.pop(gid, None)
        return groups

    def backend_delete_cache_subnet_group(self, cache_subnet_group_name):
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(cache_subnet_group_name)
        users = _users_of(self, "cache_subnet_group_name", cache_subnet_group_name)
        if users:
            raise _error(
                "CacheSubnetGroupInUse",
                f"Cache subnet group {cache_subnet_group_name} is currently in use by "
                + ", ".join(users),
            )
        return self.cache_subnet_groups.pop(cache_subnet_group_name)

    def response_delete_cache_subnet_group(self):
        self.elasticache_backend.delete_cache_subnet_group(
            self._get_param("CacheSubnetGroupName")
        )
        return EmptyResult()

    original_delete = replace(
        ElastiCacheBackend, "delete_replication_group", delete_replication_group
    )
    original_describe = replace(
        ElastiCacheBackend, "describe_replication_groups", describe_replication_groups
    )
    add(ElastiCacheBackend, "delete_cache_subnet_group", backend_delete_cache_subnet_group)
    add(ElastiCacheResponse, "delete_cache_subnet_group", response_delete_cache_subnet_group)


def full_version(version):
    """An engine version with its patch level, as AWS reports it (`7.1` ->
    `7.1.0`)."""
    version = version or "7.1"
    parts = version.split(".")
    while len(parts) < 3:
        parts.append("0")
    return ".".join(parts)


def sync_members(backend, group):
    """Makes `group`'s member cache clusters exist and carry its settings."""
    from moto.elasticache.models import CacheCluster

    for cid in group.member_clusters:
        cluster = backend.cache_clusters.get(cid)
        if cluster is None:
            cluster = CacheCluster(
                account_id=backend.account_id,
                region_name=backend.region_name,
                cache_cluster_id=cid,
                cache_node_type=group.cache_node_type,
                replication_group_id=group.replication_group_id,
                az_mode=None,
                preferred_availability_zone=None,
                num_cache_nodes=1,
                engine=group.engine,
                engine_version=None,
                cache_parameter_group_name=None,
                cache_subnet_group_name=None,
                transit_encryption_enabled=None,
                network_type=None,
                ip_discovery=None,
                snapshot_name=None,
                preferred_maintenance_window=None,
                port=group.port,
                notification_topic_arn=None,
                auto_minor_version_upgrade=None,
                snapshot_retention_limit=None,
                snapshot_window=None,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=None,
                security_group_ids=None,
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            backend.cache_clusters[cid] = cluster
        cluster.replication_group_id = group.replication_group_id
        cluster.cache_node_type = group.cache_node_type
        cluster.engine = group.engine
        cluster.engine_version = group.engine_version
        cluster.cache_subnet_group_name = group.cache_subnet_group_name
        cluster.preferred_maintenance_window = group.preferred_maintenance_window
        cluster.snapshot_window = group.snapshot_window
        cluster.snapshot_retention_limit = group.snapshot_retention_limit
        cluster.transit_encryption_enabled = group.transit_encryption_enabled
        cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
        cluster.auth_token_enabled = group.auth_token_enabled
        cluster.security_groups = [
            {"SecurityGroupId": sg, "Status": "active"}
            for sg in (group.security_group_ids or [])
        ]
        cluster.cache_parameter_group = {
            "CacheParameterGroupName": group.cache_parameter_group_name
            or f"default.{group.engine}{group.engine_version.split('.')[0]}",
            "ParameterApplyStatus": "in-sync",
        }


@patch
def patch_elasticache_replication_group_details():
    """ElastiCache API Reference, CreateReplicationGroup / DescribeCacheClusters
    / ModifyReplicationGroup / DeleteReplicationGroup / IncreaseReplicaCount /
    DecreaseReplicaCount: a group without cluster mode has NumCacheClusters
    member cache clusters, each described by DescribeCacheClusters with the
    group's engine version, subnet group, security groups, parameter group,
    port and maintenance window; modify changes them; delete with
    FinalSnapshotIdentifier takes that snapshot and removes the members.
    Gaps in moto: (1) NumCacheClusters is ignored when
    cluster mode is off (always one member); (2) the member cache clusters are
    never created, so DescribeCacheClusters cannot show what AWS reports per
    member (engine version, subnet group, security groups, parameter group,
    port, maintenance window); (3) ModifyReplicationGroup ignores
    EngineVersion, CacheParameterGroupName, SecurityGroupIds,
    PreferredMaintenanceWindow, SnapshotWindow, AuthToken and
    TransitEncryption*; (4) DeleteReplicationGroup ignores
    FinalSnapshotIdentifier and leaves the members behind. After the patch
    the members exist as cache clusters carrying the group's settings (an
    engine version given as major or major.minor is reported with its patch
    level, `7.1` -> `7.1.0`, as AWS does), modify updates them, and delete
    takes the final snapshot and removes the members. IncreaseReplicaCount /
    DecreaseReplicaCount (not implemented at all) add or drop replicas."""
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import ReplicationGroupNotFound
    from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
    from moto.elasticache.responses import ElastiCacheResponse


    def members_disabled(self, **kw):
        wanted = kw.get("num_cache_clusters") or 1
        if not kw.get("replicas_per_node_group") and wanted > 1:
            kw["replicas_per_node_group"] = wanted - 1
        return original_members(self, **kw)

    def create_replication_group(self, **kw):
        group = original_create(self, **kw)
        group.engine_version = full_version(kw.get("engine_version"))
        group.port = int(kw.get("port") or 6379)
        group.preferred_maintenance_window = (
            kw.get("preferred_maintenance_window") or "sun:23:00-mon:01:30"
        ).lower()
        sync_members(self, group)
        return group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = self.replication_groups.get(replication_group_id)
        final = getattr(self, "_forge_final_snapshot", None)
        if group is not None and final:
            self.create_snapshot(
                snapshot_name=final,
                replication_group_id=replication_group_id,
                cache_cluster_id=None,
                kms_key_id=None,
                tags=[],
            )
        members = list(group.member_clusters) if group is not None else []
        result = original_delete(self, replication_group_id, retain_primary_cluster)
        for cid in members:
            self.cache_clusters.pop(cid, None)
        return result

    def response_delete_replication_group(self):
        backend = self.elasticache_backend
        backend._forge_final_snapshot = self._get_param("FinalSnapshotIdentifier")
        try:
            return original_response_delete(self)
        finally:
            backend._forge_final_snapshot = None


    def response_modify_replication_group(self):
        result = original_response_modify(self)
        backend = self.elasticache_backend
        group = backend.replication_groups[self._get_param("ReplicationGroupId")]
        version = self._get_param("EngineVersion")
        if version:
            group.engine_version = full_version(version)
        for param, attr in (
            ("CacheParameterGroupName", "cache_parameter_group_name"),
            ("PreferredMaintenanceWindow", "preferred_maintenance_window"),
            ("SnapshotWindow", "snapshot_window"),
            ("TransitEncryptionMode", "transit_encryption_mode"),
        ):
            value = self._get_param(param)
            if value:
                setattr(group, attr, value)
        sgs = self._get_param("SecurityGroupIds")
        if sgs:
            group.security_group_ids = sgs
        transit = self._get_bool_param("TransitEncryptionEnabled")
        if transit is not None:
            group.transit_encryption_enabled = transit
        if self._get_param("AuthToken"):
            strategy = self._get_param("AuthTokenUpdateStrategy") or "SET"
            group.auth_token_enabled = strategy != "DELETE"
            group._forge_auth_token_strategy = strategy
        sync_members(backend, group)
        return result

    def response_change_replica_count(self):
        # IncreaseReplicaCount / DecreaseReplicaCount (not implemented by
        # moto): without cluster mode, NewReplicaCount replicas follow the
        # primary; members are added or dropped from the end.
        backend = self.elasticache_backend
        gid = self._get_param("ReplicationGroupId")
        group = backend.replication_groups.get(gid)
        if group is None:
            raise ReplicationGroupNotFound(gid)
        count = self._get_int_param("NewReplicaCount")
        node_group = group.node_groups[0]
        members = node_group["node_group_members"]
        primary, template = members[0], dict(members[-1])
        kept = members[: count + 1]
        for r in range(len(kept), count + 1):
            member = dict(template)
            member["cache_cluster_id"] = f"{gid}-{r + 1:0>3}"
            member["current_role"] = "replica"
            kept.append(member)
        kept[0] = primary
        node_group["node_group_members"] = kept
        dropped = [m for m in group.member_clusters if m not in {k["cache_cluster_id"] for k in kept}]
        group.member_clusters = [k["cache_cluster_id"] for k in kept]
        for cid in dropped:
            backend.cache_clusters.pop(cid, None)
        sync_members(backend, group)
        return ActionResult({"ReplicationGroup": group})

    original_members = replace(
        ReplicationGroup, "_set_node_members_clusters_disabled", members_disabled
    )
    add(ElastiCacheResponse, "increase_replica_count", response_change_replica_count)
    add(ElastiCacheResponse, "decrease_replica_count", response_change_replica_count)
    original_create = replace(
        ElastiCacheBackend, "create_replication_group", create_replication_group
    )
    original_delete = replace(
        ElastiCacheBackend, "delete_replication_group", delete_replication_group
    )
    original_response_delete = replace(
        ElastiCacheResponse, "delete_replication_group", response_delete_replication_group
    )
    original_response_modify = replace(
        ElastiCacheResponse, "modify_replication_group", response_modify_replication_group
    )


@patch
def patch_elasticache_modify_subnet_group():
    """ElastiCache API Reference, ModifyCacheSubnetGroup: replaces the
    group's description and subnets (checked like at create), keeping its
    name, ARN and tags. moto does not implement it (HTTP 500)."""
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.models import CacheSubnetGroup
    from moto.elasticache.responses import ElastiCacheResponse

    def modify_cache_subnet_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        old = backend.cache_subnet_groups.get(name)
        if old is None:
            raise CacheSubnetGroupNotFound(name)
        group = CacheSubnetGroup(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_subnet_group_name=name,
            cache_subnet_group_description=self._get_param("CacheSubnetGroupDescription")
            or old.cache_subnet_group_description,
            subnet_ids=self._get_param("SubnetIds", []) or old.subnet_ids,
            tags=old.tags,
        )
        backend.cache_subnet_groups[name] = group
        return ActionResult({"CacheSubnetGroup": group})

    add(ElastiCacheResponse, "modify_cache_subnet_group", modify_cache_subnet_group)


# CacheParameterGroupFamily values the ElastiCache API Reference documents
# for CreateCacheParameterGroup.
FAMILIES = {
    "memcached1.4", "memcached1.5", "memcached1.6",
    "redis2.6", "redis2.8", "redis3.2", "redis4.0", "redis5.0", "redis6.x",
    "redis7", "valkey7", "valkey8",
}

# Parameter names per engine, from the ElastiCache User Guide, "Engine
# specific parameters" (Valkey and Redis OSS; Memcached): the common ones
# and those forge and its tests use. A name outside the list is refused
# with InvalidParameterValue, as AWS refuses a name the family lacks.
REDIS_PARAMETERS = {
    "acllog-max-len", "activedefrag", "active-defrag-cycle-max",
    "active-defrag-cycle-min", "active-defrag-ignore-bytes",
    "active-defrag-max-scan-fields", "active-defrag-threshold-lower",
    "active-defrag-threshold-upper", "activerehashing", "appendfsync",
    "appendonly", "client-output-buffer-limit-normal-hard-limit",
    "client-output-buffer-limit-normal-soft-limit",
    "client-output-buffer-limit-normal-soft-seconds",
    "client-output-buffer-limit-pubsub-hard-limit",
    "client-output-buffer-limit-pubsub-soft-limit",
    "client-output-buffer-limit-pubsub-soft-seconds",
    "client-output-buffer-limit-replica-hard-limit",
    "client-output-buffer-limit-replica-soft-limit",
    "client-output-buffer-limit-replica-soft-seconds", "close-on-replica-write",
    "cluster-allow-pubsubshard-when-down", "cluster-allow-reads-when-down",
    "cluster-enabled", "cluster-require-full-coverage", "databases",
    "hash-max-listpack-entries", "hash-max-listpack-value",
    "hash-max-ziplist-entries", "hash-max-ziplist-value", "hll-sparse-max-bytes",
    "latency-tracking", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush", "lfu-decay-time", "lfu-log-factor",
    "list-compress-depth", "list-max-listpack-size", "list-max-ziplist-size",
    "lua-replicate-commands", "lua-time-limit", "maxclients", "maxmemory-policy",
    "maxmemory-samples", "min-replicas-max-lag", "min-replicas-to-write",
    "notify-keyspace-events", "proto-max-bulk-len", "repl-backlog-size",
    "repl-backlog-ttl", "replica-allow-chaining", "replica-lazy-flush",
    "reserved-memory", "reserved-memory-percent", "set-max-intset-entries",
    "slowlog-log-slower-than", "slowlog-max-len", "stream-node-max-bytes",
    "stream-node-max-entries", "tcp-keepalive", "timeout",
    "tracking-table-max-keys", "zset-max-listpack-entries",
    "zset-max-listpack-value", "zset-max-ziplist-entries",
    "zset-max-ziplist-value",
}
MEMCACHED_PARAMETERS = {
    "backlog_queue_limit", "binding_protocol", "cas_disabled", "chunk_size",
    "chunk_size_growth_factor", "error_on_memory_exhausted",
    "large_memory_pages", "lock_down_paged_memory", "max_item_size",
    "max_simultaneous_connections", "maximize_core_file_limit",
    "memcached_connections_overhead",
}
# Values the User Guide documents for parameters with a closed set.
ALLOWED_VALUES = {
    "maxmemory-policy": {
        "volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu",
        "volatile-random", "allkeys-random", "volatile-ttl", "noeviction",
    },
    "appendonly": {"yes", "no"},
    "activedefrag": {"yes", "no"},
    "cluster-enabled": {"yes", "no"},
}
# Integer parameters among those above.
INTEGER_PARAMETERS = {"timeout", "databases", "tcp-keepalive", "maxclients",
                      "maxmemory-samples", "reserved-memory-percent",
                      "slowlog-log-slower-than", "slowlog-max-len"}


@patch
def patch_elasticache_parameter_groups():
    """ElastiCache API Reference, Create/Describe/Modify/Reset/Delete
    CacheParameterGroup and DescribeCacheParameters; moto implements none
    of them (HTTP 500). The patch keeps groups per backend, with tags on
    the group's ARN, and follows the documented errors:
    CacheParameterGroupAlreadyExists, CacheParameterGroupNotFound,
    InvalidParameterValue for a family outside the documented list and for
    a parameter name or value the engine does not have (Modify/Reset; names
    from the User Guide's "Engine specific parameters"), and
    InvalidCacheParameterGroupState for DeleteCacheParameterGroup of a group
    a replication group or cache cluster uses ("You cannot delete a cache
    parameter group if it is associated with any cache clusters").
    DescribeCacheParameters answers the user-set values (Source `user`) plus
    two engine defaults (Source `system`)."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    defaults = {"maxmemory-policy": "volatile-lru", "timeout": "0"}

    def groups(backend):
        if not hasattr(backend, "_forge_parameter_groups"):
            backend._forge_parameter_groups = {}
        return backend._forge_parameter_groups

    def group_of(backend, name):
        found = groups(backend).get(name)
        if found is None:
            raise _error("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")
        return found

    def name_values(response):
        items = response._get_param("ParameterNameValues", []) or []
        return {i["ParameterName"]: i.get("ParameterValue") for i in items}

    def check_names(group, values, check_values):
        family = group["CacheParameterGroupFamily"] or ""
        known = MEMCACHED_PARAMETERS if family.startswith("memcached") else REDIS_PARAMETERS
        for key, value in values.items():
            if key not in known:
                raise _error(
                    "InvalidParameterValue",
                    f"Parameter {key} is not a valid parameter for family {family}.",
                )
            if not check_values:
                continue
            allowed = ALLOWED_VALUES.get(key)
            if allowed is not None and value not in allowed:
                raise _error(
                    "InvalidParameterValue",
                    f"Value {value} for parameter {key} is not allowed.",
                )
            if key in INTEGER_PARAMETERS and not str(value).lstrip("-").isdigit():
                raise _error(
                    "InvalidParameterValue",
                    f"Value {value} for parameter {key} is not an integer.",
                )

    def public(group):
        return {k: v for k, v in group.items() if not k.startswith("_")}

    def create(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        family = self._get_param("CacheParameterGroupFamily")
        if name in groups(backend):
            raise _error(
                "CacheParameterGroupAlreadyExists", f"CacheParameterGroup {name} already exists."
            )
        if family not in FAMILIES:
            raise _error(
                "InvalidParameterValue", f"Invalid CacheParameterGroupFamily {family}."
            )
        arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"
        group = {
            "CacheParameterGroupName": name,
            "CacheParameterGroupFamily": family,
            "Description": self._get_param("Description"),
            "IsGlobal": False,
            "ARN": arn,
            "_params": {},
        }
        groups(backend)[name] = group
        tags = self._get_param("Tags", [])
        if tags:
            backend.tagging_service.tag_resource(arn, tags)
        return ActionResult({"CacheParameterGroup": public(group)})

    def describe(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        found = [group_of(backend, name)] if name else list(groups(backend).values())
        return ActionResult({"CacheParameterGroups": [public(g) for g in found]})

    def describe_parameters(self):
        group = group_of(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
        source = self._get_param("Source")
        params = [
            {"ParameterName": k, "ParameterValue": v, "Source": "system",
             "DataType": "string", "IsModifiable": True}
            for k, v in defaults.items() if k not in group["_params"]
        ] + [
            {"ParameterName": k, "ParameterValue": v, "Source": "user",
             "DataType": "string", "IsModifiable": True}
            for k, v in group["_params"].items()
        ]
        if source:
            params = [p for p in params if p["Source"] == source]
        return ActionResult({"Parameters": params})

    def modify(self):
        name = self._get_param("CacheParameterGroupName")
        group = group_of(self.elasticache_backend, name)
        values = name_values(self)
        check_names(group, values, check_values=True)
        group["_params"].update(values)
        return ActionResult({"CacheParameterGroupName": name})

    def reset(self):
        name = self._get_param("CacheParameterGroupName")
        group = group_of(self.elasticache_backend, name)
        values = name_values(self)
        check_names(group, values, check_values=False)
        if self._get_bool_param("ResetAllParameters"):
            group["_params"].clear()
        for key in values:
            group["_params"].pop(key, None)
        return ActionResult({"CacheParameterGroupName": name})

    def delete(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        group_of(backend, name)
        users = _users_of(backend, "cache_parameter_group_name", name)
        if users:
            raise _error(
                "InvalidCacheParameterGroupState",
                f"Cache parameter group {name} is in use by " + ", ".join(users),
            )
        groups(backend).pop(name)
        return EmptyResult()

    def list_tags_for_resource(self, arn):
        if ":parametergroup:" in arn:
            return self.tagging_service.list_tags_for_resource(arn)
        return original_list_tags(self, arn)

    add(ElastiCacheResponse, "create_cache_parameter_group", create)
    add(ElastiCacheResponse, "describe_cache_parameter_groups", describe)
    add(ElastiCacheResponse, "describe_cache_parameters", describe_parameters)
    add(ElastiCacheResponse, "modify_cache_parameter_group", modify)
    add(ElastiCacheResponse, "reset_cache_parameter_group", reset)
    add(ElastiCacheResponse, "delete_cache_parameter_group", delete)
    original_list_tags = replace(
        ElastiCacheBackend, "list_tags_for_resource", list_tags_for_resource
    )
