//! Session policies: spend limits per token, a call limit, fee caps, and argument rules
//! of allowed methods — encoded, hashed and checked exactly as the contract does.
//!
//! On the wire (and in what the owner signs) a limit at its type's maximum is no limit; this
//! crate spells that `None` (and [`U256_MAX`] for an unlimited spend limit), so 0 always means
//! zero.

use starknet_core::types::{Call, Felt, U256};
use starknet_core::utils::get_selector_from_name;
use starknet_crypto::poseidon_hash_many;

use crate::snip12::{
    protocol_type_hash, short_string, token_amount_struct_hash, u256_struct_hash, ARGUMENT_RULE_TYPE,
    POLICY_TYPE, SPEND_LIMIT_TYPE,
};

/// `u256` max: the amount of a spend limit that never binds.
pub const U256_MAX: U256 = U256::from_words(u128::MAX, u128::MAX);
/// The longest window a spend limit may have: 2^32 - 1 seconds (the account stores it in 32 bits).
pub const MAX_WINDOW_SECONDS: u64 = u32::MAX as u64;

/// The limits of a session beyond its allowed methods and expiry. The session commits to its
/// SNIP-12 struct hash ([`Policy::struct_hash`]), which a wallet displays field by field; the
/// policy itself travels in session signatures (unless it sets no limit at all).
///
/// Tokens missing from `spend_limits` may move nothing (in every session): a call to
/// `transfer`, `transfer_from`/`transferFrom`, `approve` or `increase_allowance`/`increaseAllowance`
/// on them is refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// Most fee (FRI) one session transaction may commit to through its resource bounds and tip;
    /// `None`: no cap.
    #[serde(default, with = "opt_decimal", skip_serializing_if = "Option::is_none")]
    pub max_fee_per_tx: Option<u128>,
    /// Most fee all the session's transactions together may commit to; `None`: no budget.
    #[serde(default, with = "opt_decimal", skip_serializing_if = "Option::is_none")]
    pub fee_budget: Option<u128>,
    /// Most calls the session's successful transactions may make in total; `None`: no limit.
    #[serde(default, with = "opt_decimal", skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<u64>,
    /// Value tokens may move or approve, over the session's lifetime or per window; a token may
    /// have several limits (one per period, e.g. per day and in total), each with its own
    /// counter. Canonical order: strictly increasing by (token, period) (see
    /// [`Policy::normalized`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spend_limits: Vec<SpendLimit>,
    /// Unix time before which the session may not be used (0: at once), exact at execution: a
    /// subscription's first payment next month, a session registered ahead of time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub valid_after: u64,
    /// The window `max_calls` and `fee_budget` apply to, in seconds (a whole number of hours,
    /// windows from the Unix epoch): e.g. 10 calls and 1 STRK of fees per hour. 0: the whole
    /// session.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limits_window: u64,
}

/// How much of one token a session may move or approve, in total or per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SpendLimit {
    /// The token contract.
    pub token: Felt,
    /// The amount in the token's smallest unit ([`U256_MAX`]: unlimited, not accounted).
    #[serde(with = "u256_serde")]
    pub amount: U256,
    /// 0: for the session's lifetime; else the window length in seconds (a whole number of
    /// hours), windows starting at multiples of it since the Unix epoch.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub period: u64,
}

/// Whether `window` is a calls-and-fees window the account takes: 0 (none) or a whole number of
/// hours below 2^32 seconds.
fn is_limits_window(window: u64) -> bool {
    window.is_multiple_of(3600) && window <= MAX_WINDOW_SECONDS
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl SpendLimit {
    /// `amount` of `token` over the session's lifetime.
    pub fn lifetime(token: Felt, amount: U256) -> Self {
        Self { token, amount, period: 0 }
    }

    /// `amount` of `token` per window of `period` seconds (a whole number of hours).
    pub fn per_window(token: Felt, amount: U256, period: u64) -> Self {
        Self { token, amount, period }
    }

    /// Any amount of `token`: the owner's explicit opt-out of default deny for that token.
    pub fn unlimited(token: Felt) -> Self {
        Self::lifetime(token, U256_MAX)
    }

    /// Whether the limit never binds (its amount is `u256` max); the account does not count it.
    pub fn is_unlimited(&self) -> bool {
        self.amount == U256_MAX
    }

    /// The window containing time `now` (0 for a lifetime limit).
    pub fn window(&self, now: u64) -> u64 {
        now.checked_div(self.period).unwrap_or(0)
    }

    /// The SNIP-12 struct hash of the limit (`Spend Limit { Token Amount, Window Seconds }`).
    pub fn struct_hash(&self) -> Felt {
        poseidon_hash_many(&[
            protocol_type_hash(SPEND_LIMIT_TYPE),
            token_amount_struct_hash(self.token, self.amount),
            self.period.into(),
        ])
    }
}

/// Why a policy is not one the contract accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Two spend limits name the same token and period (`Session: spend limits unordered`).
    #[error("token {token:#x} has two spend limits with the same period ({period} s)")]
    DuplicateSpendLimit {
        /// The token.
        token: Felt,
        /// The period both limits use.
        period: u64,
    },
    /// A spend limit's amount is above `u128` max without being unlimited (`Session: limit above
    /// u128`): the account counts spending in `u128`.
    #[error("the spend limit of token {token:#x} is above u128 max; give at most 2^128 - 1, or unlimited")]
    AmountAboveU128 {
        /// The token.
        token: Felt,
    },
    /// A spend limit's window is 2^32 seconds (136 years) or longer (`Session: window too long`).
    #[error(
        "the spend limit of token {token:#x} has a window of {period} s; windows must be shorter than 2^32 s"
    )]
    WindowTooLong {
        /// The token.
        token: Felt,
        /// The window.
        period: u64,
    },
    /// The window of the call limit and fee budget is not a whole number of hours below 2^32
    /// seconds (`Session: bad limits window`), or there is no call limit or fee budget to apply
    /// it to.
    #[error("the calls and fees window of {0} s must be a whole number of hours below 2^32 s, with a call limit or fee budget")]
    BadLimitsWindow(u64),
    /// The serialized policy is malformed (`Session: malformed signature`).
    #[error("malformed policy: {0}")]
    Malformed(&'static str),
}

