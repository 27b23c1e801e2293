"""The emulator in real time, scaled: slow AWS objects pass through their
lifecycle states for the durations of scripts/moto_patches/durations.py
times the scale, and calls AWS refuses during those states are refused
with AWS's error codes.

moto makes everything ready at once. With `--time-scale S` (S > 0) the
launcher calls `install(S)` after the gap patches; with S = 0 nothing here
is installed and the emulator behaves exactly as before.

How time passes: nothing runs in the background. A create, modify or
delete `begin`s a phase on the moto object: a list of (state, seconds)
steps and, optionally, what to do when it ends (a slow delete removes the
object then). A patched attribute (`state` of a NAT gateway, `status` of an
RDS cluster, ...) reads the current step while the phase runs. `sweep()`,
called by the harness app before every request, ends the phases whose time
has passed (running their endings), so a state changes only between
requests, never inside one.

The refusals (each from the AWS API reference of the call):
- CreateDBInstance into a cluster that is not `available`:
  InvalidDBClusterStateFault.
- ModifyDBCluster of a cluster that is not `available` (a Modify with
  ApplyImmediately makes it `modifying`; one without leaves it
  `available`, its deferred settings pending):
  InvalidDBClusterStateFault; ModifyDBInstance of an instance that is not
  `available`: InvalidDBInstanceState.
- DeleteDBSubnetGroup while a cluster or instance (deleting ones included)
  uses it: InvalidDBSubnetGroupStateFault.
- DeleteDBInstance / DeleteDBCluster of one already `deleting`:
  InvalidDBInstanceState / InvalidDBClusterStateFault ("is already being
  deleted"). DeleteNatGateway of a `deleting` gateway answers it unchanged.
- ModifyGlobalCluster of a global database that is not `available` (an
  engine upgrade makes it `modifying`): InvalidGlobalClusterStateFault.
- ModifyReplicationGroup of a group that is not `available`:
  InvalidReplicationGroupState. A Modify that applies something now (with
  ApplyImmediately, or a setting AWS never defers) makes the group
  `modifying`; one that only carries deferred settings (node type, engine
  version, in-transit encryption) without ApplyImmediately leaves it
  `available`, the settings pending (deferred.py).
- DeleteSubnet while a NAT gateway (deleting ones included) or a load
  balancer has a network interface in it, DeleteSecurityGroup while a load
  balancer uses the group: DependencyViolation (EC2 API Reference,
  DeleteSubnet / DeleteSecurityGroup: "you must first delete ... all
  instances/network interfaces").
- ReleaseAddress of an address a NAT gateway still holds (it is released
  when the deletion finishes): InvalidIPAddress.InUse.
"""

import threading
import time

from ._patching import replace
from .durations import steps

SCALE = 0.0
"""The installed scale (0: not installed)."""

_LOCK = threading.RLock()
_ACTIVE = {}  # id -> object with a running phase, in begin order


class Phase:
    """A running lifecycle phase of one moto object."""

    def __init__(self, attr, steps_, on_end):
        self.attr = attr
        self.started = time.monotonic()
        self.steps = steps_
        self.until = self.started + sum(s for _, s in steps_)
        self.on_end = on_end

    def state(self):
        elapsed = time.monotonic() - self.started
        for state, seconds in self.steps:
            if elapsed < seconds:
                return state
            elapsed -= seconds
        # Over, but not yet swept: the last step holds until the next
        # request's sweep, so a state never changes inside one request.
        return self.steps[-1][0]


def _phases(obj):
    return obj.__dict__.setdefault("_forge_phases", {})


def begin(obj, attr, kind, phase, on_end=None):
    """Starts `kind`'s `phase` (durations.DURATIONS) on `obj`, whose
    attribute `attr` (made timed with `timed`) reads the phase's states
    until it ends; then `on_end()` runs, if given."""
    with _LOCK:
        _phases(obj)[attr] = Phase(attr, steps(kind, phase, SCALE), on_end)
        _ACTIVE[id(obj)] = obj


