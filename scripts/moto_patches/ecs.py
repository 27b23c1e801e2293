"""ECS: services that settle and keep their deployment settings."""

from ._patching import patch, replace


# ECS API Reference, DeploymentConfiguration: a rolling-update service's
# maximumPercent defaults to 200 and minimumHealthyPercent to 100; the
# deployment circuit breaker is off unless asked for.
DEPLOYMENT_DEFAULTS = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


@patch
def patch_ecs_service_rollouts():
    """ECS API Reference, DescribeServices / CreateService / UpdateService:
    once its tasks are healthy a service has one PRIMARY deployment with
    rolloutState COMPLETED, runningCount = desiredCount, on the service's
    task definition (an ARN), and CreateService's
    deploymentConfiguration, healthCheckGracePeriodSeconds,
    enableExecuteCommand and enableECSManagedTags are described back.
    Gaps: an ECS service's deployment stays `IN_PROGRESS` with 0 tasks
    running forever (so anything waiting for the rollout waits forever), an
    UpdateService to a new task definition leaves the deployment on the old
    one, and CreateService drops `deploymentConfiguration`,
    `healthCheckGracePeriodSeconds`, `enableExecuteCommand` and
    `enableECSManagedTags` (a spec setting them re-plans forever), and
    describes no `deploymentConfiguration` at all when none was given (AWS
    describes its defaults). After the patch a service reaches steady state
    at once, as on AWS once its tasks
    are healthy: one PRIMARY deployment, `COMPLETED`, running = desired, on
    the service's task definition (as an ARN); the dropped settings are
    stored and described."""
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse
    from moto.core.utils import utcnow

    def settle(backend, service):
        if service.task_definition:
            service.task_definition = backend.describe_task_definition(
                service.task_definition
            ).arn
        service.running_count = service.desired_count
        service.pending_count = 0
        for deployment in service.deployments:
            deployment.update(
                desiredCount=service.desired_count,
                runningCount=service.desired_count,
                pendingCount=0,
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
                taskDefinition=service.task_definition,
                updatedAt=utcnow(),
            )

    stored = {
        "deploymentConfiguration": "deployment_configuration",
        "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
        "enableExecuteCommand": "enable_execute_command",
        "enableECSManagedTags": "enable_ecs_managed_tags",
    }

    def create_service(self, *args, **kwargs):
        service = original_create(self, *args, **kwargs)
        settle(self, service)
        return service

    def update_service(self, service_properties):
        # `update_service` pops what it reads, so keep a copy for settle().
        service = original_update(self, dict(service_properties))
        settle(self, service)
        return service

    def response_create_service(self):
        result = original_response_create(self)
        service = self.ecs_backend.services[
            f"{self.ecs_backend._get_cluster(self._get_param('cluster', 'default')).name}"
            f":{self._get_param('serviceName')}"
        ]
        for param, attr in stored.items():
            value = self._get_param(param)
            if value is not None:
                setattr(service, attr, value)
        # A rolling-update (ECS controller) service describes its deployment
        # settings with AWS's defaults when CreateService gave none.
        controller = (self._get_param("deploymentController") or {}).get("type", "ECS")
        if controller == "ECS":
            given = self._get_param("deploymentConfiguration") or {}
            service.deployment_configuration = {**DEPLOYMENT_DEFAULTS, **given}
        return result

    original_create = replace(EC2ContainerServiceBackend, "create_service", create_service)
    original_update = replace(EC2ContainerServiceBackend, "update_service", update_service)
    original_response_create = replace(
        EC2ContainerServiceResponse, "create_service", response_create_service
    )


FAILING_IMAGE_MARK = "forge-fail-rollout"
"""A container image whose name contains this never starts in the
emulator: its deployment fails (documented in docs/testing.md)."""


