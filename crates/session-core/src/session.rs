//! Sessions: what the owner authorizes, and a builder that normalises permissions.

use std::collections::BTreeSet;

use starknet_core::types::{Call, Felt};
use starknet_core::utils::get_selector_from_name;
use starknet_crypto::poseidon_hash_many;

use crate::merkle::MethodTree;
use crate::policy::{argument_rule_hashes, argument_rules_felts, ArgumentRule, Policy, PolicyError};
use crate::snip12::{
    allowed_method_leaf, message_hash, protocol_type_hash, session_domain_hash, SESSION_TYPE,
};

/// One `(contract address, entrypoint selector)` a session may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AllowedMethod {
    /// The contract.
    pub contract_address: Felt,
    /// The entrypoint selector.
    pub selector: Felt,
}

impl AllowedMethod {
    /// The method `entrypoint` (a name such as `"transfer"`) of `contract_address`.
    pub fn new(contract_address: Felt, entrypoint: &str) -> Result<Self, BuildError> {
        let selector = get_selector_from_name(entrypoint)
            .map_err(|_| BuildError::InvalidEntrypoint { name: entrypoint.to_owned() })?;
        Ok(Self { contract_address, selector })
    }
}

/// One leaf of the allowed-methods tree: a method and the rules its arguments must obey
/// (none: any arguments). A method may appear in several leaves; a call needs to obey one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MethodPermission {
    /// The method.
    pub method: AllowedMethod,
    /// Rules on its calldata.
    pub rules: Vec<ArgumentRule>,
}

impl MethodPermission {
    /// The `merkletree` leaf of this permission.
    pub fn leaf(&self) -> Felt {
        allowed_method_leaf(
            self.method.contract_address,
            self.method.selector,
            &argument_rule_hashes(&self.rules),
        )
    }
}

/// What a session signature carries for one call: the Merkle proof of the leaf it uses and that
/// leaf's serialized rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPermission {
    /// Siblings from the leaf up.
    pub proof: Vec<Felt>,
    /// The leaf's rules as the contract serializes a `Span<ArgumentRule>`.
    pub rules: Vec<Felt>,
}

/// Why a session could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The session public key is zero.
    #[error("the session public key must not be zero")]
    ZeroSessionKey,
    /// No method was allowed.
    #[error("a session must allow at least one method")]
    NoMethods,
    /// The expiry is zero.
    #[error("the session needs an expiry time")]
    MissingExpiry,
    /// An entrypoint name is not a valid ASCII identifier.
    #[error("invalid entrypoint name {name:?}")]
    InvalidEntrypoint {
        /// The rejected name.
        name: String,
    },
    /// The policy is not one the contract accepts (a token with two limits of one period).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A spend window is not a whole number of hours (validation sees hour-floored time).
    #[error("the spend window of token {token:#x} is {period} s; use a whole number of hours")]
    SpendWindowNotWholeHours {
        /// The token.
        token: Felt,
        /// The window length given.
        period: u64,
    },
    /// An argument rule has no values to choose from.
    #[error("argument rule on index {index} has no allowed values")]
    EmptyRule {
        /// Calldata index of the rule.
        index: u32,
    },
    /// Too many methods for proofs of at most `MAX_PROOF_LENGTH` siblings.
    #[error("{count} allowed methods exceed the maximum of {max}")]
    TooManyMethods {
        /// Methods requested.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// A session as the contract sees it: the session public key, expiry, allowed-methods tree,
/// policy and epoch. The owner authorizes it by signing [`Session::hash`] (the SNIP-12 message
/// hash of [`Session::typed_data`], which wallets display).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session key's Stark public key.
    pub session_key: Felt,
    /// Unix time (seconds) from which the session no longer works.
    pub expires_at: u64,
    /// The account's session epoch the session belongs to (`get_session_epoch`).
    pub epoch: Felt,
    policy: Policy,
    methods: Vec<MethodPermission>,
    tree: MethodTree,
}

/// Why a session cannot cover a call (see [`Session::permissions_for`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallRefusal {
    /// No leaf allows the method.
    MethodNotAllowed(AllowedMethod),
    /// The method is allowed, but the call's arguments obey none of its leaves' rules.
    ArgumentNotAllowed {
        /// The method.
        method: AllowedMethod,
        /// Why, in plain words: the first rule the call breaks (of the method's first leaf).
        reason: String,
    },
}

