//! The limits `session create` puts in a session (spending, calls, fees, argument rules), parsed
//! from flags, and their description in plain words for `inspect`.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use session_sdk::protocol::{parse_u256, ArgumentRule, Policy, SessionUsage, SpendLimit, U256};
use starknet::core::types::Felt;

use crate::cli_error::usage;
use crate::input::{parse_address, parse_duration, parse_felt};

/// `u256` max: a spend limit that never binds.
const UNLIMITED: U256 = U256::from_words(u128::MAX, u128::MAX);

/// Limits of a new session. Without any, the session is bounded only by its methods and expiry
/// (and can move no token value: every token is denied unless given a `--max-spend`).
#[derive(Args, Default)]
pub struct PolicyArgs {
    /// Most value of a token the session may transfer or approve, in total or per window:
    /// `<token address>:<amount in base units | unlimited>[/<window: 1h, 1d, 7d…>]`; repeat per
    /// token. Windows are whole hours, aligned to the Unix epoch (a `1d` window is a UTC day).
    /// Tokens not listed can move nothing.
    #[arg(long = "max-spend", value_name = "TOKEN:AMOUNT[/WINDOW]")]
    max_spend: Vec<String>,
    /// Most calls the session may make in total (successful transactions only).
    #[arg(long, value_name = "N")]
    max_calls: Option<u64>,
    /// Most fee (FRI; 1 STRK = 10^18 FRI) one session transaction may commit to.
    #[arg(long, value_name = "FRI")]
    max_fee: Option<u128>,
    /// Most fee all the session's transactions together may commit to (FRI).
    #[arg(long, value_name = "FRI")]
    fee_budget: Option<u128>,
    /// A rule on an argument of an allowed method,
    /// `<contract>:<entrypoint>:<index>:<eq|in|le|le-u256>:<value[,value…]>` (calldata index from
    /// 0; `in` takes several values; `le-u256` reads a u256 at index, index+1). Repeat to combine;
    /// the method is then allowed only when all its rules hold.
    #[arg(long = "arg-rule", value_name = "RULE")]
    arg_rules: Vec<String>,
}

impl PolicyArgs {
    /// The policy these flags describe (`None` when no limit was given).
    pub fn policy(&self) -> Result<Option<Policy>> {
        let mut policy = Policy {
            max_fee_per_tx: self.max_fee.unwrap_or(0),
            fee_budget: self.fee_budget.unwrap_or(0),
            max_calls: self.max_calls.unwrap_or(0),
            spend_limits: BTreeMap::new(),
        };
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
            let (amount, period) = match amount.split_once('/') {
                Some((amount, window)) => (amount, parse_duration(window).map_err(bad)?),
                None => (amount, 0),
            };
            if period % 3600 != 0 {
                return Err(bad("the window must be a whole number of hours (1h, 24h, 1d, 7d…)".into()));
            }
            let amount = if amount == "unlimited" { UNLIMITED } else { parse_u256(amount).map_err(bad)? };
            if policy.spend_limits.insert(token, SpendLimit::per_window(amount, period)).is_some() {
                return Err(usage(format!("--max-spend names token {token:#x} twice"), None));
            }
        }
        Ok((!policy.is_empty()).then_some(policy))
    }

    /// The argument rules, grouped by `(contract, entrypoint name)`.
    pub fn rules(&self) -> Result<BTreeMap<(Felt, String), Vec<ArgumentRule>>> {
        let mut grouped: BTreeMap<(Felt, String), Vec<ArgumentRule>> = BTreeMap::new();
        for text in &self.arg_rules {
            let bad = |why: &str| {
                usage(
                    format!("--arg-rule {text:?}: {why}"),
                    Some("expected <contract>:<entrypoint>:<index>:<eq|in|le|le-u256>:<value[,value…]>"),
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
                    bound: parse_u256(values.trim()).map_err(|reason| bad(&reason))?,
                },
                _ => return Err(bad("the rule must be eq, in, le or le-u256")),
            };
            grouped.entry((contract, entrypoint.to_owned())).or_default().push(rule);
        }
        Ok(grouped)
    }
}

