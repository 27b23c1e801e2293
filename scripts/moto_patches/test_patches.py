#!/usr/bin/env python3
"""Proves every emulator patch needed, and that it behaves as AWS documents.

Each patch in scripts/moto_patches has one check below: AWS calls through
boto3 (it comes with moto, so the venv's python runs this with nothing
else) that assert what the AWS API reference documents. Every check runs
twice:

- on one emulator with every patch applied, where it must pass;
- on an emulator started with `--skip-patch <its patch>`, where it must
  fail (the gap is real, and this check is what catches it).

Each emulator is the launcher (its `main`, with `--skip-patch NAME` for a
negative run) on a free 127.0.0.1 port, in a process forked from this one
after moto was imported once. Checks run a few at a time
(FORGE_PATCH_TEST_JOBS, default 4). Exits non-zero when a check fails on
the patched emulator, passes without its patch, or a patch has no check.

The time-scaled mode (`--time-scale`, realtime.py) and the rate limits
(harness_app.py) have checks of their own (TIMED_CHECKS): each must pass on
an emulator started with TIMED_ARGS and fail on a default one.

    $(scripts/emulator-venv) scripts/moto_patches/test_patches.py [NAME...]
"""

import concurrent.futures
import faulthandler
import importlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
# Run as a script, sys.path[0] is this directory: import the package from
# its parent instead, so service module names never shadow anything.
sys.path[0:1] = [str(HERE.parent)]

REGION = "us-east-1"
SESSION = boto3.session.Session()
CLIENTS_LOCK = threading.Lock()
LOGS = None  # the emulators' stderr, a temporary directory made by main()
CHECKS = {}
TIMES = {}  # check name -> seconds on the patched emulator
STARTS = []  # seconds each unpatched emulator took to answer once forked


def check(patch_name):
    """Registers a check proving `patch_name`."""

    def register(fn):
        CHECKS[patch_name] = fn
        return fn

    return register


# moto modules the patches touch: imported once in this process before the
# emulators are forked from it, so 19 emulators cost one moto import.
PRELOAD = (
    "werkzeug.serving",
    "moto.moto_server.werkzeug_app",
    "moto.ec2.models",
    "moto.ec2.utils",
    "moto.s3.responses",
    "moto.rds.models",
    "moto.rds.responses",
    "moto.elasticache.models",
    "moto.elasticache.responses",
    "moto.ecs.models",
    "moto.ecs.responses",
    "moto.elbv2.models",
    "moto.wafv2.models",
    "moto.resourcegroupstaggingapi.models",
    "botocore.parsers",
    "botocore.serialize",
)


