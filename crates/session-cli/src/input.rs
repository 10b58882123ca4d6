//! Parsing what users type — networks, addresses, accounts, durations, dates, amounts with units,
//! calldata, passwords — refusing anything that would silently become something else; and
//! formatting amounts and times for people.

use std::path::Path;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use session_core::snip12::short_string;
use session_core::{parse_u256, U256};
use session_sdk::{AccountFile, KeystoreError, SdkError};
use starknet::core::types::Felt;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::{JsonRpcClient, Provider, Url};

use crate::cli_error::usage;

/// Environment variable holding the owner keystore's password (otherwise prompted).
pub const OWNER_PASSWORD_ENV: &str = "STARK_SESSION_OWNER_PASSWORD";
/// Environment variable holding the session file's password (otherwise prompted).
pub const SESSION_PASSWORD_ENV: &str = "STARK_SESSION_PASSWORD";

/// A JSON-RPC client.
pub type Client = JsonRpcClient<HttpTransport>;

/// Known networks.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Network {
    /// A local devnet on the default port (`stark-session devnet start`).
    Devnet,
    /// Starknet Sepolia (public Cartridge endpoint).
    Sepolia,
    /// Starknet mainnet (public Cartridge endpoint).
    Mainnet,
}

/// Environment variable naming the JSON-RPC endpoint when neither `--rpc-url` nor `--network` is given.
pub const RPC_ENV: &str = "STARKNET_RPC";

/// Which node to talk to: `--rpc-url`, else `--network`, else `$STARKNET_RPC`, else the local devnet.
#[derive(Args, Clone, Debug)]
pub struct NetworkArgs {
    /// JSON-RPC endpoint (wins over --network and $STARKNET_RPC).
    #[arg(long, value_name = "URL")]
    rpc_url: Option<Url>,
    /// A known network (wins over $STARKNET_RPC); without either flag: $STARKNET_RPC, else devnet.
    #[arg(long, value_enum, conflicts_with = "rpc_url")]
    network: Option<Network>,
}

impl NetworkArgs {
    /// The endpoint URL.
    pub fn url(&self) -> Result<Url> {
        if let Some(url) = &self.rpc_url {
            return Ok(url.clone());
        }
        let network = match (self.network, std::env::var(RPC_ENV)) {
            (Some(network), _) => network,
            (None, Ok(url)) => {
                return Url::parse(&url).map_err(|error| {
                    usage(
                        format!("${RPC_ENV} is not a URL ({url:?}: {error})"),
                        Some("set it to http(s)://host:port/rpc"),
                    )
                })
            }
            (None, Err(_)) => Network::Devnet,
        };
        let url = match network {
            Network::Devnet => "http://127.0.0.1:5050/rpc",
            Network::Sepolia => "https://api.cartridge.gg/x/starknet/sepolia",
            Network::Mainnet => "https://api.cartridge.gg/x/starknet/mainnet",
        };
        Ok(Url::parse(url).expect("a valid built-in URL"))
    }

    /// A client of the endpoint.
    pub fn provider(&self) -> Result<Client> {
        Ok(JsonRpcClient::new(HttpTransport::new(self.url()?)))
    }

    /// A client and the chain id it reports.
    pub async fn connect(&self) -> Result<(Client, Felt)> {
        let provider = self.provider()?;
        let chain_id = provider.chain_id().await.map_err(|source| session_sdk::SdkError::Provider {
            context: format!("connecting to {}", self.url().map(|url| url.to_string()).unwrap_or_default()),
            source: Box::new(source),
        })?;
        Ok((provider, chain_id))
    }
}

/// The Stark field prime: felts are below it.
const FIELD_PRIME: U256 = U256::from_words(1, 0x0800_0000_0000_0011_0000_0000_0000_0000);

/// The felt of a `u256` below the field prime.
fn felt_of(value: U256) -> Felt {
    Felt::from(value.high()) * Felt::from(1u128 << 64) * Felt::from(1u128 << 64) + Felt::from(value.low())
}