impl Session {
    /// The allowed methods with their argument rules, in canonical (tree) order.
    pub fn allowed_methods(&self) -> &[MethodPermission] {
        &self.methods
    }

    /// The Merkle root of the allowed methods.
    pub fn allowed_methods_root(&self) -> Felt {
        self.tree.root()
    }

    /// The session's limits ([`Policy::default`]: none beyond methods, expiry and default deny).
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The session's `policy_hash` field: the policy's SNIP-12 struct hash.
    pub fn policy_hash(&self) -> Felt {
        self.policy.struct_hash()
    }

    /// The serialized policy a session signature carries: `None` for a policy without limits.
    pub fn policy_felts(&self) -> Option<Vec<Felt>> {
        (!self.policy.is_unlimited()).then(|| self.policy.to_felts())
    }

    /// The permission covering `call`: the proof of the first leaf of its method whose rules the
    /// call obeys, with those rules.
    pub fn permission_for(&self, call: &Call) -> Result<CallPermission, CallRefusal> {
        let method = AllowedMethod { contract_address: call.to, selector: call.selector };
        let mut leaves = self.leaves_of(method).peekable();
        if leaves.peek().is_none() {
            return Err(CallRefusal::MethodNotAllowed(method));
        }
        let first = leaves.peek().copied();
        leaves
            .find(|&index| self.methods[index].rules.iter().all(|rule| rule.allows(&call.calldata)))
            .and_then(|index| self.permission_at(index))
            .ok_or_else(|| {
                let rules = first.map(|index| self.methods[index].rules.as_slice()).unwrap_or_default();
                let reason = rules
                    .iter()
                    .find(|rule| !rule.allows(&call.calldata))
                    .map_or_else(String::new, |rule| rule.explain_violation(&call.calldata));
                CallRefusal::ArgumentNotAllowed { method, reason }
            })
    }

    /// The permission of the first leaf allowing `method`, whatever its rules (`None` if no leaf
    /// allows it): what a signer bypassing argument checks presents, for the chain to judge.
    pub fn first_permission_of(&self, method: AllowedMethod) -> Option<CallPermission> {
        self.leaves_of(method).next().and_then(|index| self.permission_at(index))
    }

    /// Indices of the leaves of `method` (adjacent: leaves are sorted by method first).
    fn leaves_of(&self, method: AllowedMethod) -> impl Iterator<Item = usize> + '_ {
        let start = self.methods.partition_point(|permission| permission.method < method);
        (start..self.methods.len()).take_while(move |&index| self.methods[index].method == method)
    }

    /// The proof and serialized rules of leaf `index`.
    fn permission_at(&self, index: usize) -> Option<CallPermission> {
        let proof = self.tree.proof(index)?;
        Some(CallPermission { proof, rules: argument_rules_felts(&self.methods[index].rules) })
    }

    /// One permission per call, or why the first uncovered call is refused.
    pub fn permissions_for(&self, calls: &[Call]) -> Result<Vec<CallPermission>, CallRefusal> {
        calls.iter().map(|call| self.permission_for(call)).collect()
    }

    /// The SNIP-12 struct hash of the session.
    pub fn struct_hash(&self) -> Felt {
        poseidon_hash_many(&[
            protocol_type_hash(SESSION_TYPE),
            self.session_key,
            self.expires_at.into(),
            self.allowed_methods_root(),
            self.policy_hash(),
            self.epoch,
        ])
    }

    /// The session hash: the SNIP-12 message hash the owner signs for `account` on `chain_id`.
    pub fn hash(&self, chain_id: Felt, account: Felt) -> Felt {
        message_hash(session_domain_hash(chain_id), account, self.struct_hash())
    }

    /// The session as the contract's `Session` struct serializes it (5 felts).
    pub fn to_felts(&self) -> [Felt; 5] {
        [
            self.session_key,
            self.expires_at.into(),
            self.allowed_methods_root(),
            self.policy_hash(),
            self.epoch,
        ]
    }
}

/// Builds a [`Session`], normalising its methods: sorted by (address, selector, rules),
/// duplicates removed, so the same permissions always give the same root.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SessionBuilder {
    session_key: Felt,
    expires_at: u64,
    policy: Policy,
    epoch: Felt,
    methods: BTreeSet<MethodPermission>,
    error: Option<BuildError>,
}

/// Largest method count whose proofs fit `MAX_PROOF_LENGTH`.
const MAX_METHODS: usize = 1 << crate::signature::MAX_PROOF_LENGTH;