class Emulator:
    """The launcher (scripts/moto_launcher.py, its own `main` with the same
    command line) in a process forked from this one, on a free port; stopped
    by closing its stdin. Fork every emulator before starting threads; then
    `ready()` waits until it answers."""

    def __init__(self, skip=(), extra=()):
        import moto_launcher

        self.skip = tuple(skip)
        self.clients = {}
        argv = ["moto_launcher.py", "--host", "127.0.0.1", "--port", "0", *extra]
        for name in skip:
            argv += ["--skip-patch", name]
        self.argv = argv
        self.log = LOGS / f"emulator-{len(list(LOGS.iterdir()))}.log"
        stdin_r, self.stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        log = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        # Nothing buffered may be written twice (by the emulator too).
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # the emulator
            try:
                os.dup2(stdin_r, 0)
                os.dup2(stdout_w, 1)
                os.dup2(log, 2)
                # Only the emulator's own pipes: a sibling holding another
                # emulator's stdin would keep that one alive.
                os.closerange(3, 4096)
                sys.argv = argv
                moto_launcher.main()
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
            os._exit(code)
        os.close(stdin_r)
        os.close(stdout_w)
        os.close(log)
        self.stdout = os.fdopen(stdout_r)
        self.port = None
        self.starting = threading.Lock()
        self.stopped = False

    def ready(self):
        """Waits for the port line and for HTTP answers. Checks sharing the
        patched emulator call this at once: one reads the line, the others
        wait for it (two readers would leave one blocked on the pipe)."""
        with self.starting:
            if self.port is None:
                self._wait_until_answering()
        return self

    def _wait_until_answering(self):
        line = self.stdout.readline()
        if not line.startswith("FORGE_EMULATOR_LISTENING "):
            raise RuntimeError(f"launcher {self.argv} did not start: {line!r} {self.log.read_text()}")
        self.port = int(line.split()[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=5)
                return
            except Exception:
                if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                    raise RuntimeError(f"launcher exited before answering: {self.log.read_text()}")
                time.sleep(0.05)

    def client(self, service, region=REGION, **config):
        # Clients are thread-safe and costly to build (the service model is
        # parsed each time): one per service, region and settings.
        key = (service, region, tuple(sorted(config.items())))
        with CLIENTS_LOCK:  # a boto3 session is not thread-safe
            if key not in self.clients:
                self.clients[key] = self._client(service, region, **config)
            return self.clients[key]

    def _client(self, service, region, **config):
        return SESSION.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(
                retries={"max_attempts": 1, "mode": "standard"},
                s3={"addressing_style": "path"},
                **config,
            ),
        )

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        os.close(self.stdin_w)
        self.stdout.close()
        for _ in range(200):
            if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                return
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def expect_error(code, call, *args, **kwargs):
    """Asserts `call` fails with AWS error `code`."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{call.__name__}: expected {code}, got {got}: {e}"
        return e
    raise AssertionError(f"{call.__name__}: expected {code}, but it succeeded")


def network(emu, region=REGION):
    """A VPC with two subnets in two zones."""
    ec2 = emu.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    return ec2, vpc, subnets


# ---------------------------------------------------------------- CloudWatch


def cbor_call(emu, operation, params):
    """One CloudWatch call in the Smithy RPC v2 CBOR protocol, as the Rust
    SDK sends it (boto3 1.44 still speaks JSON to CloudWatch)."""
    import botocore.session
    from botocore.parsers import RpcV2CBORParser
    from botocore.serialize import RpcV2CBORSerializer

    model = botocore.session.get_session().get_service_model("cloudwatch")
    op = model.operation_model(operation)
    request = RpcV2CBORSerializer().serialize_to_request(params, op)
    headers = {k: v for k, v in request["headers"].items()}
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential=test/20250101/{REGION}/monitoring/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    http = urllib.request.Request(
        emu.endpoint + request["url_path"], data=request["body"], headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            status, answer, answer_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{operation}: HTTP {e.code}") from e
    assert answer_headers.get("Content-Type") == "application/cbor", answer_headers
    return RpcV2CBORParser().parse(
        {"body": answer, "headers": answer_headers, "status_code": status}, op.output_shape
    )


@check("patch_cloudwatch_rpc_v2_cbor")
def cloudwatch_cbor(emu):
    name = uid("alarm")
    cbor_call(
        emu,
        "PutMetricAlarm",
        {
            "AlarmName": name,
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/EC2",
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 80.5,
            "ComparisonOperator": "GreaterThanThreshold",
        },
    )
    alarms = cbor_call(emu, "DescribeAlarms", {"AlarmNames": [name]})["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == [name], alarms
    assert alarms[0]["Threshold"] == 80.5, alarms


# ------------------------------------------------------------------------ S3


@check("patch_s3_get_bucket_replication_rules")
def s3_replication(emu):
    s3 = emu.client("s3")
    src, dst = uid("src"), uid("dst")
    for b in (src, dst):
        s3.create_bucket(Bucket=b)
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(
        Bucket=src,
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [
                {
                    "ID": "logs",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {"Prefix": "logs/"},
                    "DeleteMarkerReplication": {"Status": "Enabled"},
                    "Destination": {"Bucket": f"arn:aws:s3:::{dst}"},
                }
            ],
        },
    )
    rule = s3.get_bucket_replication(Bucket=src)["ReplicationConfiguration"]["Rules"][0]
    assert rule["Filter"] == {"Prefix": "logs/"}, rule
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}, rule


@check("patch_s3_get_bucket_versioning_root")
def s3_versioning_root(emu):
    s3 = emu.client("s3")
    bucket = uid("versioned")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    raw = {}

    def keep(http_response, **_):
        raw["body"] = http_response.content

    s3.meta.events.register("after-call.s3.GetBucketVersioning", keep)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert b"<VersioningConfiguration" in raw["body"], raw["body"][:200]


@check("patch_s3_create_bucket_tags")
def s3_create_bucket_tags(emu):
    s3 = emu.client("s3")
    bucket = uid("tagged")
    s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"Tags": [{"Key": "forge:stack", "Value": "demo"}]},
    )
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert tags == [{"Key": "forge:stack", "Value": "demo"}], tags


@check("patch_s3_conditional_writes_atomic")
def s3_conditional_writes(emu):
    # S3 User Guide, conditional writes: of concurrent writers of one key
    # with `If-None-Match: *` exactly one wins, the others get 412. The race
    # is made likely, not left to luck: each writer completes a multipart
    # upload (a tiny request) whose assembly takes the server milliseconds
    # after its existence check, so the writers released together overlap.
    writers, rounds = 5, 4
    s3 = emu.client("s3", max_pool_connections=writers * 2)
    bucket = uid("cas")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="part", Body=b"x" * (5 * 1024 * 1024))
    for r in range(rounds):
        key = f"lock-{r}"
        uploads = []
        for _ in range(writers):
            upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            first = s3.upload_part_copy(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=1,
                CopySource={"Bucket": bucket, "Key": "part"},
            )["CopyPartResult"]["ETag"]
            last = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=2, Body=b"end")["ETag"]
            uploads.append((upload, [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": last}]))
        barrier = threading.Barrier(writers)

        def complete(upload):
            upload_id, parts = upload
            barrier.wait()
            try:
                s3.complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=upload_id,
                    MultipartUpload={"Parts": parts}, IfNoneMatch="*",
                )
                return True
            except ClientError as e:
                assert e.response["Error"]["Code"] in ("PreconditionFailed", "412"), e
                return False

        with concurrent.futures.ThreadPoolExecutor(writers) as pool:
            winners = sum(pool.map(complete, uploads))
        assert winners == 1, f"round {r}: {winners} writers won"


# ----------------------------------------------------------------------- EC2


@check("patch_ec2_filter_brackets_literal")
def ec2_brackets(emu):
    ec2, vpc, subnets = network(emu)
    address = 'subnet["us-east-1a"]'
    ec2.create_tags(Resources=[subnets[0]], Tags=[{"Key": "forge:address", "Value": address}])
    found = ec2.describe_subnets(
        Filters=[{"Name": "tag:forge:address", "Values": [address]}, {"Name": "vpc-id", "Values": [vpc]}]
    )["Subnets"]
    assert [s["SubnetId"] for s in found] == [subnets[0]], found


@check("patch_ec2_group_rule_descriptions")
def ec2_rule_descriptions(emu):
    ec2, vpc, _ = network(emu)
    app = ec2.create_security_group(GroupName=uid("app"), Description="app", VpcId=vpc)["GroupId"]
    alb = ec2.create_security_group(GroupName=uid("alb"), Description="alb", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "UserIdGroupPairs": [{"GroupId": alb, "Description": "From the ALB"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [app]}])[
        "SecurityGroupRules"
    ]
    referencing = [r for r in rules if r.get("ReferencedGroupInfo", {}).get("GroupId") == alb]
    assert [r.get("Description") for r in referencing] == ["From the ALB"], rules


@check("patch_ec2_nat_gateway_delete_releases_eip")
def ec2_nat_eip(emu):
    ec2, vpc, subnets = network(emu)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=alloc)["NatGateway"]
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    address = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert "AssociationId" not in address, address
    # The freed address serves the gateway that replaces the first one.
    ec2.create_nat_gateway(SubnetId=subnets[1], AllocationId=alloc)


# ---------------------------------------------------------------- ElastiCache


def cache_subnet_group(emu, subnets):
    ec = emu.client("elasticache")
    name = uid("cache-subnets")
    ec.create_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="cache", SubnetIds=subnets
    )
    return ec, name


def replication_group(ec, subnet_group, clusters=1, **extra):
    gid = uid("rg")
    ec.create_replication_group(
        ReplicationGroupId=gid,
        ReplicationGroupDescription="cache",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=clusters,
        CacheSubnetGroupName=subnet_group,
        **extra,
    )
    return gid


def delete_replication_group(ec, gid, **extra):
    """Deletes a group and waits until it is gone, as a caller of AWS does."""
    ec.delete_replication_group(ReplicationGroupId=gid, **extra)
    for _ in range(10):
        try:
            ec.describe_replication_groups(ReplicationGroupId=gid)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ReplicationGroupNotFoundFault":
                return
            raise
    raise AssertionError(f"replication group {gid} never went away")


@check("patch_elasticache_deletes")
def elasticache_deletes(emu):
    _, _, subnets = network(emu)
    ec, group_name = cache_subnet_group(emu, subnets)
    gid = replication_group(ec, group_name)
    # DeleteCacheSubnetGroup: CacheSubnetGroupInUse while a group uses it.
    expect_error("CacheSubnetGroupInUse", ec.delete_cache_subnet_group, CacheSubnetGroupName=group_name)
    ec.delete_replication_group(ReplicationGroupId=gid)
    # Deleting, then gone.
    status = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["Status"]
    assert status == "deleting", status
    expect_error("ReplicationGroupNotFoundFault", ec.describe_replication_groups, ReplicationGroupId=gid)
    ec.delete_cache_subnet_group(CacheSubnetGroupName=group_name)
    expect_error(
        "CacheSubnetGroupNotFoundFault", ec.delete_cache_subnet_group, CacheSubnetGroupName=group_name
    )


@check("patch_elasticache_replication_group_details")
def elasticache_members(emu):
    _, _, subnets = network(emu)
    ec, group_name = cache_subnet_group(emu, subnets)
    gid = replication_group(ec, group_name, clusters=2, EngineVersion="7.1")

    def members():
        return [
            c
            for c in ec.describe_cache_clusters()["CacheClusters"]
            if c.get("ReplicationGroupId") == gid
        ]

    found = members()
    assert len(found) == 2, found
    assert {(c["EngineVersion"], c["CacheSubnetGroupName"]) for c in found} == {
        ("7.1.0", group_name)
    }, found
    ec.modify_replication_group(ReplicationGroupId=gid, EngineVersion="7.2", ApplyImmediately=True)
    assert {c["EngineVersion"] for c in members()} == {"7.2.0"}
    ec.increase_replica_count(ReplicationGroupId=gid, NewReplicaCount=2, ApplyImmediately=True)
    assert len(members()) == 3
    snapshot = uid("final")
    delete_replication_group(ec, gid, FinalSnapshotIdentifier=snapshot)
    assert ec.describe_snapshots(SnapshotName=snapshot)["Snapshots"], "no final snapshot"
    assert members() == []


@check("patch_elasticache_modify_subnet_group")
def elasticache_modify_subnet_group(emu):
    _, _, subnets = network(emu)
    ec, name = cache_subnet_group(emu, subnets[:1])
    ec.modify_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="moved", SubnetIds=subnets[1:]
    )
    group = ec.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"][0]
    assert group["CacheSubnetGroupDescription"] == "moved", group
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == subnets[1:], group


@check("patch_elasticache_parameter_groups")
def elasticache_parameter_groups(emu):
    _, _, subnets = network(emu)
    ec, subnet_group = cache_subnet_group(emu, subnets)
    name = uid("params")
    ec.create_cache_parameter_group(
        CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="app"
    )
    expect_error(
        "InvalidParameterValue",
        ec.create_cache_parameter_group,
        CacheParameterGroupName=uid("params"),
        CacheParameterGroupFamily="redis99",
        Description="no such family",
    )
    ec.modify_cache_parameter_group(
        CacheParameterGroupName=name,
        ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
            {"ParameterName": "timeout", "ParameterValue": "300"},
        ],
    )
    user = ec.describe_cache_parameters(CacheParameterGroupName=name, Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in user} == {
        "maxmemory-policy": "allkeys-lru",
        "timeout": "300",
    }, user
    # Unknown names and values outside the documented set are refused.
    for bad in ({"ParameterName": "no-such-parameter", "ParameterValue": "1"},
                {"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"}):
        expect_error(
            "InvalidParameterValue",
            ec.modify_cache_parameter_group,
            CacheParameterGroupName=name,
            ParameterNameValues=[bad],
        )
    ec.reset_cache_parameter_group(
        CacheParameterGroupName=name, ParameterNameValues=[{"ParameterName": "timeout"}]
    )
    user = ec.describe_cache_parameters(CacheParameterGroupName=name, Source="user")["Parameters"]
    assert [p["ParameterName"] for p in user] == ["maxmemory-policy"], user
    # In use by a replication group: InvalidCacheParameterGroupState.
    gid = replication_group(ec, subnet_group, CacheParameterGroupName=name)
    expect_error(
        "InvalidCacheParameterGroupState", ec.delete_cache_parameter_group, CacheParameterGroupName=name
    )
    delete_replication_group(ec, gid)
    ec.delete_cache_parameter_group(CacheParameterGroupName=name)
    expect_error(
        "CacheParameterGroupNotFound",
        ec.describe_cache_parameter_groups,
        CacheParameterGroupName=name,
    )


# ----------------------------------------------------------------------- RDS


def aurora(emu, region, cluster_id, global_id=None, **extra):
    rds = emu.client("rds", region)
    args = dict(DBClusterIdentifier=cluster_id, Engine="aurora-postgresql", **extra)
    if global_id:
        args["GlobalClusterIdentifier"] = global_id
    cluster = rds.create_db_cluster(**args)["DBCluster"]
    return rds, cluster["DBClusterArn"]


def global_cluster(rds, gid):
    # moto ignores DescribeGlobalClusters' identifier filter: pick it out.
    found = rds.describe_global_clusters(GlobalClusterIdentifier=gid)["GlobalClusters"]
    return next(g for g in found if g["GlobalClusterIdentifier"] == gid)


@check("patch_rds_global_cluster_membership")
def rds_global_membership(emu):
    east = emu.client("rds", "us-east-1")
    gid = uid("global")
    east.create_global_cluster(GlobalClusterIdentifier=gid, Engine="aurora-postgresql")
    primary, secondary = uid("primary"), uid("secondary")
    _, primary_arn = aurora(
        emu, "us-east-1", primary, gid, MasterUsername="admin", MasterUserPassword="secret-password-1"
    )
    west, secondary_arn = aurora(emu, "us-west-2", secondary, gid)

    def members():
        group = global_cluster(east, gid)
        return sorted(m["DBClusterArn"] for m in group["GlobalClusterMembers"])

    assert members() == sorted([primary_arn, secondary_arn])
    # A member cannot be deleted: it must leave the global database first.
    expect_error(
        "InvalidDBClusterStateFault",
        west.delete_db_cluster,
        DBClusterIdentifier=secondary,
        SkipFinalSnapshot=True,
    )
    expect_error(
        "InvalidGlobalClusterStateFault",
        east.delete_db_cluster,
        DBClusterIdentifier=primary,
        SkipFinalSnapshot=True,
    )
    expect_error("InvalidGlobalClusterStateFault", east.delete_global_cluster, GlobalClusterIdentifier=gid)
    # RemoveFromGlobalCluster works from the secondary's region.
    west.remove_from_global_cluster(GlobalClusterIdentifier=gid, DbClusterIdentifier=secondary_arn)
    assert members() == [primary_arn]
    standalone = west.describe_db_clusters(DBClusterIdentifier=secondary)["DBClusters"][0]
    assert not standalone.get("GlobalClusterIdentifier"), standalone
    west.delete_db_cluster(DBClusterIdentifier=secondary, SkipFinalSnapshot=True)
    expect_error(
        "InvalidDBClusterStateFault",
        east.delete_db_cluster,
        DBClusterIdentifier=primary,
        SkipFinalSnapshot=True,
    )
    east.remove_from_global_cluster(GlobalClusterIdentifier=gid, DbClusterIdentifier=primary_arn)
    east.delete_db_cluster(DBClusterIdentifier=primary, SkipFinalSnapshot=True)
    east.delete_global_cluster(GlobalClusterIdentifier=gid)
    expect_error("GlobalClusterNotFoundFault", east.delete_global_cluster, GlobalClusterIdentifier=gid)


@check("patch_rds_parameter_group_resets")
def rds_parameter_resets(emu):
    rds = emu.client("rds")
    cluster_pg, db_pg = uid("cluster-params"), uid("db-params")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=cluster_pg,
        DBParameterGroupFamily="aurora-postgresql16",
        Description="cluster",
    )
    rds.create_db_parameter_group(
        DBParameterGroupName=db_pg, DBParameterGroupFamily="postgres16", Description="db"
    )
    param = {"ParameterName": "log_min_duration_statement", "ParameterValue": "100", "ApplyMethod": "immediate"}
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=cluster_pg, Parameters=[param])
    rds.modify_db_parameter_group(DBParameterGroupName=db_pg, Parameters=[param])

    def user_set(params):
        return [p for p in params if p.get("ParameterValue") == "100"]

    assert user_set(rds.describe_db_parameters(DBParameterGroupName=db_pg)["Parameters"])
    rds.reset_db_cluster_parameter_group(DBClusterParameterGroupName=cluster_pg, ResetAllParameters=True)
    rds.reset_db_parameter_group(
        DBParameterGroupName=db_pg,
        Parameters=[{"ParameterName": "log_min_duration_statement", "ApplyMethod": "immediate"}],
    )
    left = rds.describe_db_cluster_parameters(DBClusterParameterGroupName=cluster_pg)["Parameters"]
    assert not user_set(left), left
    left = rds.describe_db_parameters(DBParameterGroupName=db_pg)["Parameters"]
    assert not user_set(left), left


@check("patch_rds_global_cluster_tags")
def rds_global_tags(emu):
    rds = emu.client("rds")
    gid = uid("global")
    rds.create_global_cluster(
        GlobalClusterIdentifier=gid,
        Engine="aurora-postgresql",
        Tags=[{"Key": "forge:stack", "Value": "demo"}],
    )
    group = global_cluster(rds, gid)
    assert group.get("TagList") == [{"Key": "forge:stack", "Value": "demo"}], group


@check("patch_rds_modify_global_cluster")
def rds_modify_global_cluster(emu):
    east = emu.client("rds", "us-east-1")
    gid = uid("global")
    east.create_global_cluster(
        GlobalClusterIdentifier=gid, Engine="aurora-postgresql", EngineVersion="15.4"
    )
    primary, secondary = uid("primary"), uid("secondary")
    aurora(
        emu, "us-east-1", primary, gid, EngineVersion="15.4",
        MasterUsername="admin", MasterUserPassword="secret-password-1",
    )
    west, _ = aurora(emu, "us-west-2", secondary, gid, EngineVersion="15.4")
    # A major upgrade needs AllowMajorVersionUpgrade; no downgrades.
    expect_error(
        "InvalidParameterCombination", east.modify_global_cluster,
        GlobalClusterIdentifier=gid, EngineVersion="16.1",
    )
    expect_error(
        "InvalidParameterCombination", east.modify_global_cluster,
        GlobalClusterIdentifier=gid, EngineVersion="14.9", AllowMajorVersionUpgrade=True,
    )
    answer = east.modify_global_cluster(
        GlobalClusterIdentifier=gid, EngineVersion="16.1", AllowMajorVersionUpgrade=True,
        DeletionProtection=True,
    )["GlobalCluster"]
    assert answer["EngineVersion"] == "16.1", answer
    # Upgraded in place: the same global database, its members with it.
    group = global_cluster(east, gid)
    assert (group["EngineVersion"], group["DeletionProtection"]) == ("16.1", True), group
    assert len(group["GlobalClusterMembers"]) == 2, group
    p = east.describe_db_clusters(DBClusterIdentifier=primary)["DBClusters"][0]
    s = west.describe_db_clusters(DBClusterIdentifier=secondary)["DBClusters"][0]
    assert (p["EngineVersion"], s["EngineVersion"]) == ("16.1", "16.1"), (p, s)
    expect_error(
        "GlobalClusterNotFoundFault", east.modify_global_cluster,
        GlobalClusterIdentifier=uid("missing"), DeletionProtection=False,
    )


@check("patch_rds_modify_db_subnet_group")
def rds_modify_subnet_group(emu):
    _, _, subnets = network(emu)
    rds = emu.client("rds")
    name = uid("db-subnets")
    rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="db", SubnetIds=subnets)
    rds.modify_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="moved", SubnetIds=subnets)
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    assert group["DBSubnetGroupDescription"] == "moved", group


# The maintenance window applies every object's pending changes: checks
# that hold changes pending take this while they run, so one check's window
# never applies what another check is still asserting pending.
MAINTENANCE = threading.Lock()


def maintenance_window(emu):
    """Runs every maintenance window now (harness endpoint)."""
    request = urllib.request.Request(f"{emu.endpoint}/forge-harness/maintenance", method="POST")
    with urllib.request.urlopen(request, timeout=10) as r:
        import json

        return json.load(r)["applied"]


@check("patch_rds_deferred_modifications")
def rds_deferred(emu):
    with MAINTENANCE:
        _rds_deferred(emu)


def _rds_deferred(emu):
    rds = emu.client("rds")
    cluster, instance = uid("deferred"), uid("deferred-1")
    rds.create_db_cluster(
        DBClusterIdentifier=cluster, Engine="aurora-postgresql", EngineVersion="15.4",
        MasterUsername="admin", MasterUserPassword="secret-password-1",
    )
    rds.create_db_instance(
        DBInstanceIdentifier=instance, DBClusterIdentifier=cluster,
        Engine="aurora-postgresql", DBInstanceClass="db.r6g.large",
    )
    # Without ApplyImmediately: the class waits, the promotion tier does not.
    rds.modify_db_instance(DBInstanceIdentifier=instance, DBInstanceClass="db.r6g.xlarge", PromotionTier=3)
    rds.modify_db_cluster(DBClusterIdentifier=cluster, EngineVersion="16.1", AllowMajorVersionUpgrade=True)

    def described():
        i = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"][0]
        c = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]
        return i, c

    i, c = described()
    assert i["DBInstanceClass"] == "db.r6g.large" and i["PromotionTier"] == 3, i
    assert i.get("PendingModifiedValues") == {"DBInstanceClass": "db.r6g.xlarge"}, i
    assert c["EngineVersion"] == "15.4", c
    assert c.get("PendingModifiedValues") == {"EngineVersion": "16.1"}, c
    assert maintenance_window(emu) >= 2
    i, c = described()
    assert i["DBInstanceClass"] == "db.r6g.xlarge" and not i.get("PendingModifiedValues"), i
    assert c["EngineVersion"] == "16.1" and not c.get("PendingModifiedValues"), c
    # A pending change is applied by the next ApplyImmediately call.
    rds.modify_db_instance(DBInstanceIdentifier=instance, DBInstanceClass="db.r6g.2xlarge")
    rds.modify_db_instance(DBInstanceIdentifier=instance, PromotionTier=1, ApplyImmediately=True)
    i, _ = described()
    assert i["DBInstanceClass"] == "db.r6g.2xlarge" and i["PromotionTier"] == 1, i
    assert not i.get("PendingModifiedValues"), i


@check("patch_elasticache_deferred_modifications")
def elasticache_deferred(emu):
    with MAINTENANCE:
        _elasticache_deferred(emu)


def _elasticache_deferred(emu):
    _, _, subnets = network(emu)
    ec, group_name = cache_subnet_group(emu, subnets)
    gid = replication_group(ec, group_name, clusters=2, EngineVersion="7.1")

    def described():
        g = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]
        members = [
            c
            for c in ec.describe_cache_clusters()["CacheClusters"]
            if c.get("ReplicationGroupId") == gid
        ]
        return g, members

    # Without ApplyImmediately: the node type, the version and in-transit
    # encryption wait; the snapshot retention does not.
    ec.modify_replication_group(
        ReplicationGroupId=gid, CacheNodeType="cache.t3.small", EngineVersion="7.2",
        TransitEncryptionEnabled=True, TransitEncryptionMode="preferred",
        SnapshotRetentionLimit=3,
    )
    g, members = described()
    assert g["CacheNodeType"] == "cache.t3.micro" and g["SnapshotRetentionLimit"] == 3, g
    assert not g.get("TransitEncryptionEnabled"), g
    assert g.get("PendingModifiedValues") == {
        "TransitEncryptionEnabled": True, "TransitEncryptionMode": "preferred"
    }, g
    assert len(members) == 2, members
    for c in members:
        assert (c["CacheNodeType"], c["EngineVersion"]) == ("cache.t3.micro", "7.1.0"), c
        assert c.get("PendingModifiedValues") == {
            "CacheNodeType": "cache.t3.small", "EngineVersion": "7.2.0"
        }, c
    assert maintenance_window(emu) >= 1
    g, members = described()
    assert g["CacheNodeType"] == "cache.t3.small" and g["TransitEncryptionEnabled"], g
    assert not g.get("PendingModifiedValues"), g
    for c in members:
        assert (c["CacheNodeType"], c["EngineVersion"]) == ("cache.t3.small", "7.2.0"), c
        assert not c.get("PendingModifiedValues"), c
    # A pending change is applied by the next ApplyImmediately call.
    ec.modify_replication_group(ReplicationGroupId=gid, CacheNodeType="cache.t3.medium")
    ec.modify_replication_group(ReplicationGroupId=gid, SnapshotRetentionLimit=1, ApplyImmediately=True)
    g, members = described()
    assert g["CacheNodeType"] == "cache.t3.medium", g
    assert all(not c.get("PendingModifiedValues") for c in members), members


# ----------------------------------------------------------- Tagging API


@check("patch_tagging_api_resource_types")
def tagging_resource_types(emu):
    mark = uid("check")
    tags = [{"Key": "check", "Value": mark}]
    ec2, vpc, subnets = network(emu)
    ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tags}]
    )
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{REGION}.s3",
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": tags}],
    )
    bucket = uid("flow-logs")
    emu.client("s3").create_bucket(Bucket=bucket)
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{bucket}",
        TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": tags}],
    )
    emu.client("rds").create_db_subnet_group(
        DBSubnetGroupName=uid("db-subnets"), DBSubnetGroupDescription="db", SubnetIds=subnets, Tags=tags
    )
    emu.client("elasticache").create_cache_parameter_group(
        CacheParameterGroupName=uid("params"),
        CacheParameterGroupFamily="redis7",
        Description="tagged",
        Tags=tags,
    )
    emu.client("wafv2").create_web_acl(
        Name=uid("acl"),
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "acl",
        },
        Tags=tags,
    )
    elb = emu.client("elbv2")
    lb = elb.create_load_balancer(Name=uid("lb"), Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name=uid("tg"), Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]
    forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward, Tags=tags
    )["Listeners"][0]
    elb.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=forward,
        Tags=tags,
    )

    tagging = emu.client("resourcegroupstaggingapi")
    found = [
        r["ResourceARN"]
        for r in tagging.get_resources(TagFilters=[{"Key": "check", "Values": [mark]}])[
            "ResourceTagMappingList"
        ]
    ]
    for shape in (
        ":elastic-ip/eipalloc-",
        ":vpc-endpoint/vpce-",
        ":vpc-flow-log/fl-",
        ":subgrp:",
        ":parametergroup:",
        ":regional/webacl/",
        ":listener/app/",
        ":listener-rule/app/",
    ):
        assert any(shape in arn for arn in found), f"no {shape} in {found}"
    # AWS's type names: a listener of an ALB is `elasticloadbalancing:listener/app`.
    by_type = tagging.get_resources(ResourceTypeFilters=["elasticloadbalancing:listener/app"])[
        "ResourceTagMappingList"
    ]
    assert [r["ResourceARN"] for r in by_type] == [listener["ListenerArn"]], by_type


# ----------------------------------------------------------------------- ECS


def fargate_task(ecs, family, image):
    """Registers a one-container Fargate task definition; its ARN."""
    return ecs.register_task_definition(
        family=uid(family),
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": image, "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]


@check("patch_ecs_service_rollouts")
def ecs_rollouts(emu):
    ec2, vpc, subnets = network(emu)
    sg = ec2.create_security_group(GroupName=uid("svc"), Description="svc", VpcId=vpc)["GroupId"]
    ecs = emu.client("ecs")
    cluster = uid("cluster")
    ecs.create_cluster(clusterName=cluster)
    task = fargate_task(ecs, "app", "nginx")
    ecs.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition=task,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 50},
        healthCheckGracePeriodSeconds=30,
    )
    service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
    assert service["runningCount"] == 2, service
    deployments = service["deployments"]
    assert [(d["status"], d.get("rolloutState"), d["taskDefinition"]) for d in deployments] == [
        ("PRIMARY", "COMPLETED", task)
    ], deployments
    assert service["deploymentConfiguration"]["minimumHealthyPercent"] == 50, service
    assert service["healthCheckGracePeriodSeconds"] == 30, service
    # Without deploymentConfiguration, AWS's rolling-update defaults.
    ecs.create_service(
        cluster=cluster,
        serviceName="plain",
        taskDefinition=task,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
    )
    plain = ecs.describe_services(cluster=cluster, services=["plain"])["services"][0]
    assert plain.get("deploymentConfiguration") == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }, plain


@check("patch_ecs_failing_rollouts")
def ecs_failing_rollouts(emu):
    ec2, vpc, subnets = network(emu)
    sg = ec2.create_security_group(GroupName=uid("svc"), Description="svc", VpcId=vpc)["GroupId"]
    ecs = emu.client("ecs")
    cluster = uid("cluster")
    ecs.create_cluster(clusterName=cluster)
    task = fargate_task(ecs, "app", "example/forge-fail-rollout:1")
    ecs.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition=task,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
    primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
    assert primary.get("rolloutState") == "FAILED", primary
    assert "circuit breaker" in primary.get("rolloutStateReason", ""), primary
    assert service["runningCount"] == 0, service
    assert any("deployment failed" in e["message"] for e in service.get("events", [])), service

    # An update that fails: with rollback, back on the last completed
    # deployment's task definition; without, the failed deployment stays.
    good = fargate_task(ecs, "good", "nginx")
    for name, rollback in (("back", True), ("stuck", False)):
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=good,
            desiredCount=2,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}
            },
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True, "rollback": rollback}
            },
        )
        ecs.update_service(cluster=cluster, service=name, taskDefinition=task)
    back, stuck = ecs.describe_services(cluster=cluster, services=["back", "stuck"])["services"]
    assert back["taskDefinition"] == good, back
    assert back["runningCount"] == 2, back
    primary, failed = back["deployments"]
    assert (primary["status"], primary["rolloutState"], primary["taskDefinition"]) == (
        "PRIMARY",
        "COMPLETED",
        good,
    ), back["deployments"]
    assert "rolling back" in primary["rolloutStateReason"], primary
    assert (failed["rolloutState"], failed["taskDefinition"]) == ("FAILED", task), failed
    assert failed["status"] != "PRIMARY" and failed["id"] != primary["id"], back["deployments"]
    assert any("rolling back" in e["message"] for e in back["events"]), back["events"]
    # The next update starts from the rolled-back service.
    ecs.update_service(cluster=cluster, service="back", desiredCount=3)
    again = ecs.describe_services(cluster=cluster, services=["back"])["services"][0]
    assert [(d["status"], d["taskDefinition"]) for d in again["deployments"]] == [
        ("PRIMARY", good)
    ], again["deployments"]
    assert stuck["taskDefinition"] == task, stuck
    assert [(d["status"], d["rolloutState"]) for d in stuck["deployments"]] == [
        ("PRIMARY", "FAILED")
    ], stuck["deployments"]


@check("patch_elbv2_default_attributes")
def elbv2_default_attributes(emu):
    ec2, vpc, subnets = network(emu)
    elb = emu.client("elbv2")
    arn = elb.create_load_balancer(Name=uid("lb")[:32], Subnets=subnets)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    }
    for key, value in [
        ("idle_timeout.timeout_seconds", "60"),
        ("routing.http2.enabled", "true"),
        ("access_logs.s3.enabled", "false"),
        ("routing.http.drop_invalid_header_fields.enabled", "false"),
    ]:
        assert attrs.get(key) == value, (key, attrs)


@check("patch_rds_publicly_accessible_default")
def rds_publicly_accessible_default(emu):
    ec2, vpc, subnets = network(emu)
    rds = emu.client("rds")
    private = uid("private")
    rds.create_db_subnet_group(
        DBSubnetGroupName=private, DBSubnetGroupDescription="no gateway", SubnetIds=subnets
    )
    cluster = uid("aurora")
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="password-1",
        DBSubnetGroupName=private,
    )
    inner = uid("inner")
    rds.create_db_instance(
        DBInstanceIdentifier=inner,
        DBClusterIdentifier=cluster,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    # The same subnets once their VPC has an internet gateway: public.
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    outer = uid("outer")
    rds.create_db_instance(
        DBInstanceIdentifier=outer,
        DBClusterIdentifier=cluster,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    seen = {
        i["DBInstanceIdentifier"]: i.get("PubliclyAccessible")
        for i in rds.describe_db_instances()["DBInstances"]
    }
    assert seen.get(inner) is False, seen
    assert seen.get(outer) is True, seen


# ------------------------------------------------- time-scaled mode (realtime)
#
# Checks of the time-scaled mode (`--time-scale`, scripts/moto_patches/
# realtime.py) and of the rate limits (harness_app.py). Each runs on an
# emulator started with TIMED_ARGS, where it must pass, and on the default
# emulator (scale 0: everything ready at once, no limits), where it must
# fail: the mode is what the check sees.

TIMED_SCALE = 0.02
TIMED_ARGS = ("--time-scale", str(TIMED_SCALE))
TIMED_CHECKS = {}


def timed_check(fn):
    TIMED_CHECKS[fn.__name__] = fn
    return fn


def wait_for(what, probe, want, timeout=30):
    """Polls `probe()` until it returns `want`; returns the values seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: never {want!r}; saw {seen}")
        try:
            value = probe()
        except ClientError as e:
            # The emulated rate limits apply to this poller too (and a busy
            # machine stretches every phase): back off as a client would.
            if e.response["Error"]["Code"] in THROTTLED:
                time.sleep(0.5)
                continue
            raise
        if not seen or seen[-1] != value:
            seen.append(value)
        if value == want:
            return seen
        # Under every service's read refill rate (durations.RATE_LIMITS),
        # and well inside the shortest phase polled (1.2 s at scale 0.02).
        time.sleep(0.12)