/// A felt typed by a user: `0x…` hex or decimal, below the field prime (never reduced).
pub fn parse_felt(text: &str, what: &str) -> Result<Felt> {
    let malformed = || usage(format!("malformed {what} {text:?}: expected 0x-hex or a decimal number"), None);
    let normalized = text.strip_prefix("0X").map(|hex| format!("0x{hex}"));
    let value = parse_u256(normalized.as_deref().unwrap_or(text)).map_err(|_| malformed())?;
    if value >= FIELD_PRIME {
        return Err(usage(
            format!("{what} {text:?} is not below the field prime (2^251 + 17·2^192 + 1): it would be reduced into another value"),
            None,
        ));
    }
    Ok(felt_of(value))
}

/// An address typed by a user (`0x…` hex only).
pub fn parse_address(text: &str, what: &str) -> Result<Felt> {
    if !text.starts_with("0x") || text.len() > 66 {
        return Err(usage(format!("malformed {what} {text:?}: expected a 0x-prefixed hex address"), None));
    }
    parse_felt(text, what)
}

/// A duration such as `90s`, `30m`, `1h`, `7d`, in seconds (more than zero).
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: u64 =
        number.parse().map_err(|_| format!("{text:?} is not a duration like 90s, 30m, 1h, 7d"))?;
    let seconds = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit in {text:?}: use s, m, h or d")),
    };
    match number.checked_mul(seconds) {
        Some(0) => Err(format!("{text:?} is no time at all")),
        Some(seconds) => Ok(seconds),
        None => Err(format!("{text:?} is too long")),
    }
}

/// An amount in a token's smallest unit: `1000`, `0x3e8`, `1.5e18`, or with a unit of 18
/// decimals: `0.5strk` / `0.5eth` (= 5·10^17). Exact: digits past the unit's precision are refused.
pub fn parse_amount(text: &str) -> Result<U256, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (number, scale) = if let Some(number) =
        lower.strip_suffix("strk").or_else(|| lower.strip_suffix("eth"))
    {
        (number.trim(), 18u32)
    } else if let Some(number) = lower.strip_suffix("fri").or_else(|| lower.strip_suffix("wei")) {
        (number.trim(), 0)
    } else if let Some((mantissa, exponent)) = lower.split_once('e').filter(|_| !lower.starts_with("0x")) {
        let exponent: u32 = exponent.parse().map_err(|_| format!("{text:?} is not an amount"))?;
        (mantissa, exponent)
    } else {
        (lower.as_str(), 0)
    };
    if number.starts_with("0x") {
        return if scale == 0 {
            parse_u256(number)
        } else {
            Err(format!("{text:?}: a unit takes a decimal number"))
        };
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.len() > scale as usize {
        return Err(format!("{text:?} is not an amount (at most {scale} decimals)"));
    }
    let digits = format!("{whole}{fraction:0<width$}", width = scale as usize);
    let digits = digits.trim_start_matches('0');
    parse_u256(if digits.is_empty() { "0" } else { digits })
        .map_err(|_| format!("{text:?} is not an amount or does not fit in a u256"))
}

/// An amount that must fit in a u128 (fees, budgets), with the units of [`parse_amount`].
pub fn parse_u128_amount(text: &str) -> Result<u128, String> {
    let amount = parse_amount(text)?;
    if amount.high() != 0 {
        return Err(format!("{text:?} does not fit in a u128"));
    }
    Ok(amount.low())
}

