//! The limits `session create` puts in a session (spending, calls, fees, argument rules), parsed
//! from flags, and their description in plain words for `inspect`.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use session_sdk::protocol::{ArgumentRule, Policy, SessionUsage, SpendLimit, U256, U256_MAX};
use starknet::core::types::Felt;

use crate::cli_error::usage;
use crate::input::{
    format_time, parse_address, parse_amount, parse_duration, parse_felt, parse_time, parse_u128_amount,
};

/// Limits of a new session. Without any, the session is bounded only by its methods and expiry
/// (and can move no token value: every token is denied unless given a `--max-spend`).
#[derive(Args, Default)]
pub struct PolicyArgs {
    /// Most value of a token the session may transfer or approve, in total or per window:
    /// `<token address>:<amount | unlimited>[/<window: 1h, 1d, 7d…>]` (amounts in base units, or
    /// with 18 decimals as `0.5strk`); repeat per
    /// token, and for one token once per window (e.g. `…:100/1d` and `…:1000`: 100 a day, 1000
    /// in total). Windows are whole hours, aligned to the Unix epoch (a `1d` window is a UTC
    /// day). Tokens not listed can move nothing.
    #[arg(long = "max-spend", value_name = "TOKEN:AMOUNT[/WINDOW]")]
    max_spend: Vec<String>,
    /// Most calls the session may make in total, or per `--limits-window`.
    #[arg(long, value_name = "N")]
    max_calls: Option<u64>,
    /// The window `--max-calls` and `--fee-budget` apply to instead of the session's lifetime:
    /// `1h`, `1d`… (whole hours, aligned to the Unix epoch). E.g. `--max-calls 10 --limits-window
    /// 1h`: at most 10 calls an hour (a trading bot's rate limit).
    #[arg(long, value_name = "WINDOW", value_parser = parse_duration)]
    limits_window: Option<u64>,
    /// When the session starts, as a UTC date (`2026-12-01` or `2026-12-01T18:30:00Z`): refused
    /// before it, to the second (e.g. a subscription whose first payment is next month).
    #[arg(long, value_name = "DATE", value_parser = parse_time)]
    valid_after: Option<u64>,
    /// Most fee one session transaction may commit to: FRI (1 STRK = 10^18 FRI) or `0.5strk`.
    #[arg(long, value_name = "FRI", value_parser = parse_u128_amount)]
    max_fee: Option<u128>,
    /// Most fee all the session's transactions together may commit to (or per `--limits-window`):
    /// FRI or `2strk`.
    #[arg(long, value_name = "FRI", value_parser = parse_u128_amount)]
    fee_budget: Option<u128>,
    /// A rule on an argument of an allowed method,
    /// `<contract>:<entrypoint>:<index>:<eq|ne|in|le|le-u256|ge|ge-u256|total-le-u256>:<value[,value…]>`
    /// (calldata index from 0; `in` takes several values; `ne` refuses one value; `le`/`ge` bound
    /// a felt as an integer, `le-u256`/`ge-u256` the u256 at index, index+1 — `ge` is a slippage
    /// bound; `total-le-u256:AMOUNT[/1d]` bounds what the session's calls of the method add up to,
    /// in total or per window). Repeat to combine; the method is then allowed only when all its
    /// rules hold.
    #[arg(long = "arg-rule", value_name = "RULE")]
    arg_rules: Vec<String>,
}