impl Policy {
    /// Whether the policy sets no limit at all (its hash is [`Policy::unlimited_hash`], and it
    /// need not travel in signatures).
    pub fn is_unlimited(&self) -> bool {
        *self == Self::default()
    }

    /// The struct hash of the policy without limits.
    pub fn unlimited_hash() -> Felt {
        static HASH: std::sync::OnceLock<Felt> = std::sync::OnceLock::new();
        *HASH.get_or_init(|| Self::default().struct_hash())
    }

    /// The same policy with its spend limits in canonical order, or the first duplicate
    /// (token, period) found.
    pub fn normalized(mut self) -> Result<Self, PolicyError> {
        // A limit at its type's maximum is no limit: spell it `None`, as decoding does.
        self.max_fee_per_tx = self.max_fee_per_tx.filter(|fee| *fee != u128::MAX);
        self.fee_budget = self.fee_budget.filter(|budget| *budget != u128::MAX);
        self.max_calls = self.max_calls.filter(|calls| *calls != u64::MAX);
        if let Some(limit) =
            self.spend_limits.iter().find(|limit| limit.amount.high() != 0 && !limit.is_unlimited())
        {
            return Err(PolicyError::AmountAboveU128 { token: limit.token });
        }
        if let Some(limit) = self.spend_limits.iter().find(|limit| limit.period > MAX_WINDOW_SECONDS) {
            return Err(PolicyError::WindowTooLong { token: limit.token, period: limit.period });
        }
        let windowed = self.max_calls.is_some() || self.fee_budget.is_some();
        if !is_limits_window(self.limits_window) || (self.limits_window != 0 && !windowed) {
            return Err(PolicyError::BadLimitsWindow(self.limits_window));
        }
        self.spend_limits.sort_by_key(|limit| (limit.token, limit.period));
        if let Some(pair) = self
            .spend_limits
            .windows(2)
            .find(|pair| (pair[0].token, pair[0].period) == (pair[1].token, pair[1].period))
        {
            return Err(PolicyError::DuplicateSpendLimit { token: pair[0].token, period: pair[0].period });
        }
        Ok(self)
    }

    /// The spend limits of `token`.
    pub fn limits_of(&self, token: Felt) -> impl Iterator<Item = &SpendLimit> {
        self.spend_limits.iter().filter(move |limit| limit.token == token)
    }

    /// The fields as the contract stores them: no limit is the type's maximum.
    fn wire_fields(&self) -> [Felt; 3] {
        [
            Felt::from(self.max_fee_per_tx.unwrap_or(u128::MAX)),
            Felt::from(self.fee_budget.unwrap_or(u128::MAX)),
            Felt::from(self.max_calls.unwrap_or(u64::MAX)),
        ]
    }

    /// The policy as the contract's `Policy` struct serializes it.
    pub fn to_felts(&self) -> Vec<Felt> {
        let mut felts = self.wire_fields().to_vec();
        felts.push(Felt::from(self.spend_limits.len()));
        for limit in &self.spend_limits {
            felts.extend([
                limit.token,
                Felt::from(limit.amount.low()),
                Felt::from(limit.amount.high()),
                Felt::from(limit.period),
            ]);
        }
        felts.extend([Felt::from(self.valid_after), Felt::from(self.limits_window)]);
        felts
    }

    /// The SNIP-12 struct hash of the policy: the session's `Policy` field.
    pub fn struct_hash(&self) -> Felt {
        let limits: Vec<Felt> = self.spend_limits.iter().map(SpendLimit::struct_hash).collect();
        let [max_fee, budget, calls] = self.wire_fields();
        poseidon_hash_many(&[
            protocol_type_hash(POLICY_TYPE),
            max_fee,
            budget,
            calls,
            poseidon_hash_many(&limits),
            Felt::from(self.valid_after),
            Felt::from(self.limits_window),
        ])
    }

