//! ARN shapes: how the tag index maps an ARN back to a kind and an id.
//! Each kind declares its own ([`crate::kind::Kind::ARN`]).

/// How a kind's id is read from its ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFrom {
    /// The resource part after the shape's prefix (`vpc/vpc-1` -> `vpc-1`).
    Rest,
    /// The whole ARN (kinds whose id is their ARN).
    Arn,
    /// The rest without the `:*` some log group ARNs end with.
    LogGroup,
}

/// One ARN shape: the service part, the start of the resource part, the
/// kind, and where the id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArnShape {
    /// The ARN's service part (`ec2`, `elasticloadbalancing`).
    pub service: &'static str,
    /// The start of the resource part (`vpc/`, `loadbalancer/app/`).
    pub prefix: &'static str,
    /// Where the id is.
    pub id: IdFrom,
}

impl ArnShape {
    /// A shape whose id is the rest of the resource part.
    pub const fn rest(service: &'static str, prefix: &'static str) -> Self {
        ArnShape {
            service,
            prefix,
            id: IdFrom::Rest,
        }
    }

    /// A shape whose id is the whole ARN.
    pub const fn arn(service: &'static str, prefix: &'static str) -> Self {
        ArnShape {
            service,
            prefix,
            id: IdFrom::Arn,
        }
    }
}