def busy(obj, attr):
    """The state of `obj`'s running phase on `attr`, or None."""
    phase = obj.__dict__.get("_forge_phases", {}).get(attr)
    return phase.state() if phase else None


def sweep():
    """Ends every phase whose time has passed, in begin order."""
    now = time.monotonic()
    endings = []
    with _LOCK:
        for key, obj in list(_ACTIVE.items()):
            phases = obj.__dict__.get("_forge_phases", {})
            for attr, phase in list(phases.items()):
                if phase.until <= now:
                    del phases[attr]
                    if phase.on_end:
                        endings.append(phase.on_end)
            if not phases:
                del _ACTIVE[key]
        for end in endings:
            end()


def timed(cls, attr):
    """Makes `cls.attr` read a running phase's state, else what moto
    stored (through moto's own property when it has one)."""
    existing = cls.__dict__.get(attr)
    store = f"_forge_stored_{attr}"
    if isinstance(existing, property):
        fget, fset = existing.fget, existing.fset
    else:

        def fget(self):
            return self.__dict__.get(store)

        def fset(self, value):
            self.__dict__[store] = value

    def get(self):
        state = busy(self, attr)
        return state if state is not None else fget(self)

    if existing is None:
        # A plain instance attribute: `setattr` on the class adds the
        # property (`replace` only replaces what the class defines).
        setattr(cls, attr, property(get, fset))
    else:
        replace(cls, attr, property(get, fset))


def install(scale):
    """Installs the time-scaled lifecycle; `scale` > 0."""
    global SCALE
    SCALE = float(scale)
    _nat_gateways()
    _load_balancers()
    _rds()
    _elasticache()
    _ecs()


def _error_ec2(code, message):
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _nat_gateways():
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.nat_gateways import NatGateway

    timed(NatGateway, "state")

    def create_nat_gateway(self, *args, **kwargs):
        nat = original_create(self, *args, **kwargs)
        begin(nat, "state", "nat_gateway", "create")
        return nat

    def delete_nat_gateway(self, nat_gateway_id):
        nat = self.nat_gateways.get(nat_gateway_id)
        if nat is not None and nat.state == "deleting":
            # Asking again changes nothing (EC2 answers the gateway).
            return nat
        if nat is None or nat.state == "deleted":
            return original_delete(self, nat_gateway_id)
        # The gateway keeps its interface and address until it is deleted;
        # the patched delete (deleted + address disassociated) runs then.
        begin(
            nat,
            "state",
            "nat_gateway",
            "delete",
            on_end=lambda: original_delete(self, nat_gateway_id),
        )
        return nat

    def release_address(self, address=None, allocation_id=None):
        for nat in self.nat_gateways.values():
            if busy(nat, "state") != "deleting":
                continue
            for entry in nat.address_set:
                if allocation_id and entry.get("allocationId") == allocation_id or (
                    address and entry.get("publicIp") == address
                ):
                    raise _error_ec2(
                        "InvalidIPAddress.InUse",
                        f"Address {allocation_id or address} is in use by {nat.id}.",
                    )
        return original_release(self, address=address, allocation_id=allocation_id)

    def delete_subnet(self, subnet_id):
        users = [
            nat.id
            for nat in self.nat_gateways.values()
            if nat.subnet_id == subnet_id and nat.state != "deleted"
        ]
        users += _load_balancers_using(self, subnet=subnet_id)
        if users:
            raise _error_ec2(
                "DependencyViolation",
                f"The subnet '{subnet_id}' has dependencies and cannot be deleted "
                f"({', '.join(users)}).",
            )
        return original_delete_subnet(self, subnet_id)

    def delete_security_group(self, name=None, group_id=None):
        users = _load_balancers_using(self, group=group_id) if group_id else []
        if users:
            raise _error_ec2(
                "DependencyViolation",
                f"resource {group_id} has a dependent object ({', '.join(users)})",
            )
        return original_delete_sg(self, name=name, group_id=group_id)

    original_create = replace(EC2Backend, "create_nat_gateway", create_nat_gateway)
    original_delete = replace(EC2Backend, "delete_nat_gateway", delete_nat_gateway)
    original_release = replace(EC2Backend, "release_address", release_address)
    original_delete_subnet = replace(EC2Backend, "delete_subnet", delete_subnet)
    original_delete_sg = replace(EC2Backend, "delete_security_group", delete_security_group)