# The throttling answers of the emulated rate limits, by protocol.
THROTTLED = {"RequestLimitExceeded", "Throttling", "ThrottlingException"}


def counters(emu):
    with urllib.request.urlopen(f"{emu.endpoint}/forge-harness/counters", timeout=10) as r:
        import json

        return json.load(r)


@timed_check
def realtime_nat_gateway(emu):
    """EC2 User Guide, NAT gateways: pending -> available; deleting ->
    deleted. EC2 API Reference, DeleteSubnet: DependencyViolation while a
    network interface is in the subnet; ReleaseAddress: the address is in
    use until the gateway is deleted."""
    ec2, _, subnets = network(emu)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]
    nid = nat["NatGatewayId"]

    def state():
        return ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"]

    assert wait_for("new NAT gateway", state, "available")[0] == "pending"
    ec2.delete_nat_gateway(NatGatewayId=nid)
    assert state() == "deleting", state()
    # Asking again does not hurry the deletion.
    ec2.delete_nat_gateway(NatGatewayId=nid)
    assert state() == "deleting", state()
    expect_error("DependencyViolation", ec2.delete_subnet, SubnetId=subnets[0])
    expect_error("InvalidIPAddress.InUse", ec2.release_address, AllocationId=eip)
    wait_for("deleted NAT gateway", state, "deleted")
    ec2.release_address(AllocationId=eip)
    ec2.delete_subnet(SubnetId=subnets[0])
    refused = [r["code"] for r in counters(emu)["refused"]]
    assert "DependencyViolation" in refused and "InvalidIPAddress.InUse" in refused, refused


