//! IP network functions: `cidrhost`, `cidrnetmask`, `cidrsubnet`,
//! `cidrsubnets`.
//!
//! Prefixes are parsed as Terraform parses them: IPv4 octets may have
//! leading zeros (read as decimal, `010.001.0.0/24` is `10.1.0.0/24`), an
//! IPv4-mapped IPv6 prefix (`::ffff:192.168.0.0/112`) is the IPv4 prefix,
//! and host bits are ignored (`192.168.2.0/20` is `192.168.0.0/20`).

use super::{integer, string};
use hcl::Value as H;
use hcl::eval::FuncArgs;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A parsed prefix: the network address (host bits cleared) as a number,
/// its length, and the address width (32 or 128).
#[derive(Clone, Copy)]
struct Net {
    addr: u128,
    len: u32,
    bits: u32,
}

impl Net {
    fn host_mask(len: u32, bits: u32) -> u128 {
        if bits - len >= 128 {
            u128::MAX
        } else {
            (1u128 << (bits - len)) - 1
        }
    }

    fn show(addr: u128, len: u32, bits: u32) -> String {
        format!("{}/{len}", Self::show_addr(addr, bits))
    }

    fn show_addr(addr: u128, bits: u32) -> String {
        if bits == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }

    fn protocol(&self) -> &'static str {
        if self.bits == 32 { "IPv4" } else { "IPv6" }
    }
}

fn parse_v4(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u32 = p.parse().ok()?;
        if octet > 255 {
            return None;
        }
        out = (out << 8) | octet;
    }
    Some(out)
}

fn parse_prefix(text: &str) -> Result<Net, String> {
    let bad = || format!("invalid CIDR expression {text:?} (expected e.g. \"10.0.0.0/16\")");
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) || len.len() > 3 {
        return Err(bad());
    }
    let len: u32 = len.parse().map_err(|_| bad())?;
    let (mut addr, mut len, bits) = if addr.contains(':') {
        let a: Ipv6Addr = addr.parse().map_err(|_| bad())?;
        (u128::from(a), len, 128)
    } else {
        (u128::from(parse_v4(addr).ok_or_else(bad)?), len, 32)
    };
    if len > bits {
        return Err(bad());
    }
    // An IPv4-mapped IPv6 prefix is the IPv4 prefix.
    let mut bits = bits;
    if bits == 128 && len >= 96 && addr >> 32 == 0xffff {
        addr &= 0xffff_ffff;
        len -= 96;
        bits = 32;
    }
    addr &= !Net::host_mask(len, bits) & if bits == 32 { 0xffff_ffff } else { u128::MAX };
    Ok(Net { addr, len, bits })
}

pub(super) fn cidrsubnet(a: FuncArgs) -> Result<H, String> {
    let net = parse_prefix(&string(&a, 0)?)?;
    let newbits = integer(&a, 1)?;
    let netnum = integer(&a, 2)?;
    if newbits < 0 {
        return Err(format!(
            "argument 2 (newbits) must not be negative, got {newbits}"
        ));
    }
    let new_len = i64::from(net.len) + newbits;
    if new_len > i64::from(net.bits) {
        return Err(format!(
            "cannot extend prefix /{} by {newbits} bits: an {} prefix is at most /{}",
            net.len,
            net.protocol(),
            net.bits
        ));
    }
    if netnum < 0 || (newbits < 63 && netnum >= (1i64 << newbits)) {
        return Err(format!(
            "argument 3 (netnum) {netnum} does not fit in {newbits} bits (0..{})",
            (1u128 << newbits.min(127)) - 1
        ));
    }
    let new_len = new_len as u32;
    let host_bits = net.bits - new_len;
    let shifted = (netnum as u128).checked_shl(host_bits).unwrap_or(0);
    Ok(H::from(Net::show(net.addr | shifted, new_len, net.bits)))
}