def _load_balancers_using(ec2_backend, subnet=None, group=None):
    """Names of the load balancers (same account and region) with an
    interface in `subnet` or using security group `group`."""
    from moto.elbv2.models import elbv2_backends

    try:
        elbv2 = elbv2_backends[ec2_backend.account_id][ec2_backend.region_name]
    except KeyError:
        return []
    users = []
    for lb in elbv2.load_balancers.values():
        if subnet and any(getattr(s, "id", s) == subnet for s in lb.subnets):
            users.append(lb.name)
        elif group and group in (lb.security_groups or []):
            users.append(lb.name)
    return users


def _load_balancers():
    from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

    timed(FakeLoadBalancer, "state")

    def create_load_balancer(self, *args, **kwargs):
        lb = original_create(self, *args, **kwargs)
        lb.state = "active"
        begin(lb, "state", "load_balancer", "create")
        return lb

    original_create = replace(ELBv2Backend, "create_load_balancer", create_load_balancer)


def _immediate(kwargs):
    """Whether a Modify applies now: with ApplyImmediately the object is
    `modifying`; without it the deferred settings wait for the maintenance
    window (deferred.py) and the object stays `available`, as on AWS."""
    return str(kwargs.get("apply_immediately")).lower() == "true"


def _rds():
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import DBCluster, DBInstance, GlobalCluster, RDSBackend
    from moto.rds.responses import RDSResponse

    for cls in (DBCluster, DBInstance, GlobalCluster):
        timed(cls, "status")

    def members(self):
        # AWS: "Cluster cannot be deleted, it still contains DB instances in
        # non-deleting state": deleting instances no longer count.
        return [m for m in original_members.fget(self) if m.status != "deleting"]

    original_members = replace(DBCluster, "_members", property(members))

    def not_available(code, what, ident, status):
        return RDSClientError(
            code, f"{what} {ident} is not in available state (it is {status})."
        )

    def create_db_cluster(self, kwargs):
        cluster = original_create_cluster(self, kwargs)
        cluster.status = "available"
        begin(cluster, "status", "rds_cluster", "create")
        return cluster

    def create_db_instance(self, db_kwargs):
        cluster_id = db_kwargs.get("db_cluster_identifier")
        cluster = self.clusters.get(cluster_id) if cluster_id else None
        if cluster is not None and cluster.status != "available":
            raise RDSClientError(
                "InvalidDBClusterStateFault",
                f"The DB cluster {cluster_id} is not in the available state "
                f"(it is {cluster.status}).",
            )
        database = original_create_instance(self, db_kwargs)
        begin(database, "status", "rds_instance", "create")
        return database

    def modify_db_cluster(self, kwargs):
        cluster = self.clusters.get(kwargs["db_cluster_identifier"])
        if cluster is not None and cluster.status != "available":
            raise not_available(
                "InvalidDBClusterStateFault", "DB cluster", cluster.db_cluster_identifier, cluster.status
            )
        now = _immediate(kwargs)
        answer = original_modify_cluster(self, kwargs)
        for c in {id(answer): answer, id(cluster): cluster}.values():
            if c is not None and now:
                begin(c, "status", "rds_cluster", "modify")
        return answer

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        database = self.databases.get(db_instance_identifier)
        if database is not None and database.status != "available":
            raise not_available(
                "InvalidDBInstanceState", "DB instance", db_instance_identifier, database.status
            )
        now = _immediate(db_kwargs)
        answer = original_modify_instance(self, db_instance_identifier, db_kwargs)
        if now:
            begin(answer, "status", "rds_instance", "modify")
        return answer

    def delete_db_instance(self, db_instance_identifier, *args, **kwargs):
        database = self.databases.get(db_instance_identifier)
        if database is not None and database.status == "deleting":
            raise RDSClientError(
                "InvalidDBInstanceState",
                f"Instance {db_instance_identifier} is already being deleted.",
            )
        answer = original_delete_instance(self, db_instance_identifier, *args, **kwargs)
        # moto forgets it at once; AWS lists it `deleting` until it is gone.
        self.databases[db_instance_identifier] = answer
        answer.status = "deleting"

        def gone():
            if self.databases.get(db_instance_identifier) is answer:
                del self.databases[db_instance_identifier]

        begin(answer, "status", "rds_instance", "delete", on_end=gone)
        return answer

    def delete_db_cluster(self, cluster_identifier, *args, **kwargs):
        cluster = self.clusters.get(cluster_identifier)
        if cluster is not None and cluster.status == "deleting":
            raise RDSClientError(
                "InvalidDBClusterStateFault",
                f"Cluster {cluster_identifier} is already being deleted.",
            )
        answer = original_delete_cluster(self, cluster_identifier, *args, **kwargs)
        self.clusters[cluster_identifier] = answer
        answer.status = "deleting"

        def gone():
            if self.clusters.get(cluster_identifier) is answer:
                del self.clusters[cluster_identifier]

        begin(answer, "status", "rds_cluster", "delete", on_end=gone)
        return answer

    def delete_subnet_group(self, subnet_name):
        users = [
            c.db_cluster_identifier
            for c in self.clusters.values()
            if getattr(c, "db_subnet_group_name", None) == subnet_name
        ] + [
            d.db_instance_identifier
            for d in self.databases.values()
            # An instance's `db_subnet_group_name` is write-only in moto.
            if d.__dict__.get("_db_subnet_group_name") == subnet_name
        ]
        if users:
            raise RDSClientError(
                "InvalidDBSubnetGroupStateFault",
                f"Cannot delete the subnet group '{subnet_name}' because at least one "
                f"database instance or cluster is still using it ({', '.join(users)}).",
            )
        return original_delete_subnet_group(self, subnet_name)

    def create_global_cluster(self, *args, **kwargs):
        group = original_create_global(self, *args, **kwargs)
        begin(group, "status", "rds_global_cluster", "create")
        return group

    def modify_global_cluster(self):
        # ModifyGlobalCluster exists only through rds.py's patch.
        gid = (self._get_param("GlobalClusterIdentifier") or "").lower()
        group = self.global_backend.global_clusters.get(gid)
        if group is not None and group.status != "available":
            raise not_available(
                "InvalidGlobalClusterStateFault", "Global cluster", gid, group.status
            )
        before = group.engine_version if group is not None else None
        answer = original_modify_global(self)
        # An engine upgrade runs for the table's duration; a change of
        # deletion protection alone is immediate.
        if group is not None and group.engine_version != before:
            # The primary and every secondary are upgraded with it (Aurora
            # User Guide, major version upgrades of global databases).
            for obj in [group, *group.members]:
                begin(obj, "status", "rds_global_cluster", "modify")
        return answer

    original_create_cluster = replace(RDSBackend, "create_db_cluster", create_db_cluster)
    original_create_instance = replace(RDSBackend, "create_db_instance", create_db_instance)
    original_modify_cluster = replace(RDSBackend, "modify_db_cluster", modify_db_cluster)
    original_modify_instance = replace(RDSBackend, "modify_db_instance", modify_db_instance)
    original_delete_instance = replace(RDSBackend, "delete_db_instance", delete_db_instance)
    original_delete_cluster = replace(RDSBackend, "delete_db_cluster", delete_db_cluster)
    original_delete_subnet_group = replace(RDSBackend, "delete_subnet_group", delete_subnet_group)
    original_create_global = replace(RDSBackend, "create_global_cluster", create_global_cluster)
    if hasattr(RDSResponse, "modify_global_cluster"):
        original_modify_global = replace(RDSResponse, "modify_global_cluster", modify_global_cluster)