/// `value` (in 10^-18 units) as a decimal number of whole units, e.g. `1.5` for 1.5·10^18.
pub fn format_units(value: U256) -> String {
    let text = value.to_string();
    let padded = format!("{text:0>19}");
    let (whole, fraction) = padded.split_at(padded.len() - 18);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// An amount of STRK in FRI for people: `1500000000000000000 FRI (1.5 STRK)`.
pub fn format_fri(value: U256) -> String {
    format!("{value} FRI ({} STRK)", format_units(value))
}

/// A Unix time as a UTC date and time, e.g. `2026-11-30 14:05:00 UTC`.
pub fn format_time(timestamp: u64) -> String {
    let days = (timestamp / 86_400) as i64;
    let seconds = timestamp % 86_400;
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `timestamp` relative to `now`, for people: `in 59 min`, `3 h ago`.
pub fn format_relative(timestamp: u64, now: u64) -> String {
    let (seconds, future) = if timestamp >= now { (timestamp - now, true) } else { (now - timestamp, false) };
    let span = match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7_199 => format!("{} min", seconds / 60),
        7_200..=172_799 => format!("{} h", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// A UTC date typed by a user, `YYYY-MM-DD[THH:MM[:SS]][Z]` (a space may stand for `T`), as a
/// Unix time.
pub fn parse_time(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?} is not a UTC date like 2026-12-01 or 2026-12-01T18:30:00Z");
    let trimmed = text.trim().trim_end_matches('Z');
    let (date, time) = trimmed.split_once(['T', ' ']).unwrap_or((trimmed, "00:00"));
    let fields = |part: &str, separator: char| -> Result<Vec<i64>, String> {
        part.split(separator).map(|field| field.parse().map_err(|_| bad())).collect()
    };
    let (date, time) = (fields(date, '-')?, fields(time, ':')?);
    let (&[year, month, day], &[hour, minute, ref rest @ ..]) = (date.as_slice(), time.as_slice()) else {
        return Err(bad());
    };
    let second = match rest {
        [] => 0,
        [second] => *second,
        _ => return Err(bad()),
    };
    if year < 1970
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || !(0..=59).contains(&second)
    {
        return Err(bad());
    }
    // Civil date to days since 1970-01-01 (the inverse of `format_time`).
    let shifted_year = year - i64::from(month <= 2);
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let timestamp = (days * 86_400 + hour * 3600 + minute * 60 + second) as u64;
    if format_time(timestamp)
        != format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC")
    {
        return Err(bad()); // a day the month does not have, e.g. 2026-02-31
    }
    Ok(timestamp)
}

/// Calldata typed by a user, starkli-style: `0x…`/decimal felts, `u256:<n>` (two felts, low then
/// high; `n` may carry a unit, e.g. `u256:0.5strk`), `str:<text>` (a short string of at most 31
/// characters).
pub fn parse_calldata(arguments: &[String]) -> Result<Vec<Felt>> {
    let mut felts = Vec::new();
    for argument in arguments {
        if let Some(value) = argument.strip_prefix("u256:") {
            let value = parse_amount(value).map_err(|reason| {
                usage(
                    format!("bad calldata {argument:?}: {reason}"),
                    Some("u256:<decimal, 0x-hex, or an amount like 0.5strk>"),
                )
            })?;
            felts.push(Felt::from(value.low()));
            felts.push(Felt::from(value.high()));
        } else if let Some(text) = argument.strip_prefix("str:") {
            if text.len() > 31 || !text.is_ascii() {
                return Err(usage(
                    format!("bad calldata {argument:?}: a short string is at most 31 ASCII characters"),
                    None,
                ));
            }
            felts.push(short_string(text));
        } else {
            felts.push(parse_felt(argument, "calldata value")?);
        }
    }
    Ok(felts)
}

/// A password from `env_var`, or typed at a prompt (twice when `confirm`). Never from arguments.
pub fn password(env_var: &str, prompt: &str, confirm: bool) -> Result<String> {
    if let Ok(password) = std::env::var(env_var) {
        return Ok(password);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(usage(format!("{prompt}: no terminal to ask on"), Some(&format!("set {env_var}"))));
    }
    let first = rpassword::prompt_password(format!("{prompt}: ")).context("reading the password")?;
    if confirm
        && rpassword::prompt_password(format!("{prompt} (again): ")).context("reading the password")? != first
    {
        return Err(usage("the passwords differ", None));
    }
    Ok(first)
}

/// A new password (for a keystore or session file), from `env_var` or typed twice; an empty one
/// is allowed but warned about: the file is then protected by nothing.
pub fn new_password(env_var: &str, prompt: &str, out: crate::output::Output) -> Result<String> {
    let password = password(env_var, prompt, true)?;
    if password.is_empty() {
        out.warn(format!("{prompt} is empty: anyone who copies the file can use the key"));
    }
    Ok(password)
}

/// An account given as an address or as an account file.
pub fn account_address(value: &str) -> Result<Felt> {
    if value.starts_with("0x") {
        return parse_address(value, "account address");
    }
    Ok(read_account_file(Path::new(value))?.address)
}

/// Reads an account file (`account create` writes them).
pub fn read_account_file(path: &Path) -> Result<AccountFile> {
    AccountFile::load(path).map_err(|error| match error {
        SdkError::Keystore(KeystoreError::Io { source, .. }) => {
            usage(format!("cannot read account file {}: {source}", path.display()), None)
        }
        other => usage(other.to_string(), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calldata_parses_felts_u256_and_short_strings() {
        let arguments =
            ["0x10", "7", "u256:340282366920938463463374607431768211457", "str:hello"].map(String::from);
        let felts = parse_calldata(&arguments).unwrap();
        assert_eq!(
            felts,
            vec![Felt::from(16u8), Felt::from(7u8), Felt::ONE, Felt::ONE, short_string("hello")]
        );
        assert_eq!(parse_calldata(&["u256:0x1".into()]).unwrap(), vec![Felt::ONE, Felt::ZERO]);
    }

    #[test]
    fn bad_calldata_is_refused_with_the_argument_named() {
        for bad in ["zz", "u256:-1", "str:this string is far longer than thirty-one", "0xgg"] {
            let error = parse_calldata(&[bad.to_owned()]).unwrap_err();
            assert!(error.to_string().contains(bad), "{error}");
        }
        let too_big = format!("u256:{}", "9".repeat(80));
        assert!(parse_calldata(&[too_big]).is_err());
    }

    #[test]
    fn durations_and_addresses() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert!(parse_duration("1y").is_err());
        assert!(parse_duration("0s").unwrap_err().contains("no time"));
        assert!(parse_duration(&format!("{}d", u64::MAX)).unwrap_err().contains("too long"));
        assert!(parse_address("1234", "account").is_err());
        assert_eq!(parse_address("0x12", "account").unwrap(), Felt::from(0x12u8));
    }

    #[test]
    fn felts_at_or_above_the_prime_are_refused_not_reduced() {
        let prime = "0x800000000000011000000000000000000000000000000000000000000000001";
        let below = "0x800000000000011000000000000000000000000000000000000000000000000";
        assert_eq!(parse_felt(below, "x").unwrap(), Felt::MAX);
        assert!(parse_felt(prime, "x").unwrap_err().to_string().contains("field prime"));
        let decimal_prime = "3618502788666131213697322783095070105623107215331596699973092056135872020481";
        assert!(parse_felt(decimal_prime, "x").unwrap_err().to_string().contains("field prime"));
        assert!(parse_felt(&"f".repeat(70), "x").is_err());
    }

    #[test]
    fn amounts_with_units_are_exact() {
        let strk = |text: &str| parse_amount(text).map(|value| value.to_string());
        assert_eq!(strk("0.5strk").as_deref(), Ok("500000000000000000"));
        assert_eq!(strk("2 STRK").as_deref(), Ok("2000000000000000000"));
        assert_eq!(strk("1.5e18").as_deref(), Ok("1500000000000000000"));
        assert_eq!(strk("1000").as_deref(), Ok("1000"));
        assert_eq!(strk("0x3e8").as_deref(), Ok("1000"));
        assert!(strk("0.0000000000000000001strk").is_err(), "finer than 1 FRI");
        assert!(strk("1.5").is_err() && strk("strk").is_err() && strk("-1").is_err());
        assert_eq!(parse_u128_amount(&u128::MAX.to_string()), Ok(u128::MAX));
        assert!(parse_u128_amount(&(u128::MAX as f64 * 2.0).to_string()).is_err());
        assert_eq!(
            format_fri(U256::from(1_500_000_000_000_000_000u128)),
            "1500000000000000000 FRI (1.5 STRK)"
        );
        assert_eq!(format_units(U256::from(7u8)), "0.000000000000000007");
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_800_000_000), "2027-01-15 08:00:00 UTC");
        assert_eq!(parse_time("2027-01-15T08:00:00Z"), Ok(1_800_000_000));
        assert_eq!(parse_time("2027-01-15 08:00"), Ok(1_800_000_000));
        assert_eq!(parse_time("2024-02-29"), Ok(1_709_164_800));
        assert!(
            parse_time("2026-02-29").is_err()
                && parse_time("2026-13-01").is_err()
                && parse_time("soon").is_err()
        );
        assert_eq!(format_relative(10_000, 10_000 - 3600), "in 60 min");
        assert_eq!(format_relative(1_000_000 - 3 * 86_400, 1_000_000), "3 days ago");
    }
}
