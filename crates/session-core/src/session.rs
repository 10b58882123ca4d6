//! Sessions: what the owner authorizes, and a builder that normalises permissions.

use std::collections::BTreeSet;

use starknet_core::types::{Call, Felt};
use starknet_core::utils::get_selector_from_name;
use starknet_crypto::poseidon_hash_many;

use crate::merkle::MethodTree;
use crate::policy::{argument_rule_hashes, argument_rules_felts, ArgumentRule, Policy, PolicyError};
use crate::signature::{SessionRefSignature, StarkSignature};
use crate::snip12::{
    allowed_method_leaf, message_hash, protocol_type_hash, session_domain_hash, SESSION_TYPE,
};

/// Limit flag of a session's terms: it has a call limit (as the account stores it).
pub const HAS_CALL_LIMIT: u128 = 1;
/// Limit flag: a fee cap per transaction.
pub const HAS_FEE_CAP: u128 = 2;
/// Limit flag: a fee budget.
pub const HAS_FEE_BUDGET: u128 = 4;
/// Limit flag: spend limits (a token without one moves nothing).
pub const HAS_SPEND_LIMITS: u128 = 8;
/// Limit flag: a `valid_after` (the session may not be used before it).
pub const HAS_START: u128 = 16;
/// Limit flag: the call limit and fee budget apply per window.
pub const HAS_LIMITS_WINDOW: u128 = 32;

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

/// What a session signature carries for one call: the Merkle proof of the leaf it uses, that
/// leaf's serialized rules, and whether the account should remember the leaf once proven.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPermission {
    /// Siblings from the leaf up (empty: the leaf is the root, or remembered on-chain).
    pub proof: Vec<Felt>,
    /// The leaf's rules as the contract serializes a `Span<ArgumentRule>`; empty without rules.
    pub rules: Vec<Felt>,
    /// Ask the account to remember the leaf for the session, so later calls need no proof.
    pub remember: bool,
}

impl CallPermission {
    /// The same permission without its proof: for a leaf the account remembers (or the root).
    pub fn without_proof(&self) -> Self {
        Self { proof: Vec::new(), rules: self.rules.clone(), remember: false }
    }
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
    messages: Vec<AllowedMessage>,
}

/// An off-chain message kind a session may sign for the account (`is_valid_signature`): a
/// SNIP-12 domain hash and the type hash of the message's primary type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct AllowedMessage {
    /// The message's SNIP-12 domain hash.
    pub domain_hash: Felt,
    /// The type hash of the message's primary type.
    pub type_hash: Felt,
}

impl AllowedMessage {
    /// The SNIP-12 hash of an `Allowed Message*` list (`Session.allowed_messages_hash`; the
    /// empty list's: a session that signs no message).
    pub fn list_hash(messages: &[AllowedMessage]) -> Felt {
        poseidon_hash_many(&messages.iter().map(AllowedMessage::struct_hash).collect::<Vec<_>>())
    }

    /// The SNIP-12 struct hash (`"Allowed Message"("Domain Hash":"felt","Type Hash":"felt")`).
    pub fn struct_hash(&self) -> Felt {
        poseidon_hash_many(&[
            protocol_type_hash(crate::snip12::ALLOWED_MESSAGE_TYPE),
            self.domain_hash,
            self.type_hash,
        ])
    }
}