@timed_check
def realtime_rds(emu):
    """Aurora: the cluster is `creating`; CreateDBInstance into it answers
    InvalidDBClusterStateFault, ModifyDBCluster of a cluster that is not
    available too; the instance is `creating`, `backing-up`, `available`;
    DeleteDBSubnetGroup while a cluster uses it answers
    InvalidDBSubnetGroupStateFault; deletes pass through `deleting`, and
    a second delete meanwhile is refused ("is already being deleted")."""
    ec2, _, subnets = network(emu)
    rds = emu.client("rds")
    group = uid("dbsubnets")
    rds.create_db_subnet_group(
        DBSubnetGroupName=group, DBSubnetGroupDescription="db", SubnetIds=subnets
    )
    cid, iid = uid("cluster"), uid("writer")
    rds.create_db_cluster(
        DBClusterIdentifier=cid,
        Engine="aurora-postgresql",
        MasterUsername="forge",
        MasterUserPassword="not-a-secret-1",
        DBSubnetGroupName=group,
    )

    def cluster():
        return rds.describe_db_clusters(DBClusterIdentifier=cid)["DBClusters"][0]["Status"]

    def instance():
        found = rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [iid]}])
        return [d["DBInstanceStatus"] for d in found["DBInstances"]]

    new = dict(
        DBInstanceIdentifier=iid,
        DBClusterIdentifier=cid,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    assert cluster() == "creating", cluster()
    expect_error("InvalidDBClusterStateFault", rds.create_db_instance, **new)
    expect_error("InvalidDBSubnetGroupStateFault", rds.delete_db_subnet_group, DBSubnetGroupName=group)
    wait_for("new cluster", cluster, "available")
    rds.create_db_instance(**new)
    seen = wait_for("new instance", instance, ["available"])
    assert seen[:2] == [["creating"], ["backing-up"]], seen
    rds.modify_db_cluster(DBClusterIdentifier=cid, BackupRetentionPeriod=7, ApplyImmediately=True)
    assert cluster() == "modifying", cluster()
    expect_error(
        "InvalidDBClusterStateFault",
        rds.modify_db_cluster,
        DBClusterIdentifier=cid,
        BackupRetentionPeriod=8,
        ApplyImmediately=True,
    )
    wait_for("modified cluster", cluster, "available")
    rds.delete_db_instance(DBInstanceIdentifier=iid, SkipFinalSnapshot=True)
    assert instance() == ["deleting"], instance()
    expect_error(
        "InvalidDBInstanceState",
        rds.delete_db_instance,
        DBInstanceIdentifier=iid,
        SkipFinalSnapshot=True,
    )
    # A cluster whose instances are all deleting may be deleted.
    rds.delete_db_cluster(DBClusterIdentifier=cid, SkipFinalSnapshot=True)
    assert cluster() == "deleting", cluster()
    expect_error(
        "InvalidDBClusterStateFault",
        rds.delete_db_cluster,
        DBClusterIdentifier=cid,
        SkipFinalSnapshot=True,
    )
    expect_error("InvalidDBSubnetGroupStateFault", rds.delete_db_subnet_group, DBSubnetGroupName=group)
    wait_for("deleted instance", instance, [])
    wait_for("deleted cluster", lambda: [c["Status"] for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] == cid], [])
    rds.delete_db_subnet_group(DBSubnetGroupName=group)