    /// Parses a serialized policy as the contract does (spend limits strictly increasing by
    /// token and period), returning it and the felts it used.
    pub fn from_felts(felts: &[Felt]) -> Result<(Self, usize), PolicyError> {
        let malformed = PolicyError::Malformed;
        let mut reader = FeltReader::new(felts);
        let max_fee_per_tx = reader.u128().map_err(malformed)?;
        let fee_budget = reader.u128().map_err(malformed)?;
        let max_calls = reader.u64().map_err(malformed)?;
        let count = reader.u32().map_err(malformed)?;
        let mut spend_limits = Vec::new();
        for _ in 0..count {
            let token = reader.felt().map_err(malformed)?;
            let amount =
                U256::from_words(reader.u128().map_err(malformed)?, reader.u128().map_err(malformed)?);
            let period = reader.u64().map_err(malformed)?;
            spend_limits.push(SpendLimit { token, amount, period });
        }
        let valid_after = reader.u64().map_err(malformed)?;
        let limits_window = reader.u64().map_err(malformed)?;
        if !is_limits_window(limits_window) {
            return Err(PolicyError::BadLimitsWindow(limits_window));
        }
        if let Some(pair) = spend_limits
            .windows(2)
            .find(|pair| (pair[0].token, pair[0].period) >= (pair[1].token, pair[1].period))
        {
            return Err(if (pair[0].token, pair[0].period) == (pair[1].token, pair[1].period) {
                PolicyError::DuplicateSpendLimit { token: pair[0].token, period: pair[0].period }
            } else {
                PolicyError::Malformed("spend limits not in (token, period) order")
            });
        }
        let policy = Self {
            max_fee_per_tx: (max_fee_per_tx != u128::MAX).then_some(max_fee_per_tx),
            fee_budget: (fee_budget != u128::MAX).then_some(fee_budget),
            max_calls: (max_calls != u64::MAX).then_some(max_calls),
            spend_limits,
            valid_after,
            limits_window,
        };
        Ok((policy, reader.used))
    }
}

/// A rule on one calldata argument of an allowed method (committed inside its Merkle leaf).
/// On the wire and in the signed typed data it is an `Argument Rule { Kind, Argument Index,
/// Values, Bound }` struct (see [`ArgumentRule::kind`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum ArgumentRule {
    /// `calldata[index] == value`.
    Equal {
        /// Calldata index.
        index: u32,
        /// Required value.
        value: Felt,
    },
    /// `calldata[index]` is one of `values`.
    OneOf {
        /// Calldata index.
        index: u32,
        /// Allowed values.
        values: Vec<Felt>,
    },
    /// `calldata[index]`, as an unsigned integer, is at most `bound`.
    AtMost {
        /// Calldata index.
        index: u32,
        /// Inclusive bound.
        bound: Felt,
    },
    /// The `u256` at `calldata[index]` (low) and `calldata[index + 1]` (high) is at most `bound`.
    AtMostU256 {
        /// Calldata index of the low word.
        index: u32,
        /// Inclusive bound.
        #[serde(with = "u256_serde")]
        bound: U256,
    },
    /// `calldata[index]`, as an unsigned integer, is at least `bound` (e.g. a swap's minimum
    /// amount out: a slippage bound).
    AtLeast {
        /// Calldata index.
        index: u32,
        /// Inclusive bound.
        bound: Felt,
    },
    /// The `u256` at `calldata[index]` (low) and `calldata[index + 1]` (high) is at least `bound`.
    AtLeastU256 {
        /// Calldata index of the low word.
        index: u32,
        /// Inclusive bound.
        #[serde(with = "u256_serde")]
        bound: U256,
    },
    /// `calldata[index]` is not `value` (a call without that argument is refused too).
    NotEqual {
        /// Calldata index.
        index: u32,
        /// Refused value.
        value: Felt,
    },
    /// The `u256` arguments at `calldata[index]` of all the session's calls of the method add up
    /// to at most `bound` (at most `u128` max) — over the whole session (`period` 0) or per
    /// window of `period` seconds (whole hours). The account counts them when it validates each
    /// transaction (`Session: rule total exceeded`).
    TotalAtMostU256 {
        /// Calldata index of the low word.
        index: u32,
        /// Inclusive bound on the total.
        #[serde(with = "u256_serde")]
        bound: U256,
        /// Window in seconds; 0: the whole session.
        #[serde(default)]
        period: u64,
    },
}

impl ArgumentRule {
    /// Whether `calldata` obeys the rule.
    pub fn allows(&self, calldata: &[Felt]) -> bool {
        match self {
            Self::Equal { index, value } => calldata.get(*index as usize) == Some(value),
            Self::OneOf { index, values } => {
                calldata.get(*index as usize).is_some_and(|argument| values.contains(argument))
            }
            Self::AtMost { index, bound } => {
                calldata.get(*index as usize).is_some_and(|argument| argument <= bound)
            }
            Self::AtMostU256 { index, bound } => {
                read_u256(calldata, *index as usize).is_some_and(|v| v <= *bound)
            }
            Self::AtLeast { index, bound } => {
                calldata.get(*index as usize).is_some_and(|argument| argument >= bound)
            }
            Self::AtLeastU256 { index, bound } => {
                read_u256(calldata, *index as usize).is_some_and(|v| v >= *bound)
            }
            Self::NotEqual { index, value } => {
                calldata.get(*index as usize).is_some_and(|argument| argument != value)
            }
            // One call alone within the bound; what earlier calls used is the account's count.
            Self::TotalAtMostU256 { index, bound, .. } => {
                read_u256(calldata, *index as usize).is_some_and(|v| v <= *bound)
            }
        }
    }