/// Why a session cannot cover a call (see [`Session::permissions_for`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallRefusal {
    /// No leaf allows the method.
    #[error("the session does not allow selector {:#x} on contract {:#x}", .0.selector, .0.contract_address)]
    MethodNotAllowed(AllowedMethod),
    /// The method is allowed, but the call's arguments obey none of its leaves' rules.
    #[error("the arguments of selector {:#x} on contract {:#x} break the session's argument rules: {reason}", .method.selector, .method.contract_address)]
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
        self.leaf_index_for(call).and_then(|index| {
            self.permission_at(index).ok_or(CallRefusal::MethodNotAllowed(AllowedMethod {
                contract_address: call.to,
                selector: call.selector,
            }))
        })
    }

    /// The leaf covering `call` (what a session proves once per method, see
    /// `is_session_leaf_proven`) and whether it has argument rules.
    pub fn leaf_for(&self, call: &Call) -> Result<(Felt, bool), CallRefusal> {
        let index = self.leaf_index_for(call)?;
        Ok((self.tree.leaves()[index], !self.methods[index].rules.is_empty()))
    }

    /// The index of the first leaf of the call's method whose rules the call obeys.
    fn leaf_index_for(&self, call: &Call) -> Result<usize, CallRefusal> {
        let method = AllowedMethod { contract_address: call.to, selector: call.selector };
        let mut leaves = self.leaves_of(method).peekable();
        if leaves.peek().is_none() {
            return Err(CallRefusal::MethodNotAllowed(method));
        }
        let first = leaves.peek().copied();
        leaves
            .find(|&index| self.methods[index].rules.iter().all(|rule| rule.allows(&call.calldata)))
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
        let rules = &self.methods[index].rules;
        let rules = if rules.is_empty() { Vec::new() } else { argument_rules_felts(rules) };
        Some(CallPermission { proof, rules, remember: false })
    }

    /// One permission per call, or why the first uncovered call is refused.
    pub fn permissions_for(&self, calls: &[Call]) -> Result<Vec<CallPermission>, CallRefusal> {
        calls.iter().map(|call| self.permission_for(call)).collect()
    }

    /// Shortens `permissions` (one per call, from [`permissions_for`](Self::permissions_for))
    /// for what the account knows: no proof for a leaf that is the root or that it remembers
    /// (`remembered`), and a request to remember every leaf whose proof is at least
    /// [`REMEMBER_FROM_PROOF_LENGTH`] long.
    pub fn entries_for(
        &self,
        calls: &[Call],
        permissions: Vec<CallPermission>,
        remembered: &BTreeSet<Felt>,
    ) -> Vec<CallPermission> {
        let root = self.allowed_methods_root();
        let mut known = remembered.clone();
        known.insert(root);
        calls
            .iter()
            .zip(permissions)
            .map(|(call, permission)| match self.leaf_for(call) {
                // The root, a remembered leaf, or one proven by an earlier call of this transaction.
                Ok((leaf, _)) if !known.insert(leaf) => permission.without_proof(),
                _ => {
                    let remember = permission.proof.len() >= REMEMBER_FROM_PROOF_LENGTH;
                    CallPermission { remember, ..permission }
                }
            })
            .collect()
    }

    /// The by-reference signature of a transaction of `calls` with these entries (from
    /// [`entries_for`](Self::entries_for)), as short as the account allows: without a root (6
    /// felts) when no entry has a proof or rules and the first call's leaf is the root; without
    /// entries (7 felts) when no entry has a proof or rules; else with one entry per call.
    pub fn reference_signature(
        &self,
        session_hash: Felt,
        session_signature: StarkSignature,
        calls: &[Call],
        entries: Vec<CallPermission>,
    ) -> SessionRefSignature {
        let root = self.allowed_methods_root();
        let bare = entries.iter().all(|entry| entry.proof.is_empty() && entry.rules.is_empty());
        let first_is_root =
            calls.first().is_some_and(|call| allowed_method_leaf(call.to, call.selector, &[]) == root);
        let (root, calls) = match (bare, first_is_root) {
            (true, true) => (None, None),
            (true, false) => (Some(root), None),
            (false, _) => (Some(root), Some(entries)),
        };
        SessionRefSignature {
            session_hash,
            terms: self.terms(),
            session_key: self.session_key,
            session_signature,
            root,
            calls,
        }
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
            self.allowed_messages_hash(),
        ])
    }

    /// The off-chain message kinds the session may sign, in canonical (sorted) order.
    pub fn allowed_messages(&self) -> &[AllowedMessage] {
        &self.messages
    }

    /// The SNIP-12 hash of the session's `Allowed Message*` list.
    pub fn allowed_messages_hash(&self) -> Felt {
        AllowedMessage::list_hash(&self.messages)
    }

    /// The session key's signature of an off-chain message for `account` on `chain_id`, as
    /// `is_valid_signature` takes it: `['session-message-v1', Session…, messages, index,
    /// fields, r, s]`, where the message is of the listed kind `message` and its struct is
    /// `poseidon(message.type_hash, fields…)`. Returns the message hash and the signature.
    pub fn sign_message(
        &self,
        key: &crate::SessionKey,
        chain_id: Felt,
        account: Felt,
        message: AllowedMessage,
        fields: &[Felt],
    ) -> Result<(Felt, Vec<Felt>), crate::KeyError> {
        let index = self.messages.iter().position(|listed| *listed == message).unwrap_or(self.messages.len());
        let struct_hash = poseidon_hash_many(
            &std::iter::once(message.type_hash).chain(fields.iter().copied()).collect::<Vec<_>>(),
        );
        let hash = message_hash(message.domain_hash, account, struct_hash);
        let digest = crate::snip12::session_message_digest(hash, self.hash(chain_id, account));
        let signature = key.sign(digest)?;
        let mut felts = vec![crate::snip12::short_string("session-message-v1")];
        felts.extend(self.to_felts());
        felts.push(Felt::from(self.messages.len()));
        for listed in &self.messages {
            felts.extend([listed.domain_hash, listed.type_hash]);
        }
        felts.push(Felt::from(index));
        felts.push(Felt::from(fields.len()));
        felts.extend_from_slice(fields);
        felts.extend([signature.r, signature.s]);
        Ok((hash, felts))
    }

    /// The session hash: the SNIP-12 message hash the owner signs for `account` on `chain_id`.
    pub fn hash(&self, chain_id: Felt, account: Felt) -> Felt {
        message_hash(session_domain_hash(chain_id), account, self.struct_hash())
    }

    /// What a by-reference signature carries of the stored session: `expires_at + 2^64 ×
    /// limit flags`, as the account stores them.
    pub fn terms(&self) -> Felt {
        self.terms_with_expiry(self.expires_at)
    }

    /// [`Session::terms`] of the session once the owner extended it to `expires_at`.
    pub fn terms_with_expiry(&self, expires_at: u64) -> Felt {
        let policy = &self.policy;
        let flags = [
            (policy.max_calls.is_some(), HAS_CALL_LIMIT),
            (policy.max_fee_per_tx.is_some(), HAS_FEE_CAP),
            (policy.fee_budget.is_some(), HAS_FEE_BUDGET),
            (!policy.spend_limits.is_empty(), HAS_SPEND_LIMITS),
            (policy.valid_after != 0, HAS_START),
            (
                policy.limits_window != 0 && (policy.max_calls.is_some() || policy.fee_budget.is_some()),
                HAS_LIMITS_WINDOW,
            ),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(0u128, |flags, (_, flag)| flags | flag);
        Felt::from(u128::from(expires_at) + (flags << 64))
    }

    /// What the account stores to bind this session's by-reference signatures (hash
    /// `session_hash`) to its key and root: the low 128 bits of
    /// `poseidon(session_hash, session_key, allowed_methods_root)`.
    pub fn binding(&self, session_hash: Felt) -> u128 {
        session_binding(session_hash, self.session_key, self.allowed_methods_root())
    }

    /// The session as the contract's `Session` struct serializes it (6 felts).
    pub fn to_felts(&self) -> [Felt; 6] {
        [
            self.session_key,
            self.expires_at.into(),
            self.allowed_methods_root(),
            self.policy_hash(),
            self.epoch,
            self.allowed_messages_hash(),
        ]
    }
}