@timed_check
def realtime_rds_global(emu):
    """RDS: a global database is `creating`, then `available`; an engine
    upgrade (ModifyGlobalCluster EngineVersion) makes it `modifying`, and
    a second ModifyGlobalCluster meanwhile answers
    InvalidGlobalClusterStateFault; deletion protection alone is
    immediate."""
    rds = emu.client("rds", "us-east-1")
    gid = uid("global")
    rds.create_global_cluster(
        GlobalClusterIdentifier=gid, Engine="aurora-postgresql", EngineVersion="15.4"
    )

    def status():
        return global_cluster(rds, gid)["Status"]

    assert status() == "creating", status()
    wait_for("new global cluster", status, "available")
    rds.modify_global_cluster(GlobalClusterIdentifier=gid, DeletionProtection=False)
    assert status() == "available", status()
    rds.modify_global_cluster(
        GlobalClusterIdentifier=gid, EngineVersion="16.1", AllowMajorVersionUpgrade=True
    )
    assert status() == "modifying", status()
    expect_error(
        "InvalidGlobalClusterStateFault",
        rds.modify_global_cluster,
        GlobalClusterIdentifier=gid,
        DeletionProtection=True,
    )


@timed_check
def realtime_elasticache(emu):
    """ElastiCache: a replication group is `creating`, then `available`;
    ModifyReplicationGroup of a group that is not available answers
    InvalidReplicationGroupState; a modify applied now makes it
    `modifying`; one carrying only deferred settings without
    ApplyImmediately leaves it `available`, the change pending."""
    _, _, subnets = network(emu)
    ec, group = cache_subnet_group(emu, subnets)
    gid = replication_group(ec, group)

    def status():
        return ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["Status"]

    assert status() == "creating", status()
    modify = dict(ReplicationGroupId=gid, SnapshotRetentionLimit=3, ApplyImmediately=True)
    expect_error("InvalidReplicationGroupState", ec.modify_replication_group, **modify)
    wait_for("new replication group", status, "available", timeout=60)
    ec.modify_replication_group(ReplicationGroupId=gid, CacheNodeType="cache.t4g.small")
    assert status() == "available", status()
    ec.modify_replication_group(**modify)
    assert status() == "modifying", status()
    expect_error("InvalidReplicationGroupState", ec.modify_replication_group, **modify)


