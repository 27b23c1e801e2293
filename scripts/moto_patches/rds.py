"""RDS: global cluster membership and tags, parameter group resets, DB
subnet group modify."""

from ._patching import add, patch, replace


@patch
def patch_rds_global_cluster_membership():
    """RDS API Reference, RemoveFromGlobalCluster: detaches a cluster from
    its global database (it becomes a standalone cluster), whichever region
    the cluster is in. Aurora User Guide, "Deleting an Amazon Aurora global
    database": a global database and its clusters can't be deleted in a
    single step; each cluster is removed from the global database first.
    DeleteDBCluster of a cluster that is still a member answers
    InvalidDBClusterStateFault (a secondary, or a primary that is the only
    member) or InvalidGlobalClusterStateFault (a primary while other members
    remain). DeleteGlobalCluster answers GlobalClusterNotFoundFault for an
    unknown identifier and InvalidGlobalClusterStateFault while it has
    members.

    moto keeps every global cluster in the us-east-1 backend, but
    RemoveFromGlobalCluster looks in the backend of the request's region, so
    a secondary in another region never leaves; it keeps the cluster's
    GlobalClusterIdentifier after removal; its DeleteDBCluster silently
    detaches a member; and a second DeleteGlobalCluster is an HTTP 500
    (KeyError). After the patch membership is kept where the global cluster
    lives, removal clears it, a member cannot be deleted, and a missing
    global cluster answers GlobalClusterNotFoundFault."""
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import RDSBackend, rds_backends

    def global_store(backend):
        return rds_backends[backend.account_id]["us-east-1"].global_clusters

    def find_global(backend, global_id):
        store = global_store(backend)
        if global_id in store:
            return store[global_id]
        # The identifier or its ARN (DescribeDBClusters may report either).
        for group in store.values():
            if global_id.lower() in (group.arn.lower(), group.global_cluster_identifier):
                return group
        return None

    def membership(backend, cluster):
        for group in global_store(backend).values():
            if any(m is cluster for m in group.members):
                return group
        return None

    def remove_from_global_cluster(self, global_cluster_identifier, db_cluster_identifier):
        group = find_global(self, global_cluster_identifier)
        if group is None:
            return None
        for member in list(group.members):
            if db_cluster_identifier in (member.db_cluster_arn, member.db_cluster_identifier):
                group.members.remove(member)
                member.global_cluster_identifier = None
        return group

    def delete_db_cluster(self, cluster_identifier, snapshot_name=None):
        cluster = self.clusters.get(cluster_identifier)
        group = membership(self, cluster) if cluster is not None else None
        if group is not None:
            others = [m for m in group.members if m is not cluster]
            if getattr(cluster, "is_writer", False) and others:
                raise RDSClientError(
                    "InvalidGlobalClusterStateFault",
                    f"Unable to delete cluster {cluster_identifier} that is a primary member "
                    f"of global cluster {group.global_cluster_identifier} while there are "
                    "other global cluster members",
                )
            raise RDSClientError(
                "InvalidDBClusterStateFault",
                f"Cluster {cluster_identifier} is a part of global cluster "
                f"{group.global_cluster_identifier}; remove it from the global cluster first.",
            )
        return original_delete_cluster(self, cluster_identifier, snapshot_name)

    def delete_global_cluster(self, global_cluster_identifier):
        if global_cluster_identifier not in self.global_clusters:
            raise RDSClientError(
                "GlobalClusterNotFoundFault",
                f"Global cluster {global_cluster_identifier} not found.",
            )
        return original_delete_global(self, global_cluster_identifier)

    replace(RDSBackend, "remove_from_global_cluster", remove_from_global_cluster)
    original_delete_cluster = replace(RDSBackend, "delete_db_cluster", delete_db_cluster)
    original_delete_global = replace(RDSBackend, "delete_global_cluster", delete_global_cluster)


@patch
def patch_rds_parameter_group_resets():
    """RDS API Reference, ResetDBClusterParameterGroup and
    ResetDBParameterGroup: set the named parameters (or, with
    ResetAllParameters, all of them) back to the engine defaults, so
    DescribeDB(Cluster)Parameters with Source=user no longer lists them.
    moto does not implement either (HTTP 500). The patch drops them from the
    group's user-set parameters."""
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import (
        DBClusterParameterGroupNotFoundError,
        DBParameterGroupNotFoundError,
    )
    from moto.rds.responses import RDSResponse

    def reset(self, name_param, groups_of, not_found):
        name = self.params.get(name_param)
        groups = groups_of(self.backend)
        if name not in groups:
            raise not_found(name)
        group = groups[name]
        if str(self.params.get("ResetAllParameters")).lower() == "true":
            group.parameters.clear()
        for p in self.params.get("Parameters", []):
            group.parameters.pop(p.get("ParameterName"), None)
        return ActionResult({name_param: group.name})

    def reset_db_cluster_parameter_group(self):
        return reset(
            self,
            "DBClusterParameterGroupName",
            lambda b: b.db_cluster_parameter_groups,
            DBClusterParameterGroupNotFoundError,
        )

    def reset_db_parameter_group(self):
        return reset(
            self,
            "DBParameterGroupName",
            lambda b: b.db_parameter_groups,
            DBParameterGroupNotFoundError,
        )

    add(RDSResponse, "reset_db_cluster_parameter_group", reset_db_cluster_parameter_group)
    add(RDSResponse, "reset_db_parameter_group", reset_db_parameter_group)