# Request parameters that say which object and how, not what to change.
_MODIFY_ENVELOPE = {"Action", "Version", "ReplicationGroupId", "ApplyImmediately"}


def _elasticache():
    from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
    from moto.elasticache.responses import ElastiCacheResponse

    from .deferred import REPLICATION_GROUP_DEFERRED
    from .elasticache import _error

    timed(ReplicationGroup, "status")

    def response_modify_replication_group(self):
        # The backend call does not see ApplyImmediately: decide here
        # whether anything applies now, as _immediate does for RDS.
        now = self._get_bool_param("ApplyImmediately") is True or any(
            name not in _MODIFY_ENVELOPE and name.split(".")[0] not in REPLICATION_GROUP_DEFERRED
            for name in self.querystring
        )
        backend = self.elasticache_backend
        backend._forge_modify_now = now
        try:
            return original_response_modify(self)
        finally:
            backend._forge_modify_now = True

    def create_replication_group(self, **kw):
        group = original_create(self, **kw)
        begin(group, "status", "elasticache_replication_group", "create")
        return group

    def modify_replication_group(self, replication_group_id, *args, **kwargs):
        group = self.replication_groups.get(replication_group_id)
        if group is not None and group.status != "available":
            raise _error(
                "InvalidReplicationGroupState",
                f"Replication group {replication_group_id} must be in available state "
                f"(it is {group.status}).",
            )
        answer = original_modify(self, replication_group_id, *args, **kwargs)
        if getattr(self, "_forge_modify_now", True):
            begin(answer, "status", "elasticache_replication_group", "modify")
        return answer

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = self.replication_groups.get(replication_group_id)
        if group is not None and group.status != "available":
            raise _error(
                "InvalidReplicationGroupState",
                f"Replication group {replication_group_id} is {group.status}.",
            )
        answer = original_delete(self, replication_group_id, retain_primary_cluster)
        # The delete patch removes a deleting group on the second describe
        # that sees it; hold it back until the deletion's time is up.
        pending = getattr(self, "_forge_deleting", set())
        pending.discard(replication_group_id)
        begin(
            answer,
            "status",
            "elasticache_replication_group",
            "delete",
            on_end=lambda: pending.add(replication_group_id),
        )
        return answer

    original_create = replace(ElastiCacheBackend, "create_replication_group", create_replication_group)
    original_modify = replace(ElastiCacheBackend, "modify_replication_group", modify_replication_group)
    original_delete = replace(ElastiCacheBackend, "delete_replication_group", delete_replication_group)
    original_response_modify = replace(
        ElastiCacheResponse, "modify_replication_group", response_modify_replication_group
    )


