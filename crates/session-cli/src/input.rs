//! Parsing what users type: networks, addresses, accounts, durations, calldata, passwords.

use std::path::Path;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use session_core::snip12::short_string;
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

/// Which node to talk to.
#[derive(Args, Clone, Debug)]
pub struct NetworkArgs {
    /// JSON-RPC endpoint (overrides --network).
    #[arg(long, env = "STARKNET_RPC")]
    rpc_url: Option<Url>,
    /// A known network.
    #[arg(long, value_enum, default_value = "devnet")]
    network: Network,
}

impl NetworkArgs {
    /// The endpoint URL.
    pub fn url(&self) -> Url {
        self.rpc_url.clone().unwrap_or_else(|| {
            let url = match self.network {
                Network::Devnet => "http://127.0.0.1:5050/rpc",
                Network::Sepolia => "https://api.cartridge.gg/x/starknet/sepolia",
                Network::Mainnet => "https://api.cartridge.gg/x/starknet/mainnet",
            };
            Url::parse(url).expect("a valid built-in URL")
        })
    }

    /// A client of the endpoint.
    pub fn provider(&self) -> Client {
        JsonRpcClient::new(HttpTransport::new(self.url()))
    }

    /// A client and the chain id it reports.
    pub async fn connect(&self) -> Result<(Client, Felt)> {
        let provider = self.provider();
        let chain_id = provider.chain_id().await.map_err(|source| session_sdk::SdkError::Provider {
            context: format!("connecting to {}", self.url()),
            source: Box::new(source),
        })?;
        Ok((provider, chain_id))
    }
}

/// A felt typed by a user: `0x…` hex or decimal.
pub fn parse_felt(text: &str, what: &str) -> Result<Felt> {
    let parsed = if text.starts_with("0x") || text.starts_with("0X") {
        Felt::from_hex(text).ok()
    } else {
        Felt::from_dec_str(text).ok()
    };
    parsed
        .ok_or_else(|| usage(format!("malformed {what} {text:?}: expected 0x-hex or a decimal number"), None))
}

/// An address typed by a user (`0x…` hex only).
pub fn parse_address(text: &str, what: &str) -> Result<Felt> {
    if !text.starts_with("0x") || text.len() > 66 {
        return Err(usage(format!("malformed {what} {text:?}: expected a 0x-prefixed hex address"), None));
    }
    parse_felt(text, what)
}

/// A duration such as `90s`, `30m`, `1h`, `7d`, in seconds.
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
    number.checked_mul(seconds).ok_or_else(|| format!("{text:?} is too long"))
}

/// Calldata typed by a user, starkli-style: `0x…`/decimal felts, `u256:<n>` (two felts, low then
/// high), `str:<text>` (a short string of at most 31 characters).
pub fn parse_calldata(arguments: &[String]) -> Result<Vec<Felt>> {
    let mut felts = Vec::new();
    for argument in arguments {
        if let Some(value) = argument.strip_prefix("u256:") {
            let bytes = parse_u256(value).ok_or_else(|| {
                usage(format!("bad calldata {argument:?}: not a u256"), Some("u256:<decimal or 0x-hex>"))
            })?;
            felts.push(Felt::from_bytes_be_slice(&bytes[16..]));
            felts.push(Felt::from_bytes_be_slice(&bytes[..16]));
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

/// A u256 as 32 big-endian bytes.
fn parse_u256(text: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    if let Some(hex) = text.strip_prefix("0x") {
        if hex.is_empty() || hex.len() > 64 {
            return None;
        }
        let padded = format!("{hex:0>64}");
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&padded[2 * index..2 * index + 2], 16).ok()?;
        }
        return Some(bytes);
    }
    if text.is_empty() {
        return None;
    }
    for digit in text.chars() {
        let mut carry = digit.to_digit(10)?;
        for byte in bytes.iter_mut().rev() {
            let value = u32::from(*byte) * 10 + carry;
            *byte = value as u8;
            carry = value >> 8;
        }
        if carry != 0 {
            return None; // overflow
        }
    }
    Some(bytes)
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

/// What `account create` writes: where the account is and how it was derived. No secret.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccountFile {
    /// The session account's address.
    pub address: Felt,
    /// The owner's public key.
    pub owner_public_key: Felt,
    /// The deployment salt.
    pub salt: Felt,
    /// The session account class hash.
    pub class_hash: Felt,
}

/// An account given as an address or as an account file.
pub fn account_address(value: &str) -> Result<Felt> {
    if value.starts_with("0x") {
        return parse_address(value, "account address");
    }
    Ok(read_account_file(Path::new(value))?.address)
}

/// Reads an account file.
pub fn read_account_file(path: &Path) -> Result<AccountFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| usage(format!("cannot read account file {}: {error}", path.display()), None))?;
    serde_json::from_str(&text)
        .map_err(|error| usage(format!("{} is not an account file: {error}", path.display()), None))
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
        assert!(parse_address("1234", "account").is_err());
        assert_eq!(parse_address("0x12", "account").unwrap(), Felt::from(0x12u8));
    }
}