@patch
def patch_rds_global_cluster_tags():
    """RDS API Reference, CreateGlobalCluster: `Tags` are applied to the
    global cluster and DescribeGlobalClusters reports them (TagList). moto
    ignores them, so a global database never carries forge's ownership tags.
    After the patch the tags given at create are kept and described."""
    from moto.rds.responses import RDSResponse

    def create_global_cluster(self):
        result = original(self)
        gid = self.params["GlobalClusterIdentifier"]
        group = self.global_backend.global_clusters.get(gid)
        if group is not None:
            group.tags = self.params.get("Tags", [])
        return result

    original = replace(RDSResponse, "create_global_cluster", create_global_cluster)


@patch
def patch_rds_modify_db_subnet_group():
    """RDS API Reference, ModifyDBSubnetGroup: modifies an existing DB
    subnet group (DBSubnetGroupNotFoundFault for an unknown one); the group
    stays. moto takes the group out of the backend and never puts it back,
    so DescribeDBSubnetGroups no longer lists it. After the patch the
    modified group stays."""
    from moto.rds.exceptions import DBSubnetGroupNotFoundError
    from moto.rds.models import RDSBackend

    def modify_db_subnet_group(self, subnet_name, description, subnets):
        if subnet_name not in self.subnet_groups:
            raise DBSubnetGroupNotFoundError(subnet_name)
        group = original(self, subnet_name, description, subnets)
        self.subnet_groups[subnet_name] = group
        return group

    original = replace(RDSBackend, "modify_db_subnet_group", modify_db_subnet_group)


@patch
def patch_rds_publicly_accessible_default():
    """RDS API Reference, CreateDBInstance, PubliclyAccessible: when it is
    not given, the default depends on the DB subnet group: with one (for an
    Aurora instance, its cluster's), the instance is public if the group's
    VPC has an internet gateway attached and private otherwise; without one
    (the default VPC, which has an internet gateway) it is public.
    DescribeDBInstances always reports the value. Gap: moto leaves it unset
    and describes no PubliclyAccessible, so an instance made without it reads
    as if the setting were unknown. After the patch the documented default
    is stored and described."""
    from moto.ec2.models import ec2_backends
    from moto.rds.models import RDSBackend

    def vpc_has_internet_gateway(backend, vpc_id):
        ec2 = ec2_backends[backend.account_id][backend.region_name]
        return any(
            igw.vpc is not None and igw.vpc.id == vpc_id
            for igw in ec2.internet_gateways.values()
        )

    def create_db_instance(self, db_kwargs):
        database = original(self, db_kwargs)
        if database.publicly_accessible is None:
            # moto keeps an instance's own group as `db_subnet_group` (its
            # name property is write-only).
            group = getattr(database, "db_subnet_group", None)
            cluster = self.clusters.get(database.db_cluster_identifier or "")
            if group is None and cluster is not None:
                group = self.subnet_groups.get(cluster.db_subnet_group_name)
            database.publicly_accessible = (
                True if group is None else vpc_has_internet_gateway(self, group.vpc_id)
            )
        return database

    original = replace(RDSBackend, "create_db_instance", create_db_instance)


def _version_key(version):
    """An engine version as numbers, for ordering (`15.4` < `16.1`)."""
    return tuple(int(p) if p.isdigit() else 0 for p in str(version).split("."))


@patch
def patch_rds_modify_global_cluster():
    """RDS API Reference, ModifyGlobalCluster: changes an Aurora global
    database's DeletionProtection, and upgrades it in place to
    EngineVersion ("The version number of the database engine to which you
    want to upgrade"), its member clusters with it (Aurora User Guide,
    "Major version upgrades for Aurora global databases": the primary and
    every secondary are upgraded together). AllowMajorVersionUpgrade "must
    be enabled if you specify a value for the EngineVersion parameter
    that's a different major version than the global cluster's current
    version" (else InvalidParameterCombination); a lower version is refused
    the same way (no downgrades); an unknown identifier answers
    GlobalClusterNotFoundFault. moto does not implement ModifyGlobalCluster
    (HTTP 500)."""
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import RDSClientError
    from moto.rds.responses import RDSResponse

    def modify_global_cluster(self):
        gid = (self._get_param("GlobalClusterIdentifier") or "").lower()
        group = self.global_backend.global_clusters.get(gid)
        if group is None:
            raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {gid} not found.")
        version = self._get_param("EngineVersion")
        if version and version != group.engine_version:
            current = group.engine_version
            if _version_key(version) < _version_key(current):
                raise RDSClientError(
                    "InvalidParameterCombination",
                    f"Cannot upgrade {group.engine} from {current} to {version}",
                )
            major = str(version).split(".")[0] != str(current).split(".")[0]
            if major and not self._get_bool_param("AllowMajorVersionUpgrade"):
                raise RDSClientError(
                    "InvalidParameterCombination",
                    "The AllowMajorVersionUpgrade flag must be present when upgrading to a new "
                    "major version.",
                )
            group.engine_version = version
            for member in group.members:
                member.engine_version = version
        protect = self._get_bool_param("DeletionProtection")
        if protect is not None:
            group.deletion_protection = protect
        return ActionResult({"GlobalCluster": group})

    add(RDSResponse, "modify_global_cluster", modify_global_cluster)