pub(super) fn cidrhost(a: FuncArgs) -> Result<H, String> {
    let net = parse_prefix(&string(&a, 0)?)?;
    let hostnum = integer(&a, 1)?;
    let host_bits = net.bits - net.len;
    let size: i128 = if host_bits >= 127 {
        i128::MAX
    } else {
        1i128 << host_bits
    };
    let offset = if hostnum < 0 {
        size + i128::from(hostnum)
    } else {
        i128::from(hostnum)
    };
    if offset < 0 || offset >= size {
        return Err(format!(
            "prefix {} has no host number {hostnum}",
            Net::show(net.addr, net.len, net.bits)
        ));
    }
    Ok(H::from(Net::show_addr(
        net.addr.wrapping_add(offset as u128),
        net.bits,
    )))
}

pub(super) fn cidrnetmask(a: FuncArgs) -> Result<H, String> {
    let text = string(&a, 0)?;
    let net = parse_prefix(&text)?;
    if net.bits != 32 {
        return Err(format!("IPv6 addresses cannot have a netmask: {text}"));
    }
    let mask = !Net::host_mask(net.len, 32) as u32;
    Ok(H::from(Ipv4Addr::from(mask).to_string()))
}

pub(super) fn cidrsubnets(a: FuncArgs) -> Result<H, String> {
    let net = parse_prefix(&string(&a, 0)?)?;
    let base_end = net.addr | Net::host_mask(net.len, net.bits);
    let mut out = Vec::new();
    let mut current_end: Option<u128> = None;
    for i in 1..a.len() {
        let newbits = integer(&a, i)?;
        if newbits < 1 {
            return Err(format!(
                "argument {}: must extend prefix by at least one bit",
                i + 1
            ));
        }
        if newbits > 32 {
            return Err(format!(
                "argument {}: may not extend prefix by more than 32 bits",
                i + 1
            ));
        }
        let len = net.len + newbits as u32;
        if len > net.bits {
            return Err(format!(
                "argument {}: would extend prefix to {len} bits, which is too long for an {} address",
                i + 1,
                net.protocol()
            ));
        }
        let mask = Net::host_mask(len, net.bits);
        let start = match current_end {
            None => net.addr,
            Some(end) => {
                // The block of this size holding the previous subnet's end, then the one after it.
                let block_end = end | mask;
                match block_end.checked_add(1) {
                    Some(n) if net.bits == 128 || n <= 0xffff_ffff => n,
                    _ => u128::MAX,
                }
            }
        };
        let end = start.saturating_add(mask);
        if start == u128::MAX || end > base_end || start < net.addr {
            let prev = current_end.map_or(net.addr, |e| e);
            return Err(format!(
                "argument {}: not enough remaining address space for a subnet with a prefix of {len} bits after {}",
                i + 1,
                Net::show_addr(prev, net.bits)
            ));
        }
        out.push(H::from(Net::show(start, len, net.bits)));
        current_end = Some(end);
    }
    Ok(H::Array(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's CIDR function tests
    // (internal/lang/funcs/cidr_test.go).

    #[test]
    fn cidrhost() {
        check(&[
            (r#"cidrhost("192.168.1.0/24", 5)"#, r#""192.168.1.5""#),
            (r#"cidrhost("192.168.1.0/24", -5)"#, r#""192.168.1.251""#),
            (r#"cidrhost("192.168.1.0/24", -256)"#, r#""192.168.1.0""#),
            (r#"cidrhost("010.001.0.0/24", 6)"#, r#""10.1.0.6""#),
            (r#"cidrhost("10.0.1.0/24", -1)"#, r#""10.0.1.255""#),
            (r#"cidrhost("fd00::/64", 5)"#, r#""fd00::5""#),
            (r#"cidrhost("192.168.1.0/30", 255)"#, "ERR"),
            (r#"cidrhost("192.168.1.0/30", -255)"#, "ERR"),
            (r#"cidrhost("not-a-cidr", 6)"#, "ERR"),
            (r#"cidrhost("10.256.0.0/8", 6)"#, "ERR"),
        ]);
    }

    #[test]
    fn cidrnetmask() {
        check(&[
            (r#"cidrnetmask("192.168.1.0/24")"#, r#""255.255.255.0""#),
            (r#"cidrnetmask("192.168.1.0/32")"#, r#""255.255.255.255""#),
            (r#"cidrnetmask("0.0.0.0/0")"#, r#""0.0.0.0""#),
            (r#"cidrnetmask("010.001.0.0/24")"#, r#""255.255.255.0""#),
            (r#"cidrnetmask("not-a-cidr")"#, "ERR"),
            (r#"cidrnetmask("110.256.0.0/8")"#, "ERR"),
            (r#"cidrnetmask("1::/64")"#, "ERR"),
        ]);
    }

    #[test]
    fn cidrsubnet() {
        check(&[
            (
                r#"cidrsubnet("192.168.2.0/20", 4, 6)"#,
                r#""192.168.6.0/24""#,
            ),
            (r#"cidrsubnet("fe80::/48", 16, 6)"#, r#""fe80:0:0:6::/64""#),
            (
                r#"cidrsubnet("::ffff:192.168.0.0/112", 8, 6)"#,
                r#""192.168.6.0/24""#,
            ),
            (r#"cidrsubnet("fe80::/48", 33, 6)"#, r#""fe80::3:0:0:0/81""#),
            (r#"cidrsubnet("010.001.0.0/24", 4, 1)"#, r#""10.1.0.16/28""#),
            (r#"cidrsubnet("10.0.0.0/16", 8, 2)"#, r#""10.0.2.0/24""#),
            (r#"cidrsubnet("10.0.0.0/8", 0, 0)"#, r#""10.0.0.0/8""#),
            (r#"cidrsubnet("192.168.0.0/30", 4, 6)"#, "ERR"),
            (r#"cidrsubnet("192.168.0.0/168", 2, 16)"#, "ERR"),
            (r#"cidrsubnet("not-a-cidr", 4, 6)"#, "ERR"),
            (r#"cidrsubnet("10.256.0.0/8", 4, 6)"#, "ERR"),
            (r#"cidrsubnet("10.0.0.0/16", 8, 256)"#, "ERR"),
        ]);
    }

    #[test]
    fn cidrsubnets() {
        check(&[
            (
                r#"cidrsubnets("10.0.0.0/21", 3, 3, 3, 4, 4, 4, 7, 7, 7)"#,
                r#"["10.0.0.0/24","10.0.1.0/24","10.0.2.0/24","10.0.3.0/25","10.0.3.128/25","10.0.4.0/25","10.0.4.128/28","10.0.4.144/28","10.0.4.160/28"]"#,
            ),
            (r#"cidrsubnets("010.0.0.0/21", 3)"#, r#"["10.0.0.0/24"]"#),
            (
                r#"cidrsubnets("10.0.0.0/16", 4, 8, 4)"#,
                r#"["10.0.0.0/20","10.0.16.0/24","10.0.32.0/20"]"#,
            ),
            (
                r#"cidrsubnets("fd00::/56", 8, 8)"#,
                r#"["fd00::/64","fd00:0:0:1::/64"]"#,
            ),
            (r#"cidrsubnets("10.0.0.0/16")"#, "[]"),
            (r#"cidrsubnets("10.0.0.0/30", 1, 3)"#, "ERR"),
            (r#"cidrsubnets("10.0.0.0/8", 1, 1, 1)"#, "ERR"),
            (r#"cidrsubnets("10.0.0.0/8", 1, 0)"#, "ERR"),
            (r#"cidrsubnets("10.0.0.0/8", 1, -1)"#, "ERR"),
            (r#"cidrsubnets("fe80::/48", 1, 33)"#, "ERR"),
        ]);
    }
}
