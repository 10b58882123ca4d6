//! Sessions: what the owner authorizes, and a builder that normalises permissions.

use std::collections::BTreeSet;

use starknet_core::types::{Call, Felt};
use starknet_core::utils::get_selector_from_name;
use starknet_crypto::poseidon_hash_many;

use crate::merkle::MethodTree;
use crate::snip12::{allowed_method_leaf, message_hash, session_domain_hash, type_hash, SESSION_TYPE};

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

    /// The `merkletree` leaf of this method.
    pub fn leaf(&self) -> Felt {
        allowed_method_leaf(self.contract_address, self.selector)
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
/// policy hash and epoch. The owner authorizes it by signing [`Session::hash`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session key's Stark public key.
    pub session_key: Felt,
    /// Unix time (seconds) from which the session no longer works.
    pub expires_at: u64,
    /// Hash of extra policy rules; 0 (none) is the only value the contract accepts today.
    pub policy: Felt,
    /// The account's session epoch the session belongs to.
    pub epoch: u128,
    methods: Vec<AllowedMethod>,
    tree: MethodTree,
}

impl Session {
    /// The allowed methods, in canonical (tree) order.
    pub fn allowed_methods(&self) -> &[AllowedMethod] {
        &self.methods
    }

    /// The Merkle root of the allowed methods.
    pub fn allowed_methods_root(&self) -> Felt {
        self.tree.root()
    }

    /// The proof that `(contract_address, selector)` is allowed, or `None` if it is not.
    pub fn proof(&self, contract_address: Felt, selector: Felt) -> Option<Vec<Felt>> {
        let method = AllowedMethod { contract_address, selector };
        let index = self.methods.binary_search(&method).ok()?;
        self.tree.proof(index)
    }

    /// One proof per call, or the first call that is not allowed.
    pub fn proofs_for(&self, calls: &[Call]) -> Result<Vec<Vec<Felt>>, AllowedMethod> {
        calls
            .iter()
            .map(|call| {
                self.proof(call.to, call.selector)
                    .ok_or(AllowedMethod { contract_address: call.to, selector: call.selector })
            })
            .collect()
    }

    /// The SNIP-12 struct hash of the session.
    pub fn struct_hash(&self) -> Felt {
        poseidon_hash_many(&[
            type_hash(SESSION_TYPE),
            self.session_key,
            self.expires_at.into(),
            self.allowed_methods_root(),
            self.policy,
            self.epoch.into(),
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
            self.policy,
            self.epoch.into(),
        ]
    }
}

/// Builds a [`Session`], normalising its methods: sorted by (address, selector), duplicates
/// removed, so the same permissions always give the same root.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SessionBuilder {
    session_key: Felt,
    expires_at: u64,
    policy: Felt,
    epoch: u128,
    methods: BTreeSet<AllowedMethod>,
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

    /// Belongs to this session epoch (the account's current one, see `get_session_epoch`).
    pub fn epoch(mut self, epoch: u128) -> Self {
        self.epoch = epoch;
        self
    }

    /// Sets the policy hash (0: no extra rules).
    pub fn policy(mut self, policy: Felt) -> Self {
        self.policy = policy;
        self
    }

    /// Allows calling `entrypoint` (by name) on `contract_address`.
    pub fn allow(mut self, contract_address: Felt, entrypoint: &str) -> Self {
        match AllowedMethod::new(contract_address, entrypoint) {
            Ok(method) => {
                self.methods.insert(method);
            }
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }

    /// Allows calling the entrypoint with this selector on `contract_address`.
    pub fn allow_selector(mut self, contract_address: Felt, selector: Felt) -> Self {
        self.methods.insert(AllowedMethod { contract_address, selector });
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
        let methods: Vec<AllowedMethod> = self.methods.into_iter().collect();
        let tree = MethodTree::new(methods.iter().map(AllowedMethod::leaf).collect())
            .ok_or(BuildError::NoMethods)?;
        Ok(Session {
            session_key: self.session_key,
            expires_at: self.expires_at,
            policy: self.policy,
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
        let proofs = session.proofs_for(std::slice::from_ref(&allowed)).unwrap();
        let leaf = allowed_method_leaf(allowed.to, allowed.selector);
        assert!(MethodTree::verify(leaf, &proofs[0], session.allowed_methods_root()));
        assert_eq!(
            session.proofs_for(&[allowed, other.clone()]),
            Err(AllowedMethod { contract_address: other.to, selector: other.selector })
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
