//! The server's configuration: a TOML file, then environment variables over it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use starknet::core::types::Felt;
use starknet::core::utils::get_selector_from_name;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// The parse error.
        source: toml::de::Error,
    },
    /// A value is not usable.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// One relayer account: it pays for and submits the outside executions.
#[derive(Clone, Debug, Deserialize)]
pub struct RelayerConfig {
    /// Its address.
    pub address: Felt,
    /// Its Stark private key.
    pub private_key: Felt,
}

/// A token users may pay fees in (`default` fee mode).
#[derive(Clone, Debug, Deserialize)]
pub struct TokenConfig {
    /// The ERC-20.
    pub address: Felt,
    /// Its decimals.
    #[serde(default = "eighteen")]
    pub decimals: u32,
    /// FRI per whole token (10^decimals units), as a decimal string (a fixed price: this
    /// server has no price oracle).
    pub price_in_strk: String,
}

fn eighteen() -> u32 {
    18
}

/// Contracts and entrypoints a key sponsors.
#[derive(Clone, Debug, Deserialize)]
pub struct AllowRule {
    /// The contract.
    pub contract: Felt,
    /// Entrypoint names; `["*"]` for every entrypoint of the contract.
    pub entrypoints: Vec<String>,
}

/// One API key and what it sponsors.
#[derive(Clone, Debug, Deserialize)]
pub struct ApiKeyConfig {
    /// A name for logs, metrics and budgets (keys themselves are never logged).
    pub name: String,
    /// The key clients send in `x-paymaster-api-key`; or use `key_env`.
    #[serde(default)]
    pub key: Option<String>,
    /// The environment variable holding the key.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Fee modes the key may use: `sponsored`, `default` (pay in a token).
    #[serde(default = "sponsored_only")]
    pub fee_modes: Vec<String>,
    /// What the key sponsors (calls outside it are refused in every fee mode).
    pub allow: Vec<AllowRule>,
    /// FRI the key may spend per UTC day, over all users (decimal string).
    pub daily_budget_fri: String,
    /// FRI one user account may spend per UTC day under this key (decimal string).
    pub user_daily_budget_fri: String,
    /// Requests per minute (every method but `paymaster_isAvailable`).
    pub requests_per_minute: u64,
    /// The most one transaction may cost, in FRI (its maximum fee, not its estimate).
    pub max_fee_per_transaction_fri: String,
}

fn sponsored_only() -> Vec<String> {
    vec!["sponsored".to_owned()]
}

/// The configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Address to listen on (`SESSION_PAYMASTER_LISTEN`).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Starknet JSON-RPC URL (`SESSION_PAYMASTER_RPC_URL`).
    #[serde(default = "default_rpc")]
    pub rpc_url: String,
    /// `sqlite://FILE` (default) or `postgres://…` (`SESSION_PAYMASTER_DATABASE_URL`).
    #[serde(default = "default_database")]
    pub database_url: String,
    /// Names this instance's in-flight requests, which it resumes after a restart (default:
    /// the listen address).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The relayers (`SESSION_PAYMASTER_RELAYERS=address:key,…`); none: devnet's predeployed accounts.
    #[serde(default)]
    pub relayers: Vec<RelayerConfig>,
    /// Who receives fees paid in tokens (default: the first relayer).
    #[serde(default)]
    pub fee_recipient: Option<Felt>,
    /// Tokens users may pay in.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// How long a built outside execution stays valid, in seconds.
    #[serde(default = "default_window")]
    pub execution_window_seconds: u64,
    /// L2 gas added to a quote for what simulating the calls leaves out (the relayer's and the
    /// session's signature checks).
    #[serde(default = "default_overhead")]
    pub validation_overhead_l2_gas: u64,
    /// The API keys.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyConfig>,
}

fn default_listen() -> String {
    "127.0.0.1:8547".to_owned()
}
fn default_rpc() -> String {
    "http://127.0.0.1:5050".to_owned()
}
fn default_database() -> String {
    "sqlite://paymaster.sqlite".to_owned()
}
fn default_window() -> u64 {
    3600
}
fn default_overhead() -> u64 {
    3_000_000
}

