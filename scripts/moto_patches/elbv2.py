"""ELBv2: the attributes every load balancer describes."""

from ._patching import patch, replace

# ELBv2 API Reference, LoadBalancerAttribute: the application load
# balancer attributes DescribeLoadBalancerAttributes reports, with the
# defaults AWS gives a new load balancer.
APPLICATION_DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http2.enabled": "true",
}


@patch
def patch_elbv2_default_attributes():
    """ELBv2 API Reference, DescribeLoadBalancerAttributes and
    LoadBalancerAttribute: AWS describes every attribute of a load balancer,
    with its default when it was never modified (idle_timeout 60 s, HTTP/2
    on, access logs off, invalid header fields kept). Gap: moto leaves
    `access_logs.s3.enabled` and `idle_timeout.timeout_seconds` out (and
    never had the routing ones) for a load balancer whose attributes were
    never modified, so an object made outside forge (then imported or
    migrated) reads as if those settings were unset. After the patch a new
    application load balancer describes them with AWS's defaults."""
    from moto.elbv2.models import FakeLoadBalancer

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self.type == "application":
            for key, value in APPLICATION_DEFAULTS.items():
                self.attrs.setdefault(key, value)

    original_init = replace(FakeLoadBalancer, "__init__", init)