def _ecs():
    """A new deployment is IN_PROGRESS (no task running yet) for the
    rollout's duration, then COMPLETED with every task running."""
    from moto.ecs.models import EC2ContainerServiceBackend

    class Rollout:
        """Stands for the service in the phase registry (a moto Service
        is replaced by a new object on CreateService with the same name)."""

    def roll_out(service):
        done = {
            "running": service.running_count,
            "deployments": [
                (d, d.get("runningCount"), d.get("rolloutState"), d.get("rolloutStateReason"))
                for d in service.deployments
            ],
        }
        service.running_count = 0
        service.pending_count = service.desired_count
        for d in service.deployments:
            d.update(
                runningCount=0,
                pendingCount=service.desired_count,
                rolloutState="IN_PROGRESS",
                rolloutStateReason="ECS deployment in progress.",
            )

        def completed():
            service.running_count = done["running"]
            service.pending_count = 0
            for d, running, state, reason in done["deployments"]:
                d.update(
                    runningCount=running,
                    pendingCount=0,
                    rolloutState=state,
                    rolloutStateReason=reason,
                )

        begin(Rollout(), "rollout", "ecs_deployment", "rollout", on_end=completed)

    def create_service(self, *args, **kwargs):
        service = original_create(self, *args, **kwargs)
        roll_out(service)
        return service

    def update_service(self, service_properties):
        service = original_update(self, service_properties)
        roll_out(service)
        return service

    original_create = replace(EC2ContainerServiceBackend, "create_service", create_service)
    original_update = replace(EC2ContainerServiceBackend, "update_service", update_service)