impl PolicyArgs {
    /// The policy these flags describe ([`Policy::default`] when no limit was given).
    pub fn policy(&self) -> Result<Policy> {
        let mut policy = Policy {
            max_fee_per_tx: self.max_fee,
            fee_budget: self.fee_budget,
            max_calls: self.max_calls,
            spend_limits: Vec::new(),
            valid_after: self.valid_after.unwrap_or(0),
            limits_window: self.limits_window.unwrap_or(0),
        };
        if let Some(window) = self.limits_window {
            if self.max_calls.is_none() && self.fee_budget.is_none() {
                return Err(usage(
                    "--limits-window applies to --max-calls and --fee-budget: give one of them",
                    None,
                ));
            }
            if window == 0 || !window.is_multiple_of(3600) {
                return Err(usage(
                    format!("--limits-window of {window} s: windows are whole hours (1h, 24h, 1d…)"),
                    None,
                ));
            }
        }
        for (flag, value) in [
            ("--max-calls", self.max_calls.map(u128::from)),
            ("--max-fee", self.max_fee),
            ("--fee-budget", self.fee_budget),
        ] {
            if value == Some(0) {
                return Err(usage(
                    format!("{flag} 0 would forbid everything"),
                    Some("leave the flag out for no limit"),
                ));
            }
        }
        for entry in &self.max_spend {
            let (token, amount) = entry.rsplit_once(':').ok_or_else(|| {
                usage(format!("--max-spend {entry:?}: expected <token address>:<amount>"), None)
            })?;
            let token = parse_address(token, "token address")?;
            let bad = |reason: String| usage(format!("--max-spend {entry:?}: {reason}"), None);
            let (amount, period) = amount_and_window(amount).map_err(bad)?;
            let amount = if amount == "unlimited" { U256_MAX } else { parse_amount(amount).map_err(bad)? };
            if policy.spend_limits.iter().any(|limit| limit.token == token && limit.period == period) {
                let span = if period == 0 {
                    "in total".to_owned()
                } else {
                    format!("per {}", describe_period(period))
                };
                return Err(usage(
                    format!("--max-spend names token {token:#x} twice {span}"),
                    Some("give each token at most one limit per window"),
                ));
            }
            policy.spend_limits.push(SpendLimit::per_window(token, amount, period));
        }
        policy.normalized().map_err(|error| usage(error.to_string(), None))
    }

    /// The argument rules, grouped by `(contract, entrypoint name)`.
    pub fn rules(&self) -> Result<BTreeMap<(Felt, String), Vec<ArgumentRule>>> {
        let mut grouped: BTreeMap<(Felt, String), Vec<ArgumentRule>> = BTreeMap::new();
        for text in &self.arg_rules {
            let bad = |why: &str| {
                usage(
                    format!("--arg-rule {text:?}: {why}"),
                    Some("expected <contract>:<entrypoint>:<index>:<eq|ne|in|le|le-u256|ge|ge-u256|total-le-u256>:<value[,value…]>"),
                )
            };
            let parts: Vec<&str> = text.splitn(5, ':').collect();
            let [contract, entrypoint, index, kind, values] = parts[..] else {
                return Err(bad("five ':'-separated parts needed"));
            };
            let contract = parse_address(contract, "contract address")?;
            let index: u32 =
                index.parse().map_err(|_| bad("the index must be a calldata position (0, 1, …)"))?;
            let felts = || -> Result<Vec<Felt>> {
                values.split(',').map(|value| parse_felt(value.trim(), "rule value")).collect()
            };
            let rule = match kind {
                "eq" => match felts()?[..] {
                    [value] => ArgumentRule::Equal { index, value },
                    _ => return Err(bad("eq takes one value")),
                },
                "in" => ArgumentRule::OneOf { index, values: felts()? },
                "le" => match felts()?[..] {
                    [bound] => ArgumentRule::AtMost { index, bound },
                    _ => return Err(bad("le takes one bound")),
                },
                "le-u256" => ArgumentRule::AtMostU256 {
                    index,
                    bound: parse_amount(values.trim()).map_err(|reason| bad(&reason))?,
                },
                "ne" => match felts()?[..] {
                    [value] => ArgumentRule::NotEqual { index, value },
                    _ => return Err(bad("ne takes one value")),
                },
                "ge" => match felts()?[..] {
                    [bound] => ArgumentRule::AtLeast { index, bound },
                    _ => return Err(bad("ge takes one bound")),
                },
                "ge-u256" => ArgumentRule::AtLeastU256 {
                    index,
                    bound: parse_amount(values.trim()).map_err(|reason| bad(&reason))?,
                },
                "total-le-u256" => {
                    let (amount, period) = amount_and_window(values.trim()).map_err(|reason| bad(&reason))?;
                    ArgumentRule::TotalAtMostU256 {
                        index,
                        bound: parse_amount(amount).map_err(|reason| bad(&reason))?,
                        period,
                    }
                }
                _ => {
                    return Err(bad("the rule must be eq, ne, in, le, le-u256, ge, ge-u256 or total-le-u256"))
                }
            };
            grouped.entry((contract, entrypoint.to_owned())).or_default().push(rule);
        }
        Ok(grouped)
    }
}

