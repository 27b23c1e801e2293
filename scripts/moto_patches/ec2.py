"""EC2: filter wildcards, security group rule descriptions, NAT gateway
Elastic IPs."""

from ._patching import patch, replace


@patch
def patch_ec2_filter_brackets_literal():
    """EC2 API Reference, Filter (the `Filter.N` of DescribeSubnets,
    DescribeVpcs, ...) and the EC2 User Guide's "List and filter your
    resources": in filter values `*` and `?` are the wildcards; every other
    character is literal. moto matches with Python's fnmatch, so `[` and `]` start a
    character class and a tag value like `subnet["us-east-1a"]` (forge's
    `forge:address`) matches nothing. After the patch `[` is literal."""
    import fnmatch as real

    import moto.ec2.utils as ec2_utils

    def aws_glob(pattern):
        out = []
        i = 0
        while i < len(pattern):
            # `[?]` / `[*]` are how moto itself escapes `\?` and `\*`.
            if pattern.startswith("[?]", i) or pattern.startswith("[*]", i):
                out.append(pattern[i : i + 3])
                i += 3
            elif pattern[i] == "[":
                out.append("[[]")
                i += 1
            else:
                out.append(pattern[i])
                i += 1
        return "".join(out)

    class AwsFnmatch:
        @staticmethod
        def fnmatch(name, pattern):
            return real.fnmatch(name, aws_glob(pattern))

        @staticmethod
        def translate(pattern):
            return real.translate(aws_glob(pattern))

    replace(ec2_utils, "fnmatch", AwsFnmatch)


@patch
def patch_ec2_group_rule_descriptions():
    """EC2 API Reference, DescribeSecurityGroupRules: each
    SecurityGroupRule carries its `Description`, whether the rule's peer is
    a CIDR or another security group (`ReferencedGroupInfo`). moto drops the
    description of a rule that references a group (DescribeSecurityGroups
    keeps it in UserIdGroupPairs). The rule's description falls back to the
    referenced group pair's."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self):
        return self.ip_range.get("Description") or self.source_group.get("Description")

    replace(SecurityGroupRule, "description", property(description))


@patch
def patch_ec2_nat_gateway_delete_releases_eip():
    """EC2 API Reference, DeleteNatGateway: "Deleting a public NAT gateway
    disassociates its Elastic IP address, but does not release the address
    from your account." moto leaves the address associated with the
    gateway's network interface, so no later NAT gateway can use it
    (`Resource.AlreadyAssociated`). The patch disassociates it."""
    from moto.ec2.models import EC2Backend

    def delete_nat_gateway(self, nat_gateway_id):
        nat_gw = original(self, nat_gateway_id)
        eni = getattr(nat_gw, "_eni", None)
        for eip in list(self.addresses):
            if eni is not None and eip.eni is eni:
                self.disassociate_address(address=eip.public_ip)
        return nat_gw

    original = replace(EC2Backend, "delete_nat_gateway", delete_nat_gateway)
