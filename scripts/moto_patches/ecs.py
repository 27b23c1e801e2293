"""ECS: services that settle and keep their deployment settings."""

from ._patching import patch, replace


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
    `enableECSManagedTags` (a spec setting them re-plans forever). After the
    patch a service reaches steady state at once, as on AWS once its tasks
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
        return result

    original_create = replace(EC2ContainerServiceBackend, "create_service", create_service)
    original_update = replace(EC2ContainerServiceBackend, "update_service", update_service)
    original_response_create = replace(
        EC2ContainerServiceResponse, "create_service", response_create_service
    )