    /// The calldata index the rule reads.
    pub fn index(&self) -> u32 {
        match self {
            Self::Equal { index, .. }
            | Self::OneOf { index, .. }
            | Self::AtMost { index, .. }
            | Self::AtMostU256 { index, .. }
            | Self::AtLeast { index, .. }
            | Self::AtLeastU256 { index, .. }
            | Self::NotEqual { index, .. }
            | Self::TotalAtMostU256 { index, .. } => *index,
        }
    }

    /// Whether the rule reads a `u256` (two calldata felts from its index).
    pub fn reads_u256(&self) -> bool {
        matches!(self, Self::AtMostU256 { .. } | Self::AtLeastU256 { .. } | Self::TotalAtMostU256 { .. })
    }

    /// The rule in plain words, e.g. `argument 0 = 0xb0b`, `u256 argument 1 ≤ 500`.
    pub fn describe(&self) -> String {
        match self {
            Self::Equal { index, value } => format!("argument {index} = {value:#x}"),
            Self::OneOf { index, values } => {
                let values: Vec<String> = values.iter().map(|value| format!("{value:#x}")).collect();
                format!("argument {index} in {{{}}}", values.join(", "))
            }
            Self::AtMost { index, bound } => format!("argument {index} ≤ {bound}"),
            Self::AtMostU256 { index, bound } => format!("u256 argument {index} ≤ {bound}"),
            Self::AtLeast { index, bound } => format!("argument {index} ≥ {bound}"),
            Self::AtLeastU256 { index, bound } => format!("u256 argument {index} ≥ {bound}"),
            Self::NotEqual { index, value } => format!("argument {index} ≠ {value:#x}"),
            Self::TotalAtMostU256 { index, bound, period: 0 } => {
                format!("u256 argument {index} adds up to ≤ {bound} over the session")
            }
            Self::TotalAtMostU256 { index, bound, period } => {
                format!("u256 argument {index} adds up to ≤ {bound} per {period}-second window")
            }
        }
    }

    /// Why `calldata` breaks the rule, in plain words (e.g. `argument 1 is 501, at most 500`).
    pub fn explain_violation(&self, calldata: &[Felt]) -> String {
        let index = self.index();
        let missing =
            || format!("argument {index} is missing (the call has {} calldata felts)", calldata.len());
        match self {
            Self::Equal { value, .. } => match calldata.get(index as usize) {
                Some(argument) => format!("argument {index} is {argument:#x}, but must be {value:#x}"),
                None => missing(),
            },
            Self::OneOf { values, .. } => match calldata.get(index as usize) {
                Some(argument) => {
                    let values: Vec<String> = values.iter().map(|value| format!("{value:#x}")).collect();
                    format!("argument {index} is {argument:#x}, but must be one of {}", values.join(", "))
                }
                None => missing(),
            },
            Self::AtMost { bound, .. } => match calldata.get(index as usize) {
                Some(argument) => format!("argument {index} is {argument}, but must be at most {bound}"),
                None => missing(),
            },
            Self::AtMostU256 { bound, .. } => match read_u256(calldata, index as usize) {
                Some(argument) => format!("u256 argument {index} is {argument}, but must be at most {bound}"),
                None => format!("u256 argument {index} is missing or not a u256"),
            },
            Self::AtLeast { bound, .. } => match calldata.get(index as usize) {
                Some(argument) => format!("argument {index} is {argument}, but must be at least {bound}"),
                None => missing(),
            },
            Self::AtLeastU256 { bound, .. } => match read_u256(calldata, index as usize) {
                Some(argument) => {
                    format!("u256 argument {index} is {argument}, but must be at least {bound}")
                }
                None => format!("u256 argument {index} is missing or not a u256"),
            },
            Self::NotEqual { value, .. } => match calldata.get(index as usize) {
                Some(_) => format!("argument {index} is {value:#x}, which the session refuses"),
                None => missing(),
            },
            Self::TotalAtMostU256 { bound, .. } => match read_u256(calldata, index as usize) {
                Some(argument) => {
                    format!("u256 argument {index} is {argument}, more than the total of {bound} the session allows")
                }
                None => format!("u256 argument {index} is missing or not a u256"),
            },
        }
    }