/// `AMOUNT[/WINDOW]`: the amount text and the window in seconds (0: none), a whole number of
/// hours.
fn amount_and_window(text: &str) -> Result<(&str, u64), String> {
    let Some((amount, window)) = text.split_once('/') else {
        return Ok((text, 0));
    };
    let period = parse_duration(window)?;
    if !period.is_multiple_of(3600) {
        return Err("the window must be a whole number of hours (1h, 24h, 1d, 7d…)".into());
    }
    Ok((amount, period))
}

/// The policy in plain words, one line per limit, with what is used so far when known.
pub fn describe_policy(policy: &Policy, usage: Option<&SessionUsage>) -> Vec<String> {
    if policy.is_unlimited() {
        return vec!["no limits beyond methods and expiry; may move no token value".into()];
    }
    let mut lines = Vec::new();
    for limit in &policy.spend_limits {
        let token = limit.token;
        if limit.is_unlimited() {
            lines.push(format!("may transfer or approve any amount of token {token:#066x} (not counted)"));
            continue;
        }
        let spent =
            usage.map(|usage| usage.spent.get(&(token, limit.period)).copied().unwrap_or(U256::from(0u8)));
        let (span, spent) = match limit.period {
            0 => ("in total".to_owned(), spent.map(|spent| format!(" ({spent} spent)"))),
            period => (
                format!("per {} (windows from the Unix epoch)", describe_period(period)),
                spent.map(|spent| format!(" ({spent} spent in this window)")),
            ),
        };
        lines.push(format!(
            "may transfer or approve {} of token {token:#066x} {span}{}",
            limit.amount,
            spent.unwrap_or_default()
        ));
    }
    lines.push("may move no value of any other token".into());
    let span = match policy.limits_window {
        0 => "in total".to_owned(),
        window => format!("per {} (windows from the Unix epoch)", describe_period(window)),
    };
    if policy.valid_after != 0 {
        lines
            .push(format!("usable from {} (refused before, to the second)", format_time(policy.valid_after)));
    }
    if let Some(max) = policy.max_calls {
        let used = usage.map(|usage| format!(" ({} made)", usage.calls)).unwrap_or_default();
        lines.push(format!("at most {max} calls {span}{used}"));
    }
    if let Some(cap) = policy.max_fee_per_tx {
        lines.push(format!("at most {cap} FRI of fee per transaction"));
    }
    if let Some(budget) = policy.fee_budget {
        let used = usage.map(|usage| format!(" ({} committed)", usage.fees_committed)).unwrap_or_default();
        lines.push(format!("at most {budget} FRI of fees {span}{used}"));
    }
    lines
}

/// A window length in words: `day`, `7 days`, `hour`, `6 hours`.
fn describe_period(period: u64) -> String {
    match (period % 86_400, period / 86_400, period / 3600) {
        (0, 1, _) => "day".into(),
        (0, days, _) => format!("{days} days"),
        (_, _, 1) => "hour".into(),
        (_, _, hours) => format!("{hours} hours"),
    }
}