/// Proofs at least this long ask the account to remember their leaf: remembering costs one new
/// storage slot (402,000 L2 gas on Starknet 0.14), a proof about 6,000 L2 gas per level and
/// transaction, so from 8 levels (trees above 128 methods) it pays back within about ten calls.
pub const REMEMBER_FROM_PROOF_LENGTH: usize = 8;

/// The low 128 bits of `poseidon(session_hash, session_key, root)`: the account's binding of a
/// stored session to its key and root.
pub fn session_binding(session_hash: Felt, session_key: Felt, root: Felt) -> u128 {
    let bytes = poseidon_hash_many(&[session_hash, session_key, root]).to_bytes_be();
    let mut low = [0u8; 16];
    low.copy_from_slice(&bytes[16..]);
    u128::from_be_bytes(low)
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
    messages: BTreeSet<AllowedMessage>,
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

    /// Allows the session key to sign off-chain messages of this SNIP-12 domain hash and primary
    /// type hash for the account (e.g. a DEX's orders), checked by `is_valid_signature`.
    pub fn allow_message(mut self, domain_hash: Felt, type_hash: Felt) -> Self {
        self.messages.insert(AllowedMessage { domain_hash, type_hash });
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
            messages: self.messages.into_iter().collect(),
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
    fn references_omit_what_the_account_knows() {
        let session = build(&methods());
        let transfer = Call {
            to: Felt::from(0x222u64),
            selector: get_selector_from_name("transfer").unwrap(),
            calldata: vec![],
        };
        let calls = vec![transfer.clone(), transfer.clone()];
        let permissions = session.permissions_for(&calls).unwrap();
        let entries = session.entries_for(&calls, permissions.clone(), &BTreeSet::new());
        assert_eq!(entries[0].proof, permissions[0].proof, "the first call proves the leaf");
        assert!(entries[1].proof.is_empty(), "a leaf proven earlier in the transaction needs no proof");
        assert!(!entries[0].remember, "a short proof is cheaper than remembering it");
        let leaf = session.leaf_for(&transfer).unwrap().0;
        let remembered = session.entries_for(&calls, permissions, &BTreeSet::from([leaf]));
        assert!(remembered.iter().all(|entry| entry.proof.is_empty()));
        let signature = StarkSignature { r: Felt::ONE, s: Felt::TWO };
        let reference = session.reference_signature(Felt::THREE, signature, &calls, remembered);
        assert_eq!(
            reference.root,
            Some(session.allowed_methods_root()),
            "a multi-method session names its root"
        );
        assert!(reference.calls.is_none(), "remembered leaves without rules need no entries");

        let single = SessionBuilder::new(Felt::ONE).expires_at(5).allow_selector(
            transfer.to,
            transfer.selector,
            vec![],
        );
        let single = single.build().unwrap();
        let permissions = single.permissions_for(&calls).unwrap();
        let entries = single.entries_for(&calls, permissions, &BTreeSet::new());
        let reference = single.reference_signature(Felt::THREE, signature, &calls, entries);
        assert!(reference.root.is_none(), "a single-method session signs in the short form");
        assert_eq!(crate::AccountSignature::SessionRef(reference).encode().len(), 6);
    }

    #[test]
    fn bindings_are_the_low_128_bits_of_the_poseidon_hash() {
        let hash = poseidon_hash_many(&[Felt::ONE, Felt::TWO, Felt::THREE]);
        let two_pow_128 = starknet_core::types::NonZeroFelt::try_from(Felt::TWO.pow(128u32)).unwrap();
        let (_, low) = hash.div_rem(&two_pow_128);
        assert_eq!(Felt::from(session_binding(Felt::ONE, Felt::TWO, Felt::THREE)), low);
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
        assert!(permissions[0].rules.is_empty(), "a leaf without rules sends none");
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