    /// The rule's `Kind` as signed: `equal`, `one of`, `at most`, `at most u256`, `at least`,
    /// `at least u256` or `not equal`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Equal { .. } => "equal",
            Self::OneOf { .. } => "one of",
            Self::AtMost { .. } => "at most",
            Self::AtMostU256 { .. } => "at most u256",
            Self::AtLeast { .. } => "at least",
            Self::AtLeastU256 { .. } => "at least u256",
            Self::NotEqual { .. } => "not equal",
            Self::TotalAtMostU256 { .. } => "total at most u256",
        }
    }

    /// The rule's `Values` and `Bound` fields as signed.
    pub(crate) fn values_and_bound(&self) -> (Vec<Felt>, U256) {
        let zero = U256::from(0u8);
        match self {
            Self::Equal { value, .. } | Self::NotEqual { value, .. } => (vec![*value], zero),
            Self::OneOf { values, .. } => (values.clone(), zero),
            Self::AtMost { bound, .. } | Self::AtLeast { bound, .. } => (vec![], U256::from(*bound)),
            Self::AtMostU256 { bound, .. } | Self::AtLeastU256 { bound, .. } => (vec![], *bound),
            Self::TotalAtMostU256 { bound, period, .. } => {
                let values = if *period == 0 { vec![] } else { vec![Felt::from(*period)] };
                (values, *bound)
            }
        }
    }

    /// The SNIP-12 struct hash of the rule (what its method's leaf commits to).
    pub fn struct_hash(&self) -> Felt {
        let (values, bound) = self.values_and_bound();
        poseidon_hash_many(&[
            protocol_type_hash(ARGUMENT_RULE_TYPE),
            short_string(self.kind()),
            self.index().into(),
            poseidon_hash_many(&values),
            u256_struct_hash(bound),
        ])
    }

    fn extend_felts(&self, felts: &mut Vec<Felt>) {
        let (values, bound) = self.values_and_bound();
        felts.extend([short_string(self.kind()), Felt::from(self.index()), Felt::from(values.len())]);
        felts.extend(values);
        felts.extend([Felt::from(bound.low()), Felt::from(bound.high())]);
    }
}

/// Rules as the contract serializes a `Span<ArgumentRule>` (length first).
pub fn argument_rules_felts(rules: &[ArgumentRule]) -> Vec<Felt> {
    let mut felts = vec![Felt::from(rules.len())];
    for rule in rules {
        rule.extend_felts(&mut felts);
    }
    felts
}

/// Parses serialized rules, returning them and the felts they used. Rules the contract would
/// refuse (unknown kind, values or bound that do not fit the kind) are refused.
pub fn argument_rules_from_felts(felts: &[Felt]) -> Result<(Vec<ArgumentRule>, usize), &'static str> {
    let mut reader = FeltReader::new(felts);
    let count = reader.u32()?;
    let mut rules = Vec::new();
    for _ in 0..count {
        let kind = reader.felt()?;
        let index = reader.u32()? as u32;
        let length = reader.u32()?;
        let values = reader.take(length)?.to_vec();
        let bound = U256::from_words(reader.u128()?, reader.u128()?);
        let zero = U256::from(0u8);
        let rule = match kind {
            k if k == short_string("equal") && values.len() == 1 && bound == zero => {
                ArgumentRule::Equal { index, value: values[0] }
            }
            k if k == short_string("one of") && !values.is_empty() && bound == zero => {
                ArgumentRule::OneOf { index, values }
            }
            k if k == short_string("not equal") && values.len() == 1 && bound == zero => {
                ArgumentRule::NotEqual { index, value: values[0] }
            }
            k if (k == short_string("at most") || k == short_string("at least")) && values.is_empty() => {
                let felt = Felt::from(bound.high()) * Felt::from(1u128 << 64) * Felt::from(1u128 << 64)
                    + Felt::from(bound.low());
                if U256::from(felt) != bound {
                    return Err("argument rule bound is not a felt");
                }
                if k == short_string("at most") {
                    ArgumentRule::AtMost { index, bound: felt }
                } else {
                    ArgumentRule::AtLeast { index, bound: felt }
                }
            }
            k if k == short_string("at most u256") && values.is_empty() => {
                ArgumentRule::AtMostU256 { index, bound }
            }
            k if k == short_string("at least u256") && values.is_empty() => {
                ArgumentRule::AtLeastU256 { index, bound }
            }
            k if k == short_string("total at most u256") && values.len() <= 1 && bound.high() == 0 => {
                let period = match values.first() {
                    None => 0,
                    Some(window) => {
                        let window =
                            u64::try_from(*window).map_err(|_| "argument rule window is too long")?;
                        if window == 0 || !window.is_multiple_of(3600) || window >= 1 << 32 {
                            return Err(
                                "argument rule window is not a whole number of hours below 2^32 seconds",
                            );
                        }
                        window
                    }
                };
                ArgumentRule::TotalAtMostU256 { index, bound, period }
            }
            k if [
                "equal",
                "one of",
                "at most",
                "at most u256",
                "at least",
                "at least u256",
                "not equal",
                "total at most u256",
            ]
            .iter()
            .any(|name| short_string(name) == k) =>
            {
                return Err("argument rule values or bound do not fit its kind")
            }
            _ => return Err("unknown argument rule"),
        };
        rules.push(rule);
    }
    Ok((rules, reader.used))
}

/// The struct hashes of `rules`, as their method's leaf commits to them.
pub fn argument_rule_hashes(rules: &[ArgumentRule]) -> Vec<Felt> {
    rules.iter().map(ArgumentRule::struct_hash).collect()
}

/// The ERC-20 entrypoints that move or authorize value, with the calldata index of their amount.
pub const VALUE_ENTRYPOINTS: [(&str, usize); 6] = [
    ("transfer", 1),
    ("approve", 1),
    ("increase_allowance", 1),
    ("increaseAllowance", 1),
    ("transfer_from", 2),
    ("transferFrom", 2),
];