/// A method's rules as a suffix in plain words: empty without rules, else ` when … and …`.
pub fn describe_when(rules: &[ArgumentRule]) -> String {
    if rules.is_empty() {
        return String::new();
    }
    let rules: Vec<String> = rules.iter().map(ArgumentRule::describe).collect();
    format!(" when {}", rules.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(max_spend: &[&str], arg_rules: &[&str]) -> PolicyArgs {
        PolicyArgs {
            max_spend: max_spend.iter().map(|s| s.to_string()).collect(),
            arg_rules: arg_rules.iter().map(|s| s.to_string()).collect(),
            ..PolicyArgs::default()
        }
    }

    #[test]
    fn parses_limits_and_rules() {
        let policy =
            args(&["0x70ce:1000", "0x70cf:unlimited", "0x70d0:5/1d", "0x70ce:100/1d"], &[]).policy().unwrap();
        let (a, b, c) = (Felt::from(0x70ceu32), Felt::from(0x70cfu32), Felt::from(0x70d0u32));
        assert_eq!(
            policy.spend_limits,
            vec![
                SpendLimit::lifetime(a, U256::from(1000u32)),
                SpendLimit::per_window(a, U256::from(100u32), 86_400),
                SpendLimit::unlimited(b),
                SpendLimit::per_window(c, U256::from(5u32), 86_400),
            ]
        );
        let described = describe_policy(&policy, None);
        assert!(described[1].ends_with("per day (windows from the Unix epoch)"), "{described:?}");
        assert!(described[2].contains("any amount"), "{described:?}");
        assert!(args(&[], &[]).policy().unwrap().is_unlimited());
        let rules = args(
            &[],
            &[
                "0x70ce:transfer:0:eq:0xb0b",
                "0x70ce:transfer:1:le-u256:500",
                "0x6a:move:0:in:1,2,3",
                "0x5a:swap:2:ge-u256:0.5strk",
                "0x5a:swap:0:ne:0x70ce",
                "0x5a:swap:4:ge:10",
                "0x5a:swap:2:total-le-u256:10strk/1d",
            ],
        )
        .rules()
        .unwrap();
        assert_eq!(
            rules[&(Felt::from(0x5au32), "swap".to_owned())],
            vec![
                ArgumentRule::AtLeastU256 { index: 2, bound: U256::from(500_000_000_000_000_000u64) },
                ArgumentRule::NotEqual { index: 0, value: Felt::from(0x70ceu32) },
                ArgumentRule::AtLeast { index: 4, bound: Felt::from(10u8) },
                ArgumentRule::TotalAtMostU256 {
                    index: 2,
                    bound: U256::from(10_000_000_000_000_000_000u128),
                    period: 86_400
                },
            ]
        );
        assert_eq!(
            rules[&(Felt::from(0x70ceu32), "transfer".to_owned())],
            vec![
                ArgumentRule::Equal { index: 0, value: Felt::from(0xb0bu32) },
                ArgumentRule::AtMostU256 { index: 1, bound: U256::from(500u32) }
            ]
        );
        assert_eq!(
            rules[&(Felt::from(0x6au32), "move".to_owned())],
            vec![ArgumentRule::OneOf { index: 0, values: vec![Felt::ONE, Felt::TWO, Felt::THREE] }]
        );
    }

    #[test]
    fn refuses_bad_flags_specifically() {
        fn error<T>(result: Result<T>) -> String {
            result.err().map(|e| e.to_string()).unwrap_or_default()
        }
        assert!(error(args(&["0x70ce"], &[]).policy()).contains("expected <token address>:<amount>"));
        assert!(error(args(&["0x70ce:12x"], &[]).policy()).contains("not an amount"));
        assert!(error(args(&["0x70ce:1", "0x70ce:2"], &[]).policy()).contains("twice in total"));
        assert!(error(args(&["0x70ce:1/1d", "0x70ce:2/24h"], &[]).policy()).contains("twice per day"));
        assert!(error(args(&["0x70ce:1/90m"], &[]).policy()).contains("whole number of hours"));
        assert!(error(args(&["0x70ce:1/soon"], &[]).policy()).contains("--max-spend"));
        assert!(error(args(&[], &["0x70ce:transfer:0:eq"]).rules()).contains("five"));
        assert!(error(args(&[], &["0x70ce:transfer:x:eq:1"]).rules()).contains("index"));
        assert!(error(args(&[], &["0x70ce:transfer:0:gt:1"]).rules())
            .contains("eq, ne, in, le, le-u256, ge, ge-u256 or total-le-u256"));
        assert!(error(args(&[], &["0x70ce:swap:0:total-le-u256:5/90m"]).rules())
            .contains("whole number of hours"));
        assert!(error(args(&[], &["0x70ce:transfer:0:ne:1,2"]).rules()).contains("one value"));
        assert!(error(args(&[], &["0x70ce:transfer:0:eq:1,2"]).rules()).contains("one value"));
        let zero = PolicyArgs { max_calls: Some(0), ..PolicyArgs::default() };
        assert!(error(zero.policy()).contains("--max-calls 0"));
        let lone_window = PolicyArgs { limits_window: Some(3600), ..PolicyArgs::default() };
        assert!(error(lone_window.policy()).contains("give one of them"));
        let odd_window =
            PolicyArgs { max_calls: Some(3), limits_window: Some(5400), ..PolicyArgs::default() };
        assert!(error(odd_window.policy()).contains("whole hours"));
        let rate = PolicyArgs {
            max_calls: Some(10),
            limits_window: Some(3600),
            valid_after: Some(1_900_000_000),
            ..PolicyArgs::default()
        };
        let policy = rate.policy().unwrap();
        assert_eq!(
            (policy.max_calls, policy.limits_window, policy.valid_after),
            (Some(10), 3600, 1_900_000_000)
        );
        let words = describe_policy(&policy, None).join("; ");
        assert!(words.contains("at most 10 calls per hour") && words.contains("usable from"), "{words}");
    }
}