impl Default for ConfigFile {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

impl ConfigFile {
    /// A configuration with one API key, `key` (named after it), that sponsors `entrypoints` of
    /// `contract` with `budget_fri` per day for the key, per user and per transaction, 600
    /// requests per minute, listening on any free loopback port; the rest are the defaults (set
    /// `rpc_url`, `database_url`, `relayers` over it). For demos and benchmarks.
    pub fn sponsoring(key: &str, contract: Felt, entrypoints: &[&str], budget_fri: u128) -> Self {
        let budget = budget_fri.to_string();
        Self {
            listen: "127.0.0.1:0".to_owned(),
            api_keys: vec![ApiKeyConfig {
                name: key.to_owned(),
                key: Some(key.to_owned()),
                key_env: None,
                fee_modes: sponsored_only(),
                allow: vec![AllowRule {
                    contract,
                    entrypoints: entrypoints.iter().map(|name| (*name).to_owned()).collect(),
                }],
                daily_budget_fri: budget.clone(),
                user_daily_budget_fri: budget.clone(),
                requests_per_minute: 600,
                max_fee_per_transaction_fri: budget,
            }],
            ..Self::default()
        }
    }
}

/// What a key may call, resolved to selectors.
#[derive(Clone, Debug)]
pub struct SponsorRules {
    /// Contract → allowed selectors with their names (`None`: every entrypoint).
    pub allowed: BTreeMap<Felt, Option<BTreeMap<Felt, String>>>,
}

impl SponsorRules {
    /// Whether the key sponsors `selector` on `contract`.
    pub fn allows(&self, contract: Felt, selector: Felt) -> bool {
        match self.allowed.get(&contract) {
            Some(None) => true,
            Some(Some(selectors)) => selectors.contains_key(&selector),
            None => false,
        }
    }

    /// The entrypoint's name, when the rules name it.
    pub fn name_of(&self, selector: Felt) -> Option<&str> {
        self.allowed.values().flatten().find_map(|names| names.get(&selector).map(String::as_str))
    }
}

/// An API key, resolved.
#[derive(Clone, Debug)]
pub struct ApiKey {
    /// Its name.
    pub name: String,
    /// Whether it may sponsor.
    pub sponsored: bool,
    /// Whether its users may pay in a token.
    pub pay_in_token: bool,
    /// What it sponsors.
    pub rules: SponsorRules,
    /// FRI per UTC day over all users.
    pub daily_budget: u128,
    /// FRI per UTC day per user account.
    pub user_daily_budget: u128,
    /// Requests per minute.
    pub requests_per_minute: u64,
    /// The most one transaction may cost, in FRI.
    pub max_fee_per_transaction: u128,
}

/// A token, resolved.
#[derive(Clone, Debug)]
pub struct Token {
    /// The ERC-20.
    pub address: Felt,
    /// Its decimals.
    pub decimals: u32,
    /// FRI per whole token.
    pub price_in_strk: u128,
}

impl Token {
    /// `fri` converted to the token's smallest unit, rounded up.
    pub fn from_fri(&self, fri: u128) -> Option<u128> {
        let unit = 10u128.checked_pow(self.decimals)?;
        let numerator = fri.checked_mul(unit)?;
        Some(numerator.div_ceil(self.price_in_strk))
    }
}

/// The resolved configuration the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    /// Listen address.
    pub listen: String,
    /// Starknet JSON-RPC URL.
    pub rpc_url: String,
    /// Database URL.
    pub database_url: String,
    /// This instance's name for its in-flight requests.
    pub instance_id: String,
    /// Relayers (empty: ask devnet for its predeployed accounts).
    pub relayers: Vec<RelayerConfig>,
    /// Fee recipient (default: the first relayer).
    pub fee_recipient: Option<Felt>,
    /// Tokens.
    pub tokens: Vec<Token>,
    /// Seconds an outside execution stays valid.
    pub execution_window_seconds: u64,
    /// Quote overhead in L2 gas.
    pub validation_overhead_l2_gas: u64,
    /// API keys by key.
    pub api_keys: BTreeMap<String, ApiKey>,
}