@timed_check
def realtime_alb_and_ecs(emu):
    """ELBv2: a load balancer is `provisioning`, then `active`. ECS: a new
    deployment is IN_PROGRESS (no task running), then COMPLETED."""
    ec2, vpc, subnets = network(emu)
    elbv2 = emu.client("elbv2")
    arn = elbv2.create_load_balancer(Name=uid("alb"), Subnets=subnets)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]

    def lb():
        return elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]

    assert wait_for("new load balancer", lb, "active")[0] == "provisioning"
    sg = ec2.create_security_group(GroupName=uid("svc"), Description="svc", VpcId=vpc)["GroupId"]
    ecs = emu.client("ecs")
    cluster = uid("cluster")
    ecs.create_cluster(clusterName=cluster)
    task = fargate_task(ecs, "app", "nginx")
    ecs.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition=task,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
    )

    def rollout():
        service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
        return (service["deployments"][0]["rolloutState"], service["runningCount"])

    seen = wait_for("new service", rollout, ("COMPLETED", 2))
    assert seen[0] == ("IN_PROGRESS", 0), seen

    # A failing update rolled back by the circuit breaker: the rollback
    # deployment (on the previous task definition) is IN_PROGRESS first.
    failing = fargate_task(ecs, "bad", "example/forge-fail-rollout:1")
    ecs.update_service(
        cluster=cluster,
        service="web",
        taskDefinition=failing,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )

    def rollback():
        service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
        return [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]]

    seen = wait_for(
        "rollback", rollback, [("PRIMARY", "COMPLETED", task), ("INACTIVE", "FAILED", failing)]
    )
    assert seen[0][0] == ("PRIMARY", "IN_PROGRESS", task), seen