/// The amount `call` moves or approves: `None` for calls that are not ERC-20 value calls,
/// `Some(Err(()))` when a value call's amount is missing or not a valid `u256`.
pub fn value_moved(call: &Call) -> Option<Result<U256, ()>> {
    let index = value_selectors()
        .iter()
        .find_map(|(selector, index)| (*selector == call.selector).then_some(*index))?;
    Some(read_u256(&call.calldata, index).ok_or(()))
}

/// [`VALUE_ENTRYPOINTS`] by selector, computed once (signing checks every call against them).
fn value_selectors() -> &'static [(Felt, usize); 6] {
    static SELECTORS: std::sync::OnceLock<[(Felt, usize); 6]> = std::sync::OnceLock::new();
    SELECTORS.get_or_init(|| {
        VALUE_ENTRYPOINTS.map(|(name, index)| {
            (get_selector_from_name(name).expect("the ERC-20 entrypoint names are valid"), index)
        })
    })
}

/// `a + b`, or `None` on overflow.
pub fn checked_add_u256(a: U256, b: U256) -> Option<U256> {
    let (low, carry) = a.low().overflowing_add(b.low());
    let high = a.high().checked_add(b.high())?.checked_add(u128::from(carry))?;
    Some(U256::from_words(low, high))
}

fn read_u256(calldata: &[Felt], index: usize) -> Option<U256> {
    let low: u128 = (*calldata.get(index)?).try_into().ok()?;
    let high: u128 = (*calldata.get(index.checked_add(1)?)?).try_into().ok()?;
    Some(U256::from_words(low, high))
}

struct FeltReader<'a> {
    felts: &'a [Felt],
    used: usize,
}

impl<'a> FeltReader<'a> {
    fn new(felts: &'a [Felt]) -> Self {
        Self { felts, used: 0 }
    }

    fn take(&mut self, count: usize) -> Result<&'a [Felt], &'static str> {
        let end = self.used.checked_add(count).filter(|end| *end <= self.felts.len()).ok_or("truncated")?;
        let taken = &self.felts[self.used..end];
        self.used = end;
        Ok(taken)
    }

    fn felt(&mut self) -> Result<Felt, &'static str> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<usize, &'static str> {
        let value: u32 = self.felt()?.try_into().map_err(|_| "length out of range")?;
        Ok(value as usize)
    }

    fn u64(&mut self) -> Result<u64, &'static str> {
        self.felt()?.try_into().map_err(|_| "u64 out of range")
    }

    fn u128(&mut self) -> Result<u128, &'static str> {
        self.felt()?.try_into().map_err(|_| "u128 out of range")
    }
}

/// An optional number as an optional decimal string (JSON numbers lose precision above 2^53).
mod opt_decimal {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: ToString, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_str(&value.to_string()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: std::str::FromStr, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| {
                text.parse().map_err(|_| {
                    serde::de::Error::custom(format!("{text:?} is not a {}", std::any::type_name::<T>()))
                })
            })
            .transpose()
    }
}

mod u256_serde {
    use serde::{Deserialize, Deserializer, Serializer};
    use starknet_core::types::U256;

    pub fn serialize<S: Serializer>(value: &U256, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<U256, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_u256(&text).map_err(serde::de::Error::custom)
    }
}

/// Parses a decimal or `0x` hexadecimal `u256`.
pub fn parse_u256(text: &str) -> Result<U256, String> {
    let (digits, radix) = match text.strip_prefix("0x") {
        Some(hex) => (hex, 16u32),
        None => (text, 10u32),
    };
    if digits.is_empty() {
        return Err(format!("{text:?} is not a number"));
    }
    let mut value = U256::from(0u8);
    for c in digits.chars() {
        let digit = c.to_digit(radix).ok_or_else(|| format!("{text:?} is not a number"))?;
        let shifted = mul_small(value, radix).ok_or_else(|| format!("{text:?} does not fit in a u256"))?;
        value = checked_add_u256(shifted, U256::from(digit))
            .ok_or_else(|| format!("{text:?} does not fit in a u256"))?;
    }
    Ok(value)
}

fn mul_small(value: U256, factor: u32) -> Option<U256> {
    let factor = u128::from(factor);
    let (low_hi, low_lo) = widening_mul(value.low(), factor);
    let (high_hi, high) = widening_mul(value.high(), factor);
    if high_hi != 0 {
        return None;
    }
    let high = high.checked_add(low_hi)?;
    Some(U256::from_words(low_lo, high))
}