impl SessionBuilder {
    /// A session for the session key with this public key.
    pub fn new(session_public_key: Felt) -> Self {
        Self { session_key: session_public_key, ..Self::default() }
    }

    /// Expires at this Unix time (seconds).
    pub fn expires_at(mut self, timestamp: u64) -> Self {
        self.expires_at = timestamp;
        self
    }

    /// Belongs to this session epoch (the account's current one, see `get_session_epoch`; a
    /// new account's is 0).
    pub fn epoch(mut self, epoch: Felt) -> Self {
        self.epoch = epoch;
        self
    }

    /// Sets the session's limits (spending, calls, fees).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Allows calling `entrypoint` (by name) on `contract_address` with any arguments.
    pub fn allow(self, contract_address: Felt, entrypoint: &str) -> Self {
        self.allow_with_rules(contract_address, entrypoint, Vec::new())
    }

    /// Allows calling `entrypoint` (by name) on `contract_address` when every rule holds.
    pub fn allow_with_rules(
        mut self,
        contract_address: Felt,
        entrypoint: &str,
        rules: Vec<ArgumentRule>,
    ) -> Self {
        match AllowedMethod::new(contract_address, entrypoint) {
            Ok(method) => self.insert(MethodPermission { method, rules }),
            Err(error) => {
                self.error.get_or_insert(error);
                self
            }
        }
    }

    /// Allows calling the entrypoint with this selector on `contract_address` when every rule
    /// holds (no rules: any arguments).
    pub fn allow_selector(self, contract_address: Felt, selector: Felt, rules: Vec<ArgumentRule>) -> Self {
        self.insert(MethodPermission { method: AllowedMethod { contract_address, selector }, rules })
    }

    fn insert(mut self, mut permission: MethodPermission) -> Self {
        permission.rules.sort();
        permission.rules.dedup();
        if let Some(ArgumentRule::OneOf { index, .. }) = permission
            .rules
            .iter()
            .find(|rule| matches!(rule, ArgumentRule::OneOf { values, .. } if values.is_empty()))
        {
            self.error.get_or_insert(BuildError::EmptyRule { index: *index });
        }
        self.methods.insert(permission);
        self
    }

