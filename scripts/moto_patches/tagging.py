"""Resource Groups Tagging API: resource types moto's GetResources leaves
out."""

from ._patching import patch, replace


@patch
def patch_tagging_api_resource_types():
    """Resource Groups Tagging API Reference, GetResources: returns the
    tagged resources of the region, across services, with AWS's ARNs. The
    types AWS documents as searchable by tag (Resource Explorer User Guide,
    "Resource types you can search for", which Tag Editor and tag-based
    resource groups share) include `ec2:elastic-ip`, `ec2:vpc-endpoint`,
    `ec2:vpc-flow-log` (ARN `vpc-flow-log/<id>`), `rds:subgrp`,
    `rds:cluster-pg`, `rds:pg`, `elasticache:parametergroup` and
    `wafv2:webacl`; moto 5.2.5 leaves all of them out (WAFv2 is outside
    moto's tagging backend altogether) and names flow logs
    `flow-logs/<id>`. The patch adds them, with their tags and AWS's ARNs,
    to each backend's listing (ElastiCache parameter groups are those kept
    by patch_elasticache_parameter_groups).

    ELBv2 listeners and listener rules are listed too, under the types that
    list documents: `elasticloadbalancing:listener/app`, `listener/net`,
    `listener/gwy` and `listener-rule/app` (the type follows the ARN's
    resource part, so an NLB listener is `listener/net`, not a bare
    `listener`; a ResourceTypeFilters value `elasticloadbalancing` matches
    them all). Note: the Resource Groups User Guide's older
    supported-resources table (2023) listed only load balancers and target
    groups for Elastic Load Balancing; the current list is followed."""
    from moto.core.resource_tagging import TaggedResource, make_tag_matcher, match_resource_type
    from moto.ec2.models import EC2Backend
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elbv2.models import ELBv2Backend
    from moto.rds.models import RDSBackend
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
    from moto.wafv2.models import wafv2_backends

    def extend(cls, extra, rename=None):
        def iter_tagged_resources(self):
            for r in original(self):
                yield rename(r) if rename else r
            yield from extra(self)

        original = replace(cls, "iter_tagged_resources", iter_tagged_resources)

    def ec2_arn(backend, type_part, rid):
        return f"arn:{backend.partition}:ec2:{backend.region_name}:{backend.account_id}:{type_part}/{rid}"

    def ec2_extra(self):
        for a in self.addresses:
            if a.allocation_id:
                yield TaggedResource(
                    ec2_arn(self, "elastic-ip", a.allocation_id),
                    dict(self.tags.get(a.allocation_id, {})),
                    "ec2:elastic-ip",
                )
        for e in self.vpc_end_points.values():
            yield TaggedResource(
                ec2_arn(self, "vpc-endpoint", e.id), dict(self.tags.get(e.id, {})), "ec2:vpc-endpoint"
            )

    def ec2_rename(r):
        if r.resource_type != "ec2:flow-logs":
            return r
        return TaggedResource(r.arn.replace(":flow-logs/", ":vpc-flow-log/"), r.tags, "ec2:vpc-flow-log", r.extra)

    def elb_type(arn, kind):
        # arn:...:listener/app/<lb>/<id>/<id> -> elasticloadbalancing:listener/app
        flavour = arn.split(":", 5)[5].split("/")[1]
        return f"elasticloadbalancing:{kind}/{flavour}"

    def elbv2_extra(self):
        for lb in self.load_balancers.values():
            for listener in lb.listeners.values():
                yield TaggedResource(
                    listener.arn,
                    self.tagging_service.get_tag_dict_for_resource(listener.arn),
                    elb_type(listener.arn, "listener"),
                )
                for rule in listener._non_default_rules.values():
                    yield TaggedResource(
                        rule.arn,
                        self.tagging_service.get_tag_dict_for_resource(rule.arn),
                        elb_type(rule.arn, "listener-rule"),
                    )

    def rds_extra(self):
        for kind, items in [
            ("rds:subgrp", self.subnet_groups),
            ("rds:cluster-pg", self.db_cluster_parameter_groups),
            ("rds:pg", self.db_parameter_groups),
        ]:
            for item in list(items.values()):
                tags = {t["Key"]: t["Value"] for t in item.get_tags()}
                yield TaggedResource(item.arn, tags, kind)

    def elasticache_extra(self):
        for group in getattr(self, "_forge_parameter_groups", {}).values():
            arn = group["ARN"]
            yield TaggedResource(
                arn, self.tagging_service.get_tag_dict_for_resource(arn), "elasticache:parametergroup"
            )

    # WAFv2 has no tagging-API listing at all: add its web ACLs to the
    # tagging backend's generator, with the same filters.
    def resources_generator(self, tag_filters=None, resource_type_filters=None, resource_arn_list=None):
        yield from original_gen(self, tag_filters, resource_type_filters, resource_arn_list)
        matcher = make_tag_matcher(tag_filters)
        if not match_resource_type("wafv2:webacl", resource_type_filters):
            return
        waf = wafv2_backends[self.account_id][self.region_name]
        for arn in list(waf.wacls):
            tags = waf.tagging_service.get_tag_dict_for_resource(arn)
            if tags and matcher(tags) and (not resource_arn_list or arn in resource_arn_list):
                yield TaggedResource(arn, tags, "wafv2:webacl")

    original_gen = replace(
        ResourceGroupsTaggingAPIBackend, "_get_resources_generator", resources_generator
    )
    extend(EC2Backend, ec2_extra, ec2_rename)
    extend(ELBv2Backend, elbv2_extra)
    extend(RDSBackend, rds_extra)
    extend(ElastiCacheBackend, elasticache_extra)