@patch
def patch_ecs_failing_rollouts():
    """ECS Developer Guide, "How the Amazon ECS deployment circuit breaker
    detects failures": when a deployment's tasks fail to start, the circuit
    breaker sets the deployment's rolloutState to FAILED with a
    rolloutStateReason, and the service's events say why (ECS API
    Reference, Deployment: rolloutState COMPLETED | FAILED | IN_PROGRESS).
    moto starts no tasks, so no deployment ever fails. After the patch a
    deployment whose task definition has a container image named with
    `forge-fail-rollout` (an image that cannot be pulled) fails: FAILED, 0
    running, `failedTasks` = desired, reason "ECS deployment circuit
    breaker: tasks failed to start.", and a service event naming the
    deployment. Without rollback the failed deployment stays the primary
    one. With `deploymentCircuitBreaker = {enable: true, rollback: true}`,
    an UpdateService whose deployment fails is rolled back "to the last
    deployment that completed successfully" (DeploymentCircuitBreaker,
    rollback): the failed deployment stays listed, FAILED and INACTIVE
    (its tasks stopped), and a new PRIMARY deployment on the previous task
    definition completes; the service's task definition is the previous
    one again and its events say it rolled back. A CreateService has no
    completed deployment to return to: its deployment just fails."""
    from moto.core.utils import utcnow
    from moto.ecs.models import EC2ContainerServiceBackend

    def failing(backend, service):
        if not service.task_definition:
            return False
        definition = backend.describe_task_definition(service.task_definition)
        return any(
            FAILING_IMAGE_MARK in (c.get("image") or "")
            for c in definition.container_definitions
        )

    def fail(service):
        service.running_count = 0
        service.pending_count = 0
        for deployment in service.deployments:
            if deployment.get("status") != "PRIMARY":
                continue
            deployment.update(
                runningCount=0,
                pendingCount=0,
                failedTasks=service.desired_count,
                rolloutState="FAILED",
                rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
                updatedAt=utcnow(),
            )
            service.events.insert(
                0,
                {
                    "id": deployment["id"],
                    "createdAt": utcnow(),
                    "message": f"(service {service.name}) (deployment {deployment['id']}) "
                    "deployment failed: tasks failed to start.",
                },
            )

    def rolls_back(service):
        breaker = (service.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
        return bool(breaker.get("enable")) and bool(breaker.get("rollback"))

    def roll_back(service, last):
        """A new PRIMARY deployment on `last` (the deployment that
        completed before the failed one), completed."""
        failed = next(d for d in service.deployments if d.get("status") == "PRIMARY")
        if failed["id"] == last["id"]:
            # moto reuses the deployment dict on UpdateService: the failed
            # deployment is a new one on AWS.
            failed["id"] = new_deployment_id()
        failed["status"] = "INACTIVE"
        now = utcnow()
        rollback = {
            **last,
            "id": new_deployment_id(),
            "status": "PRIMARY",
            "desiredCount": service.desired_count,
            "runningCount": service.desired_count,
            "pendingCount": 0,
            "failedTasks": 0,
            "rolloutState": "COMPLETED",
            "rolloutStateReason": "ECS deployment circuit breaker: rolling back to "
            f"deploymentId {last['id']}.",
            "createdAt": now,
            "updatedAt": now,
        }
        service.deployments = [rollback, failed]
        service.task_definition = last["taskDefinition"]
        service.running_count = service.desired_count
        service.pending_count = 0
        service.events.insert(
            0,
            {
                "id": rollback["id"],
                "createdAt": now,
                "message": f"(service {service.name}) rolling back to deployment {last['id']}.",
            },
        )

    def new_deployment_id():
        from moto.moto_api._internal import mock_random

        return f"ecs-svc/{mock_random.randint(0, 32**12)}"

    def create_service(self, *args, **kwargs):
        service = original_create(self, *args, **kwargs)
        if failing(self, service):
            fail(service)
        return service

    def update_service(self, service_properties):
        cluster = service_properties.get("cluster", "default")
        name = (service_properties.get("service") or "").split("/")[-1]
        before = self.services.get(f"{self._get_cluster(cluster).name}:{name}")
        last = None
        if before is not None:
            # Deployments replaced earlier are gone from DescribeServices.
            before.deployments = [d for d in before.deployments if d.get("status") == "PRIMARY"]
            last = next(
                (dict(d) for d in before.deployments if d.get("rolloutState") == "COMPLETED"),
                None,
            )
        service = original_update(self, service_properties)
        if failing(self, service):
            fail(service)
            if last is not None and rolls_back(service):
                roll_back(service, last)
        return service

    original_create = replace(EC2ContainerServiceBackend, "create_service", create_service)
    original_update = replace(EC2ContainerServiceBackend, "update_service", update_service)