@timed_check
def rate_limits(emu):
    """EC2 throttles with RequestLimitExceeded (HTTP 503) past its
    per-action bucket (100 Describe* at once), ECS with
    ThrottlingException (HTTP 400), the query protocols (RDS) with
    Throttling (HTTP 400); the harness counts them."""
    answers = {}
    for service, call, burst in (
        ("ec2", lambda c: c.describe_vpcs(), 100),
        ("ecs", lambda c: c.list_clusters(), 50),
        ("rds", lambda c: c.describe_db_subnet_groups(), 40),
    ):
        client = emu.client(service)

        def one(_):
            if service in answers:
                return
            try:
                call(client)
            except ClientError as e:
                error = e.response["Error"]["Code"]
                answers[service] = (error, e.response["ResponseMetadata"]["HTTPStatusCode"])

        # In parallel: one caller on a loaded machine may not outrun the
        # bucket's refill.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(burst * 6)))
    assert answers == {
        "ec2": ("RequestLimitExceeded", 503),
        "ecs": ("ThrottlingException", 400),
        "rds": ("Throttling", 400),
    }, answers
    throttled = counters(emu)["throttled"]
    assert {"ec2:DescribeVpcs", "ecs:ListClusters", "rds:DescribeDBSubnetGroups"} <= set(throttled), throttled