fn amount(name: &str, text: &str) -> Result<u128, ConfigError> {
    text.parse::<u128>().map_err(|_| {
        ConfigError::Invalid(format!("{name} = {text:?} is not an amount in FRI (a decimal integer)"))
    })
}

impl Config {
    /// Reads `path` (or the defaults), then the environment variables over it.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match path {
            Some(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse { path: shown, source })?
            }
            None => ConfigFile::default(),
        };
        Self::resolve(file, |name| std::env::var(name).ok())
    }

    /// Resolves a parsed file, reading variables through `env`.
    pub fn resolve(mut file: ConfigFile, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        if let Some(listen) = env("SESSION_PAYMASTER_LISTEN") {
            file.listen = listen;
        }
        if let Some(rpc) = env("SESSION_PAYMASTER_RPC_URL") {
            file.rpc_url = rpc;
        }
        if let Some(database) = env("SESSION_PAYMASTER_DATABASE_URL") {
            file.database_url = database;
        }
        if let Some(relayers) = env("SESSION_PAYMASTER_RELAYERS") {
            file.relayers = relayers
                .split(',')
                .filter(|entry| !entry.trim().is_empty())
                .map(|entry| {
                    let (address, key) = entry.trim().split_once(':').ok_or_else(|| {
                        ConfigError::Invalid("SESSION_PAYMASTER_RELAYERS is address:private_key,…".to_owned())
                    })?;
                    let felt = |text: &str| {
                        Felt::from_hex(text).map_err(|_| {
                            ConfigError::Invalid(format!("{text:?} in SESSION_PAYMASTER_RELAYERS is not hex"))
                        })
                    };
                    Ok(RelayerConfig { address: felt(address)?, private_key: felt(key)? })
                })
                .collect::<Result<_, ConfigError>>()?;
        }
        let tokens = file
            .tokens
            .iter()
            .map(|token| {
                let price_in_strk = amount("tokens.price_in_strk", &token.price_in_strk)?;
                if price_in_strk == 0 {
                    return Err(ConfigError::Invalid(format!("token {:#x} has a price of 0", token.address)));
                }
                Ok(Token { address: token.address, decimals: token.decimals, price_in_strk })
            })
            .collect::<Result<_, _>>()?;
        let mut api_keys = BTreeMap::new();
        for key in &file.api_keys {
            let secret = match (&key.key, &key.key_env) {
                (Some(secret), None) => secret.clone(),
                (None, Some(variable)) => env(variable).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "api key {:?}: the variable {variable} is not set",
                        key.name
                    ))
                })?,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "api key {:?}: give exactly one of key, key_env",
                        key.name
                    )))
                }
            };
            let mut allowed = BTreeMap::new();
            for rule in &key.allow {
                let selectors = if rule.entrypoints.iter().any(|name| name == "*") {
                    None
                } else {
                    Some(
                        rule.entrypoints
                            .iter()
                            .map(|name| {
                                get_selector_from_name(name).map(|selector| (selector, name.clone())).map_err(
                                    |_| ConfigError::Invalid(format!("{name:?} is not an entrypoint name")),
                                )
                            })
                            .collect::<Result<BTreeMap<_, _>, _>>()?,
                    )
                };
                allowed.insert(rule.contract, selectors);
            }
            for mode in &key.fee_modes {
                if mode != "sponsored" && mode != "default" {
                    return Err(ConfigError::Invalid(format!(
                        "api key {:?}: fee mode {mode:?} is not sponsored or default",
                        key.name
                    )));
                }
            }
            let resolved = ApiKey {
                name: key.name.clone(),
                sponsored: key.fee_modes.iter().any(|mode| mode == "sponsored"),
                pay_in_token: key.fee_modes.iter().any(|mode| mode == "default"),
                rules: SponsorRules { allowed },
                daily_budget: amount("daily_budget_fri", &key.daily_budget_fri)?,
                user_daily_budget: amount("user_daily_budget_fri", &key.user_daily_budget_fri)?,
                requests_per_minute: key.requests_per_minute,
                max_fee_per_transaction: amount(
                    "max_fee_per_transaction_fri",
                    &key.max_fee_per_transaction_fri,
                )?,
            };
            if api_keys.insert(secret, resolved).is_some() {
                return Err(ConfigError::Invalid(format!("api key {:?} repeats another key", key.name)));
            }
        }
        Ok(Self {
            instance_id: file.instance_id.unwrap_or_else(|| file.listen.clone()),
            listen: file.listen,
            rpc_url: file.rpc_url,
            database_url: file.database_url,
            relayers: file.relayers,
            fee_recipient: file.fee_recipient,
            tokens,
            execution_window_seconds: file.execution_window_seconds,
            validation_overhead_l2_gas: file.validation_overhead_l2_gas,
            api_keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
listen = "127.0.0.1:9000"
[[tokens]]
address = "0x10"
decimals = 6
price_in_strk = "2000000000000000000"
[[api_keys]]
name = "game"
key_env = "GAME_KEY"
fee_modes = ["sponsored", "default"]
daily_budget_fri = "100000000000000000000"
user_daily_budget_fri = "5"
requests_per_minute = 60
max_fee_per_transaction_fri = "7"
[[api_keys.allow]]
contract = "0x50"
entrypoints = ["increase"]
"#;

    #[test]
    fn the_environment_overrides_the_file_and_holds_the_keys() {
        let file: ConfigFile = toml::from_str(FILE).unwrap();
        let env = |name: &str| match name {
            "GAME_KEY" => Some("secret".to_owned()),
            "SESSION_PAYMASTER_LISTEN" => Some("127.0.0.1:9100".to_owned()),
            "SESSION_PAYMASTER_RELAYERS" => Some("0x1:0x2,0x3:0x4".to_owned()),
            _ => None,
        };
        let config = Config::resolve(file, env).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9100");
        assert_eq!(config.relayers.len(), 2);
        let key = &config.api_keys["secret"];
        assert_eq!(
            (key.daily_budget, key.user_daily_budget, key.max_fee_per_transaction),
            (100_000_000_000_000_000_000, 5, 7)
        );
        assert!(key.sponsored && key.pay_in_token);
        let increase = get_selector_from_name("increase").unwrap();
        assert!(key.rules.allows(Felt::from(0x50u8), increase));
        assert!(!key.rules.allows(Felt::from(0x50u8), get_selector_from_name("reset").unwrap()));
        assert!(!key.rules.allows(Felt::from(0x51u8), increase));
        // 1 FRI at 2 STRK per whole 6-decimal token: 5e-13 units, rounded up to 1.
        assert_eq!(config.tokens[0].from_fri(1), Some(1));
        assert_eq!(config.tokens[0].from_fri(4_000_000_000_000), Some(2));
    }

    #[test]
    fn the_example_configuration_is_valid() {
        let file: ConfigFile = toml::from_str(include_str!("../paymaster.example.toml")).unwrap();
        let config =
            Config::resolve(file, |name| (name == "MY_GAME_PAYMASTER_KEY").then(|| "k".to_owned())).unwrap();
        assert_eq!(config.api_keys["k"].name, "my-game");
        assert_eq!(config.instance_id, "paymaster-1");
    }

    #[test]
    fn bad_values_are_named() {
        let file: ConfigFile = toml::from_str(&FILE.replace("\"7\"", "\"seven\"")).unwrap();
        let error = Config::resolve(file, |name| (name == "GAME_KEY").then(|| "k".to_owned()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_fee_per_transaction_fri = \"seven\""), "{error}");
        let file: ConfigFile = toml::from_str(FILE).unwrap();
        let error = Config::resolve(file, |_| None).unwrap_err().to_string();
        assert!(error.contains("GAME_KEY is not set"), "{error}");
    }
}
