//! Session policies: spend limits per token, a call limit, fee caps, and argument rules
//! of allowed methods — encoded, hashed and checked exactly as the contract does.

use std::collections::BTreeMap;

use starknet_core::types::{Call, Felt, U256};
use starknet_core::utils::get_selector_from_name;
use starknet_crypto::poseidon_hash_many;

/// The limits of a session beyond its allowed methods and expiry. The session commits to it by
/// its hash ([`Policy::hash`]); the policy itself travels in every session signature.
///
/// Tokens missing from `spend_limits` may move nothing (in every session, with or without a
/// policy): a call to `transfer`, `transfer_from`/`transferFrom`, `approve` or
/// `increase_allowance`/`increaseAllowance` on them is refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// Most fee (FRI) one session transaction may commit to through its resource bounds; 0: no cap.
    pub max_fee_per_tx: u128,
    /// Most fee all the session's transactions together may commit to; 0: no budget.
    pub fee_budget: u128,
    /// Most calls the session's successful transactions may make in total; 0: no limit.
    pub max_calls: u64,
    /// Value each token may move or approve (over the session's lifetime or per window), by token
    /// address.
    pub spend_limits: BTreeMap<Felt, SpendLimit>,
}

/// How much of one token a session may move or approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpendLimit {
    /// The amount in the token's smallest unit (`u256` max: unlimited).
    #[serde(with = "u256_serde")]
    pub amount: U256,
    /// 0: for the session's lifetime; else the window length in seconds (a whole number of
    /// hours), windows starting at multiples of it since the Unix epoch.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub period: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl SpendLimit {
    /// `amount` over the session's lifetime.
    pub fn lifetime(amount: U256) -> Self {
        Self { amount, period: 0 }
    }

    /// `amount` per window of `period` seconds (a whole number of hours).
    pub fn per_window(amount: U256, period: u64) -> Self {
        Self { amount, period }
    }

    /// The window containing time `now` (0 for a lifetime limit).
    pub fn window(&self, now: u64) -> u64 {
        now.checked_div(self.period).unwrap_or(0)
    }
}

impl From<U256> for SpendLimit {
    fn from(amount: U256) -> Self {
        Self::lifetime(amount)
    }
}

impl Policy {
    /// Whether the policy sets no limit at all (such a session uses policy 0 instead).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The policy as the contract's `Policy` struct serializes it.
    pub fn to_felts(&self) -> Vec<Felt> {
        let mut felts = vec![
            Felt::from(self.max_fee_per_tx),
            Felt::from(self.fee_budget),
            Felt::from(self.max_calls),
            Felt::from(self.spend_limits.len()),
        ];
        for (token, limit) in &self.spend_limits {
            let amount = limit.amount;
            felts.extend([
                *token,
                Felt::from(amount.low()),
                Felt::from(amount.high()),
                Felt::from(limit.period),
            ]);
        }
        felts
    }

    /// The session's `policy` field for this policy: the Poseidon hash of its felts.
    pub fn hash(&self) -> Felt {
        poseidon_hash_many(&self.to_felts())
    }

    /// Parses a serialized policy, returning it and the felts it used.
    pub fn from_felts(felts: &[Felt]) -> Result<(Self, usize), &'static str> {
        let mut reader = FeltReader::new(felts);
        let max_fee_per_tx = reader.u128()?;
        let fee_budget = reader.u128()?;
        let max_calls = reader.u64()?;
        let count = reader.u32()?;
        let mut spend_limits = BTreeMap::new();
        for _ in 0..count {
            let token = reader.felt()?;
            let amount = U256::from_words(reader.u128()?, reader.u128()?);
            spend_limits.insert(token, SpendLimit { amount, period: reader.u64()? });
        }
        let policy = Self { max_fee_per_tx, fee_budget, max_calls, spend_limits };
        if policy.to_felts().len() != reader.used {
            return Err("duplicate token in spend limits");
        }
        Ok((policy, reader.used))
    }
}

/// A rule on one calldata argument of an allowed method (committed inside its Merkle leaf).
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
        }
    }

    /// The calldata index the rule reads.
    pub fn index(&self) -> u32 {
        match self {
            Self::Equal { index, .. }
            | Self::OneOf { index, .. }
            | Self::AtMost { index, .. }
            | Self::AtMostU256 { index, .. } => *index,
        }
    }

    fn extend_felts(&self, felts: &mut Vec<Felt>) {
        match self {
            Self::Equal { index, value } => felts.extend([Felt::ZERO, Felt::from(*index), *value]),
            Self::OneOf { index, values } => {
                felts.extend([Felt::ONE, Felt::from(*index), Felt::from(values.len())]);
                felts.extend(values);
            }
            Self::AtMost { index, bound } => felts.extend([Felt::TWO, Felt::from(*index), *bound]),
            Self::AtMostU256 { index, bound } => felts.extend([
                Felt::THREE,
                Felt::from(*index),
                Felt::from(bound.low()),
                Felt::from(bound.high()),
            ]),
        }
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

/// Parses serialized rules, returning them and the felts they used.
pub fn argument_rules_from_felts(felts: &[Felt]) -> Result<(Vec<ArgumentRule>, usize), &'static str> {
    let mut reader = FeltReader::new(felts);
    let count = reader.u32()?;
    let mut rules = Vec::new();
    for _ in 0..count {
        let kind = reader.felt()?;
        let index = reader.u32()? as u32;
        let rule = match kind {
            k if k == Felt::ZERO => ArgumentRule::Equal { index, value: reader.felt()? },
            k if k == Felt::ONE => {
                let length = reader.u32()?;
                ArgumentRule::OneOf { index, values: reader.take(length)?.to_vec() }
            }
            k if k == Felt::TWO => ArgumentRule::AtMost { index, bound: reader.felt()? },
            k if k == Felt::THREE => {
                ArgumentRule::AtMostU256 { index, bound: U256::from_words(reader.u128()?, reader.u128()?) }
            }
            _ => return Err("unknown argument rule"),
        };
        rules.push(rule);
    }
    Ok((rules, reader.used))
}

/// The `Argument Rules` field of an allowed-method leaf: 0 without rules, else the Poseidon
/// hash of [`argument_rules_felts`].
pub fn argument_rules_hash(rules: &[ArgumentRule]) -> Felt {
    if rules.is_empty() {
        Felt::ZERO
    } else {
        poseidon_hash_many(&argument_rules_felts(rules))
    }
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
        let policy = Policy {
            max_fee_per_tx: 10,
            fee_budget: 100,
            max_calls: 3,
            spend_limits: BTreeMap::from([
                (Felt::from(7u8), SpendLimit::lifetime(U256::from_words(5, 1))),
                (Felt::from(8u8), SpendLimit::per_window(U256::from(9u8), 86_400)),
            ]),
        };
        let felts = policy.to_felts();
        assert_eq!(felts.len(), 12);
        assert_eq!(Policy::from_felts(&felts), Ok((policy.clone(), 12)));
        assert_eq!(Policy::from_felts(&felts[..11]), Err("truncated"));
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), policy);
        assert!(!policy.is_empty() && Policy::default().is_empty());
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
        assert_eq!(argument_rules_hash(&[]), Felt::ZERO);
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