def run_timed(emu, name, want_pass):
    emu.ready()
    try:
        TIMED_CHECKS[name](emu)
    except Exception as e:  # a check's failure, reported by name
        if want_pass:
            return f"{name}: fails in time-scaled mode: {type(e).__name__}: {e}"
        return f"ok  {name}  (at scale 0: {type(e).__name__}: {(str(e).splitlines() or [repr(e)])[0][:120]})"
    finally:
        if not want_pass:
            emu.stop()
    if want_pass:
        return None
    return f"{name}: passes at scale 0 (the check does not see the mode)"


# -------------------------------------------------------------------- driver


def helper_fails_loudly():
    """`replace` / `add` name the owner and attribute when moto moved."""
    from moto_patches import _patching

    class Backend:
        def present(self):
            pass

    try:
        _patching.replace(Backend, "vanished", lambda self: None)
    except _patching.PatchError as e:
        assert "Backend.vanished" in str(e), e
    else:
        raise AssertionError("replace of a missing method did not fail")
    try:
        _patching.add(Backend, "present", lambda self: None)
    except _patching.PatchError as e:
        assert "Backend.present" in str(e), e
    else:
        raise AssertionError("add of an existing method did not fail")


def run_patched(emu, name):
    emu.ready()
    started = time.monotonic()
    try:
        CHECKS[name](emu)
    except Exception as e:  # a check's failure, reported by name
        return f"{name}: fails on the patched emulator: {type(e).__name__}: {e}"
    TIMES[name] = time.monotonic() - started
    return None


def run_unpatched(emu, name):
    started = time.monotonic()
    emu.ready()
    STARTS.append(time.monotonic() - started)
    try:
        CHECKS[name](emu)
    except Exception as e:
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    finally:
        emu.stop()
    return f"{name}: passes with the patch skipped (the patch is not proven needed)", None


def main():
    started = time.monotonic()
    # `kill -USR1 <pid>` prints every thread's stack; a run that hangs dumps
    # them and exits after FORGE_PATCH_TEST_TIMEOUT seconds (the emulators
    # exit with it: their stdin closes).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    faulthandler.dump_traceback_later(
        int(os.environ.get("FORGE_PATCH_TEST_TIMEOUT", "900")), exit=True
    )
    import moto_patches

    helper_fails_loudly()
    all_patches = moto_patches.names()
    missing = [n for n in all_patches if n not in CHECKS]
    asked = sys.argv[1:]
    names = [n for n in asked if n not in TIMED_CHECKS] if asked else all_patches
    timed_names = [n for n in asked if n in TIMED_CHECKS] if asked else list(TIMED_CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        print(f"no check for {', '.join(unknown)}; patches: {', '.join(all_patches)}", file=sys.stderr)
        return 2
    failures = [f"{n}: no check proves it" for n in missing]
    jobs = int(os.environ.get("FORGE_PATCH_TEST_JOBS", "4"))
    # moto is imported once, here; every emulator is forked from this
    # process before any thread starts. One patched emulator serves every
    # positive check (they use names of their own, so they run side by
    # side); each negative check has an emulator of its own without its
    # patch.
    import moto_launcher

    moto_launcher.check_moto_version()
    global LOGS
    LOGS = Path(tempfile.mkdtemp(prefix="forge-patch-checks-"))
    for module in PRELOAD:
        importlib.import_module(module)
    patched = Emulator()
    unpatched = {n: Emulator(skip=[n]) for n in names}
    # One emulator per time-scaled check and mode: the rate-limit check
    # drains buckets another check would be throttled by.
    timed = {n: Emulator(extra=TIMED_ARGS) for n in timed_names}
    plain = {n: Emulator() for n in timed_names}
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            positive = [pool.submit(run_patched, patched, n) for n in names]
            negative = {n: pool.submit(run_unpatched, unpatched[n], n) for n in names}
            timed_runs = [pool.submit(run_timed, timed[n], n, True) for n in timed_names]
            timed_runs += [pool.submit(run_timed, plain[n], n, False) for n in timed_names]
            failures += [f for f in (p.result() for p in positive) if f]
            for name, future in negative.items():
                failure, reason = future.result()
                if failure:
                    failures.append(failure)
                else:
                    print(f"ok  {name}  (without it: {reason})")
            for run in timed_runs:
                result = run.result()
                if result and result.startswith("ok  "):
                    print(result)
                elif result:
                    failures.append(result)
    finally:
        for emu in [patched, *unpatched.values(), *timed.values(), *plain.values()]:
            emu.stop()
        shutil.rmtree(LOGS, ignore_errors=True)
    elapsed = time.monotonic() - started
    if failures:
        print("\n".join(["FAILED:"] + failures), file=sys.stderr)
        print(f"emulator patch checks: {len(failures)} failed in {elapsed:.1f}s", file=sys.stderr)
        return 1
    slowest = sorted(TIMES.items(), key=lambda kv: -kv[1])[:3]
    print(
        f"emulator patch checks: {len(names)} patches and {len(timed_names)} "
        f"time-scaled checks proven in {elapsed:.1f}s "
        f"({len(STARTS) + 1 + 2 * len(timed_names)} emulators, {jobs} at a time; start {min(STARTS, default=0):.1f}-{max(STARTS, default=0):.1f}s; "
        "slowest checks " + ", ".join(f"{n} {t:.1f}s" for n, t in slowest) + ")"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