/// `(a * b) >> 128, (a * b) mod 2^128` for a small `b`.
fn widening_mul(a: u128, b: u128) -> (u128, u128) {
    let (a_hi, a_lo) = (a >> 64, a & u128::from(u64::MAX));
    let lo = a_lo * b;
    let mid = a_hi * b + (lo >> 64);
    (mid >> 64, (mid << 64) | (lo & u128::from(u64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u256(value: u128) -> U256 {
        U256::from(value)
    }

    #[test]
    fn policy_round_trips_through_felts_and_refuses_truncation() {
        let token = Felt::from(7u8);
        let policy = Policy {
            max_fee_per_tx: Some(10),
            fee_budget: Some(100),
            max_calls: Some(3),
            spend_limits: vec![
                SpendLimit::lifetime(token, U256::from_words(5, 1)),
                SpendLimit::per_window(token, U256::from(9u8), 86_400),
                SpendLimit::unlimited(Felt::from(8u8)),
            ],
            valid_after: 1_900_000_000,
            limits_window: 3_600,
        };
        let felts = policy.to_felts();
        assert_eq!(felts.len(), 18);
        assert_eq!(Policy::from_felts(&felts), Ok((policy.clone(), 18)));
        assert_eq!(Policy::from_felts(&felts[..17]), Err(PolicyError::Malformed("truncated")));
        // A calls-and-fees window that is not whole hours is refused, built or decoded.
        let mut odd = felts.clone();
        odd[17] = Felt::from(5_400u32);
        assert_eq!(Policy::from_felts(&odd), Err(PolicyError::BadLimitsWindow(5_400)));
        let no_limit = Policy { limits_window: 3_600, ..Policy::default() };
        assert_eq!(no_limit.normalized(), Err(PolicyError::BadLimitsWindow(3_600)));
        let json = serde_json::to_string(&policy).unwrap();
        assert!(json.contains(r#""max_fee_per_tx":"10""#), "{json}");
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), policy);
        assert!(!policy.is_unlimited() && Policy::default().is_unlimited());
        assert_eq!(
            Policy::default().to_felts()[..3],
            [Felt::from(u128::MAX), Felt::from(u128::MAX), Felt::from(u64::MAX)]
        );
    }

    #[test]
    fn windows_of_2_pow_32_seconds_are_refused() {
        let token = Felt::from(0x70ceu64);
        let longest = Policy {
            spend_limits: vec![SpendLimit::per_window(token, U256::from(1u8), MAX_WINDOW_SECONDS)],
            ..Policy::default()
        };
        assert!(longest.normalized().is_ok());
        let too_long = Policy {
            spend_limits: vec![SpendLimit::per_window(token, U256::from(1u8), MAX_WINDOW_SECONDS + 1)],
            ..Policy::default()
        };
        assert_eq!(
            too_long.normalized(),
            Err(PolicyError::WindowTooLong { token, period: MAX_WINDOW_SECONDS + 1 })
        );
    }

    #[test]
    fn a_token_may_have_one_limit_per_period_and_never_two_with_the_same() {
        let token = Felt::from(7u8);
        let daily = SpendLimit::per_window(token, U256::from(100u8), 86_400);
        let total = SpendLimit::lifetime(token, U256::from(1000u16));
        let policy = Policy { spend_limits: vec![daily, total], ..Policy::default() }.normalized().unwrap();
        assert_eq!(policy.spend_limits, vec![total, daily]);
        let twice = Policy {
            spend_limits: vec![total, SpendLimit::lifetime(token, U256::from(1u8))],
            ..Policy::default()
        };
        assert_eq!(twice.clone().normalized(), Err(PolicyError::DuplicateSpendLimit { token, period: 0 }));
        let above = Policy {
            spend_limits: vec![SpendLimit::lifetime(token, U256::from_words(0, 1))],
            ..Policy::default()
        };
        assert_eq!(above.normalized(), Err(PolicyError::AmountAboveU128 { token }));
        // A signed policy with the same (token, period) twice, or out of order, is refused on decoding.
        assert_eq!(
            Policy::from_felts(&twice.to_felts()),
            Err(PolicyError::DuplicateSpendLimit { token, period: 0 })
        );
        let reversed = Policy { spend_limits: vec![daily, total], ..Policy::default() };
        assert!(matches!(Policy::from_felts(&reversed.to_felts()), Err(PolicyError::Malformed(_))));
        assert_eq!(
            Policy { max_calls: Some(u64::MAX), ..Policy::default() }.normalized().unwrap(),
            Policy::default()
        );
    }

    #[test]
    fn rules_round_trip_and_check_calldata() {
        let rules = vec![
            ArgumentRule::Equal { index: 0, value: Felt::from(9u8) },
            ArgumentRule::OneOf { index: 3, values: vec![Felt::ONE, Felt::TWO] },
            ArgumentRule::AtMost { index: 3, bound: Felt::TWO },
            ArgumentRule::AtMostU256 { index: 1, bound: u256(500) },
        ];
        let felts = argument_rules_felts(&rules);
        assert_eq!(argument_rules_from_felts(&felts), Ok((rules.clone(), felts.len())));
        let calldata =
            |amount: u64, last: u64| vec![Felt::from(9u8), Felt::from(amount), Felt::ZERO, Felt::from(last)];
        assert!(rules.iter().all(|rule| rule.allows(&calldata(500, 2))));
        assert!(!rules[3].allows(&calldata(501, 2)));
        assert!(!rules[1].allows(&calldata(1, 3)) && !rules[2].allows(&calldata(1, 3)));
        assert!(!rules[0].allows(&[Felt::from(8u8)]) && !rules[0].allows(&[]));
        // An `equal` rule with two values is not a rule the contract accepts.
        let mut two_values = argument_rules_felts(&rules[..1]);
        two_values[3] = Felt::TWO;
        two_values.insert(5, Felt::ONE);
        assert_eq!(
            argument_rules_from_felts(&two_values),
            Err("argument rule values or bound do not fit its kind")
        );
        let mut unknown = argument_rules_felts(&rules[..1]);
        unknown[1] = short_string("greater than");
        assert_eq!(argument_rules_from_felts(&unknown), Err("unknown argument rule"));
    }

    #[test]
    fn a_rule_total_round_trips_and_bounds_each_call() {
        let daily = ArgumentRule::TotalAtMostU256 { index: 1, bound: u256(1_000), period: 86_400 };
        let total = ArgumentRule::TotalAtMostU256 { index: 1, bound: u256(1_000), period: 0 };
        let felts = argument_rules_felts(&[daily.clone(), total.clone()]);
        assert_eq!(argument_rules_from_felts(&felts), Ok((vec![daily.clone(), total.clone()], felts.len())));
        assert_ne!(daily.struct_hash(), total.struct_hash(), "the window is signed");
        let calldata = |amount: u64| vec![Felt::ONE, Felt::from(amount), Felt::ZERO];
        assert!(daily.allows(&calldata(1_000)) && !daily.allows(&calldata(1_001)));
        assert_eq!(daily.describe(), "u256 argument 1 adds up to ≤ 1000 per 86400-second window");
        // Windows the account refuses: not whole hours, 2^32 seconds or more; bounds above u128.
        for (window, high) in
            [(Felt::from(5_400u32), 0u128), (Felt::from(1u64 << 32), 0), (Felt::from(3_600u32), 1)]
        {
            let mut bad = argument_rules_felts(std::slice::from_ref(&daily));
            bad[4] = window;
            bad[6] = Felt::from(high);
            assert!(argument_rules_from_felts(&bad).is_err(), "{window} {high}");
        }
    }

    #[test]
    fn lower_bounds_and_refused_values_hold_at_their_bound() {
        let rules = vec![
            ArgumentRule::AtLeast { index: 0, bound: Felt::from(5u8) },
            ArgumentRule::NotEqual { index: 0, value: Felt::from(7u8) },
            ArgumentRule::AtLeastU256 { index: 1, bound: u256(100) },
        ];
        let felts = argument_rules_felts(&rules);
        assert_eq!(argument_rules_from_felts(&felts), Ok((rules.clone(), felts.len())));
        let calldata = |x: u64, amount: u64| vec![Felt::from(x), Felt::from(amount), Felt::ZERO];
        assert!(rules.iter().all(|rule| rule.allows(&calldata(5, 100))), "at the bounds");
        assert!(!rules[0].allows(&calldata(4, 100)), "one below");
        assert!(!rules[1].allows(&calldata(7, 100)), "the refused value");
        assert!(!rules[2].allows(&calldata(5, 99)), "one below, u256");
        assert!(rules[2].allows(&[Felt::ZERO, Felt::ZERO, Felt::ONE]), "2^128 is at least 100");
        assert!(!rules[0].allows(&[]) && !rules[1].allows(&[]) && !rules[2].allows(&[Felt::ZERO, Felt::ONE]));
        assert_eq!(
            rules[1].explain_violation(&calldata(7, 0)),
            "argument 0 is 0x7, which the session refuses"
        );
        assert_eq!(rules[0].describe(), "argument 0 ≥ 5");
        // `not equal` takes exactly one value.
        let mut two_values = argument_rules_felts(&rules[1..2]);
        two_values[3] = Felt::TWO;
        two_values.insert(5, Felt::ONE);
        assert_eq!(
            argument_rules_from_felts(&two_values),
            Err("argument rule values or bound do not fit its kind")
        );
    }

    #[test]
    fn value_calls_are_recognised_in_both_name_styles() {
        let call = |name: &str, calldata: Vec<Felt>| Call {
            to: Felt::ONE,
            selector: get_selector_from_name(name).unwrap(),
            calldata,
        };
        let amount = vec![Felt::ONE, Felt::from(40u8), Felt::ZERO];
        assert_eq!(value_moved(&call("transfer", amount.clone())), Some(Ok(u256(40))));
        assert_eq!(value_moved(&call("increaseAllowance", amount.clone())), Some(Ok(u256(40))));
        let from = vec![Felt::ONE, Felt::TWO, Felt::from(41u8), Felt::ZERO];
        assert_eq!(value_moved(&call("transferFrom", from.clone())), Some(Ok(u256(41))));
        assert_eq!(value_moved(&call("transfer_from", from)), Some(Ok(u256(41))));
        assert_eq!(value_moved(&call("approve", vec![Felt::ONE])), Some(Err(())));
        assert_eq!(value_moved(&call("increase", amount)), None);
    }

    #[test]
    fn u256_parsing_and_addition() {
        assert_eq!(parse_u256("1000"), Ok(u256(1000)));
        assert_eq!(parse_u256("0xff"), Ok(u256(255)));
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(parse_u256(max), Ok(U256::from_words(u128::MAX, u128::MAX)));
        assert!(parse_u256("115792089237316195423570985008687907853269984665640564039457584007913129639936")
            .is_err());
        assert!(parse_u256("12a").is_err() && parse_u256("").is_err());
        assert_eq!(checked_add_u256(U256::from_words(u128::MAX, 0), u256(1)), Some(U256::from_words(0, 1)));
        assert_eq!(checked_add_u256(U256::from_words(u128::MAX, u128::MAX), u256(1)), None);
    }
}