/// The policy in plain words, one line per limit, with what is used so far when known.
pub fn describe_policy(policy: Option<&Policy>, usage: Option<&SessionUsage>) -> Vec<String> {
    let Some(policy) = policy else {
        return vec!["no limits beyond methods and expiry; may move no token value".into()];
    };
    let mut lines = Vec::new();
    for (token, limit) in &policy.spend_limits {
        let amount =
            if limit.amount == UNLIMITED { "any amount".to_owned() } else { limit.amount.to_string() };
        let spent = usage.map(|usage| usage.spent.get(token).copied().unwrap_or(U256::from(0u8)));
        let (span, spent) = match limit.period {
            0 => ("in total".to_owned(), spent.map(|spent| format!(" ({spent} spent)"))),
            period => (
                format!("per {} (windows from the Unix epoch)", describe_period(period)),
                spent.map(|spent| format!(" ({spent} spent in this window)")),
            ),
        };
        lines.push(format!(
            "may transfer or approve {amount} of token {token:#066x} {span}{}",
            spent.unwrap_or_default()
        ));
    }
    lines.push("may move no value of any other token".into());
    if policy.max_calls != 0 {
        let used = usage.map(|usage| format!(" ({} made)", usage.calls)).unwrap_or_default();
        lines.push(format!("at most {} calls in total{used}", policy.max_calls));
    }
    if policy.max_fee_per_tx != 0 {
        lines.push(format!("at most {} FRI of fee per transaction", policy.max_fee_per_tx));
    }
    if policy.fee_budget != 0 {
        let used = usage.map(|usage| format!(" ({} committed)", usage.fees_committed)).unwrap_or_default();
        lines.push(format!("at most {} FRI of fees in total{used}", policy.fee_budget));
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
    let rules: Vec<String> = rules.iter().map(describe_rule).collect();
    format!(" when {}", rules.join(" and "))
}

/// One argument rule in plain words.
fn describe_rule(rule: &ArgumentRule) -> String {
    match rule {
        ArgumentRule::Equal { index, value } => format!("argument {index} = {value:#x}"),
        ArgumentRule::OneOf { index, values } => {
            let values: Vec<String> = values.iter().map(|value| format!("{value:#x}")).collect();
            format!("argument {index} in {{{}}}", values.join(", "))
        }
        ArgumentRule::AtMost { index, bound } => format!("argument {index} ≤ {bound}"),
        ArgumentRule::AtMostU256 { index, bound } => format!("u256 argument {index} ≤ {bound}"),
    }
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
            args(&["0x70ce:1000", "0x70cf:unlimited", "0x70d0:5/1d"], &[]).policy().unwrap().unwrap();
        assert_eq!(policy.spend_limits[&Felt::from(0x70ceu32)], SpendLimit::lifetime(U256::from(1000u32)));
        assert_eq!(policy.spend_limits[&Felt::from(0x70cfu32)], SpendLimit::lifetime(UNLIMITED));
        assert_eq!(
            policy.spend_limits[&Felt::from(0x70d0u32)],
            SpendLimit::per_window(U256::from(5u32), 86_400)
        );
        let described = describe_policy(Some(&policy), None);
        assert!(described[2].ends_with("per day (windows from the Unix epoch)"), "{described:?}");
        assert!(args(&[], &[]).policy().unwrap().is_none());
        let rules = args(
            &[],
            &["0x70ce:transfer:0:eq:0xb0b", "0x70ce:transfer:1:le-u256:500", "0x6a:move:0:in:1,2,3"],
        )
        .rules()
        .unwrap();
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
        assert!(error(args(&["0x70ce:12x"], &[]).policy()).contains("not a number"));
        assert!(error(args(&["0x70ce:1", "0x70ce:2"], &[]).policy()).contains("twice"));
        assert!(error(args(&["0x70ce:1/90m"], &[]).policy()).contains("whole number of hours"));
        assert!(error(args(&["0x70ce:1/soon"], &[]).policy()).contains("--max-spend"));
        assert!(error(args(&[], &["0x70ce:transfer:0:eq"]).rules()).contains("five"));
        assert!(error(args(&[], &["0x70ce:transfer:x:eq:1"]).rules()).contains("index"));
        assert!(error(args(&[], &["0x70ce:transfer:0:gt:1"]).rules()).contains("eq, in, le or le-u256"));
        assert!(error(args(&[], &["0x70ce:transfer:0:eq:1,2"]).rules()).contains("one value"));
        let zero = PolicyArgs { max_calls: Some(0), ..PolicyArgs::default() };
        assert!(error(zero.policy()).contains("--max-calls 0"));
    }
}