    /// Builds the session.
    pub fn build(self) -> Result<Session, BuildError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.session_key == Felt::ZERO {
            return Err(BuildError::ZeroSessionKey);
        }
        if self.expires_at == 0 {
            return Err(BuildError::MissingExpiry);
        }
        if self.methods.len() > MAX_METHODS {
            return Err(BuildError::TooManyMethods { count: self.methods.len(), max: MAX_METHODS });
        }
        let policy = self.policy.normalized()?;
        if let Some(limit) = policy.spend_limits.iter().find(|limit| limit.period % 3600 != 0) {
            return Err(BuildError::SpendWindowNotWholeHours { token: limit.token, period: limit.period });
        }
        let methods: Vec<MethodPermission> = self.methods.into_iter().collect();
        let tree = MethodTree::new(methods.iter().map(MethodPermission::leaf).collect())
            .ok_or(BuildError::NoMethods)?;
        Ok(Session {
            session_key: self.session_key,
            expires_at: self.expires_at,
            policy,
            epoch: self.epoch,
            methods,
            tree,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::SpendLimit;

    fn methods() -> Vec<(Felt, &'static str)> {
        vec![
            (Felt::from(0x111u64), "increase"),
            (Felt::from(0x222u64), "transfer"),
            (Felt::from(0x111u64), "reset"),
            (Felt::from(0x333u64), "approve"),
        ]
    }

    fn build(order: &[(Felt, &str)]) -> Session {
        order
            .iter()
            .fold(SessionBuilder::new(Felt::from(7u64)).expires_at(1000), |b, (a, n)| b.allow(*a, n))
            .build()
            .unwrap()
    }

    #[test]
    fn rejects_incomplete_sessions() {
        assert_eq!(
            SessionBuilder::new(Felt::ZERO).expires_at(1).allow(Felt::ONE, "a").build(),
            Err(BuildError::ZeroSessionKey)
        );
        assert_eq!(
            SessionBuilder::new(Felt::ONE).allow(Felt::ONE, "a").build(),
            Err(BuildError::MissingExpiry)
        );
        assert_eq!(SessionBuilder::new(Felt::ONE).expires_at(1).build(), Err(BuildError::NoMethods));
        assert!(matches!(
            SessionBuilder::new(Felt::ONE).expires_at(1).allow(Felt::ONE, "tränsfer").build(),
            Err(BuildError::InvalidEntrypoint { .. })
        ));
        let twice = Policy {
            spend_limits: vec![SpendLimit::unlimited(Felt::TWO), SpendLimit::unlimited(Felt::TWO)],
            ..Policy::default()
        };
        assert_eq!(
            SessionBuilder::new(Felt::ONE).expires_at(1).allow(Felt::ONE, "a").policy(twice).build(),
            Err(BuildError::Policy(PolicyError::DuplicateSpendLimit { token: Felt::TWO, period: 0 }))
        );
        let empty_set = vec![ArgumentRule::OneOf { index: 2, values: vec![] }];
        assert_eq!(
            SessionBuilder::new(Felt::ONE).expires_at(1).allow_with_rules(Felt::ONE, "a", empty_set).build(),
            Err(BuildError::EmptyRule { index: 2 })
        );
    }

    #[test]
    fn duplicates_do_not_change_the_root() {
        let mut doubled = methods();
        doubled.extend(methods());
        assert_eq!(build(&methods()).allowed_methods_root(), build(&doubled).allowed_methods_root());
        assert_eq!(build(&doubled).allowed_methods().len(), 4);
    }

    #[test]
    fn proofs_cover_exactly_the_allowed_calls() {
        let session = build(&methods());
        let allowed = Call {
            to: Felt::from(0x222u64),
            selector: get_selector_from_name("transfer").unwrap(),
            calldata: vec![],
        };
        let other = Call {
            to: Felt::from(0x222u64),
            selector: get_selector_from_name("reset").unwrap(),
            calldata: vec![],
        };
        let permissions = session.permissions_for(std::slice::from_ref(&allowed)).unwrap();
        let leaf = allowed_method_leaf(allowed.to, allowed.selector, &[]);
        assert!(MethodTree::verify(leaf, &permissions[0].proof, session.allowed_methods_root()));
        assert_eq!(permissions[0].rules, vec![Felt::ZERO]);
        assert_eq!(
            session.permissions_for(&[allowed, other.clone()]),
            Err(CallRefusal::MethodNotAllowed(AllowedMethod {
                contract_address: other.to,
                selector: other.selector
            }))
        );
    }

    #[test]
    fn a_call_uses_the_leaf_whose_rules_it_obeys() {
        let token = Felt::from(0x222u64);
        let to_alice = vec![ArgumentRule::Equal { index: 0, value: Felt::from(0xa11ceu64) }];
        let small =
            vec![ArgumentRule::AtMostU256 { index: 1, bound: starknet_core::types::U256::from(10u8) }];
        let session = SessionBuilder::new(Felt::ONE)
            .expires_at(1)
            .allow_with_rules(token, "transfer", to_alice.clone())
            .allow_with_rules(token, "transfer", small.clone())
            .build()
            .unwrap();
        let transfer = |recipient: u64, amount: u64| Call {
            to: token,
            selector: get_selector_from_name("transfer").unwrap(),
            calldata: vec![Felt::from(recipient), Felt::from(amount), Felt::ZERO],
        };
        let root = session.allowed_methods_root();
        for (call, rules) in [(transfer(0xa11ce, 1000), &to_alice), (transfer(0xb0b, 10), &small)] {
            let permission = session.permission_for(&call).unwrap();
            let leaf = allowed_method_leaf(token, call.selector, &argument_rule_hashes(rules));
            assert!(MethodTree::verify(leaf, &permission.proof, root));
            assert_eq!(permission.rules, argument_rules_felts(rules));
        }
        assert_eq!(
            session.permission_for(&transfer(0xb0b, 11)),
            Err(CallRefusal::ArgumentNotAllowed {
                method: AllowedMethod {
                    contract_address: token,
                    selector: get_selector_from_name("transfer").unwrap()
                },
                reason: "argument 0 is 0xb0b, but must be 0xa11ce".into()
            })
        );
    }

    proptest! {
        #[test]
        fn root_is_independent_of_input_order(seed in any::<u64>()) {
            let mut shuffled = methods();
            let len = shuffled.len();
            for i in 0..len {
                let j = (seed.rotate_left(i as u32 * 7) as usize) % len;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(build(&methods()).allowed_methods_root(), build(&shuffled).allowed_methods_root());
        }
    }
}
