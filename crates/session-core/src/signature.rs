//! Transaction signatures of the session account, encoded and decoded exactly as the contract
//! parses them.
//!
//! Owner: `[r, s]`. Session:
//! `[SESSION_MAGIC, session_key, expires_at, allowed_methods_root, policy_hash, epoch,
//!   auth_len, (owner_r, owner_s)?, session_r, session_s, (Policy)?,
//!   n_calls, (proof_len, proof…, rules…)…]`,
//! `auth_len` being 2 with the owner's authorization, 0 when it is stored on-chain; the
//! serialized [`Policy`] present exactly when `policy_hash` is not [`Policy::unlimited_hash`];
//! each call's rules serialized as a `Span<ArgumentRule>` (`[0]` without rules).

use starknet_core::types::Felt;

use crate::policy::{argument_rules_from_felts, Policy, PolicyError};
use crate::session::CallPermission;

/// First felt of a session signature: `'session-v3'`.
pub const SESSION_MAGIC: Felt = Felt::from_hex_unchecked("0x73657373696f6e2d7633");
/// Most calls a session transaction may carry.
pub const MAX_SESSION_CALLS: usize = 32;
/// Longest Merkle proof the contract accepts.
pub const MAX_PROOF_LENGTH: usize = 16;

/// A Stark ECDSA signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StarkSignature {
    /// `r`.
    pub r: Felt,
    /// `s`.
    pub s: Felt,
}

/// The session fields a session signature carries, as the contract's `Session` struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSignature {
    /// `[session_key, expires_at, allowed_methods_root, policy, epoch]`.
    pub session: [Felt; 5],
    /// The owner's signature of the session hash; `None` when registered or cached on-chain.
    pub owner_authorization: Option<StarkSignature>,
    /// The session key's signature of `session_key_message(hash, session_hash)`.
    pub session_signature: StarkSignature,
    /// The serialized policy; present exactly when the session's policy is not unlimited.
    pub policy: Option<Vec<Felt>>,
    /// One proof and rule set per call.
    pub calls: Vec<CallPermission>,
}

/// A transaction (or outside-execution) signature of the session account.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // short-lived values; boxing would only add an allocation
pub enum AccountSignature {
    /// Signed by the owner key.
    Owner(StarkSignature),
    /// Signed by a session key.
    Session(SessionSignature),
}

/// Why felts are not a signature the contract would parse (the contract's revert reason in brackets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Neither `[r, s]` nor a session signature (`Account: bad signature format`).
    #[error("not an owner [r, s] signature nor a session signature (first felt {first:?})")]
    UnknownFormat {
        /// The first felt, if any.
        first: Option<Felt>,
    },
    /// Ended early, a length or value did not fit, or felts were left over (`Session: malformed signature`).
    #[error("malformed session signature: {reason}")]
    Malformed {
        /// What was wrong.
        reason: &'static str,
    },
    /// The owner authorization length is not 0 or 2 (`Session: bad auth length`).
    #[error("owner authorization length {length} is neither 0 nor 2")]
    BadAuthorizationLength {
        /// The length found.
        length: Felt,
    },
    /// More proofs than calls allowed (`Session: too many calls`).
    #[error("{count} proofs exceed the maximum of {MAX_SESSION_CALLS} calls")]
    TooManyCalls {
        /// Proofs announced.
        count: usize,
    },
    /// A proof is too long (`Session: proof too long`).
    #[error("proof of length {length} exceeds the maximum of {MAX_PROOF_LENGTH}")]
    ProofTooLong {
        /// Its length.
        length: usize,
    },
}

impl AccountSignature {
    /// The felts of the transaction signature.
    pub fn encode(&self) -> Vec<Felt> {
        match self {
            Self::Owner(signature) => vec![signature.r, signature.s],
            Self::Session(session) => {
                let mut felts = vec![SESSION_MAGIC];
                felts.extend(session.session);
                match session.owner_authorization {
                    Some(authorization) => felts.extend([Felt::TWO, authorization.r, authorization.s]),
                    None => felts.push(Felt::ZERO),
                }
                felts.extend([session.session_signature.r, session.session_signature.s]);
                felts.extend(session.policy.iter().flatten());
                felts.push(Felt::from(session.calls.len()));
                for call in &session.calls {
                    felts.push(Felt::from(call.proof.len()));
                    felts.extend(&call.proof);
                    felts.extend(&call.rules);
                }
                felts
            }
        }
    }

    /// Parses transaction signature felts as the contract does.
    pub fn decode(felts: &[Felt]) -> Result<Self, DecodeError> {
        if let [r, s] = felts {
            return Ok(Self::Owner(StarkSignature { r: *r, s: *s }));
        }
        match felts.first() {
            Some(magic) if *magic == SESSION_MAGIC => {}
            first => return Err(DecodeError::UnknownFormat { first: first.copied() }),
        }
        let mut reader = Reader { rest: &felts[1..] };
        let session = [reader.felt()?, reader.u64()?.into(), reader.felt()?, reader.felt()?, reader.felt()?];
        let owner_authorization = match reader.felt()? {
            length if length == Felt::ZERO => None,
            length if length == Felt::TWO => Some(reader.signature()?),
            length => return Err(DecodeError::BadAuthorizationLength { length }),
        };
        let session_signature = reader.signature()?;
        let policy = if session[3] == Policy::unlimited_hash() {
            None
        } else {
            let (_, used) = Policy::from_felts(reader.rest).map_err(|error| match error {
                PolicyError::Malformed(reason) => DecodeError::Malformed { reason },
                PolicyError::DuplicateSpendLimit { .. } => {
                    DecodeError::Malformed { reason: "spend limits not strictly increasing" }
                }
            })?;
            Some(reader.take(used)?.to_vec())
        };
        let count = reader.u32()?;
        if count > MAX_SESSION_CALLS {
            return Err(DecodeError::TooManyCalls { count });
        }
        let mut calls = Vec::with_capacity(count);
        for _ in 0..count {
            let length = reader.u32()?;
            if length > MAX_PROOF_LENGTH {
                return Err(DecodeError::ProofTooLong { length });
            }
            let proof = reader.take(length)?.to_vec();
            let (_, used) =
                argument_rules_from_felts(reader.rest).map_err(|reason| DecodeError::Malformed { reason })?;
            calls.push(CallPermission { proof, rules: reader.take(used)?.to_vec() });
        }
        if !reader.rest.is_empty() {
            return Err(DecodeError::Malformed { reason: "trailing felts" });
        }
        Ok(Self::Session(SessionSignature { session, owner_authorization, session_signature, policy, calls }))
    }
}

struct Reader<'a> {
    rest: &'a [Felt],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [Felt], DecodeError> {
        if count > self.rest.len() {
            return Err(DecodeError::Malformed { reason: "truncated" });
        }
        let (taken, rest) = self.rest.split_at(count);
        self.rest = rest;
        Ok(taken)
    }

    fn felt(&mut self) -> Result<Felt, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<usize, DecodeError> {
        let value: u32 =
            self.felt()?.try_into().map_err(|_| DecodeError::Malformed { reason: "length out of range" })?;
        Ok(value as usize)
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        self.felt()?.try_into().map_err(|_| DecodeError::Malformed { reason: "expiry out of range" })
    }

    fn signature(&mut self) -> Result<StarkSignature, DecodeError> {
        Ok(StarkSignature { r: self.felt()?, s: self.felt()? })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use starknet_core::types::U256;

    use super::*;
    use crate::policy::{argument_rules_felts, ArgumentRule, SpendLimit};

    fn felt() -> impl Strategy<Value = Felt> {
        any::<[u8; 32]>().prop_map(|bytes| Felt::from_bytes_be(&bytes))
    }

    fn session_signature() -> impl Strategy<Value = AccountSignature> {
        (
            felt(),
            any::<u64>(),
            felt(),
            felt(),
            proptest::option::of(felt()),
            proptest::option::of((felt(), felt())),
            (felt(), felt()),
            proptest::collection::vec(
                (proptest::collection::vec(felt(), 0..=MAX_PROOF_LENGTH), proptest::option::of(felt())),
                0..6,
            ),
        )
            .prop_map(|(key, expiry, root, epoch, policy, auth, (r, s), calls)| {
                let policy = policy.map(|token| Policy {
                    max_calls: Some(expiry % u64::MAX),
                    spend_limits: vec![SpendLimit::lifetime(token, U256::from(expiry))],
                    ..Policy::default()
                });
                AccountSignature::Session(SessionSignature {
                    session: [
                        key,
                        expiry.into(),
                        root,
                        policy.as_ref().map_or(Policy::unlimited_hash(), Policy::struct_hash),
                        epoch,
                    ],
                    owner_authorization: auth.map(|(r, s)| StarkSignature { r, s }),
                    session_signature: StarkSignature { r, s },
                    policy: policy.map(|policy| policy.to_felts()),
                    calls: calls
                        .into_iter()
                        .map(|(proof, recipient)| CallPermission {
                            proof,
                            rules: argument_rules_felts(
                                &recipient
                                    .map(|value| ArgumentRule::Equal { index: 0, value })
                                    .into_iter()
                                    .collect::<Vec<_>>(),
                            ),
                        })
                        .collect(),
                })
            })
    }

    #[test]
    fn magic_is_the_short_string_session_v3() {
        assert_eq!(SESSION_MAGIC, crate::snip12::short_string("session-v3"));
    }

    #[test]
    fn rejects_each_malformation_specifically() {
        let valid = AccountSignature::Session(SessionSignature {
            session: [Felt::ONE, Felt::TWO, Felt::THREE, Policy::unlimited_hash(), Felt::ZERO],
            owner_authorization: None,
            session_signature: StarkSignature { r: Felt::ONE, s: Felt::TWO },
            policy: None,
            calls: vec![CallPermission { proof: vec![Felt::ONE], rules: vec![Felt::ZERO] }],
        })
        .encode();
        assert!(AccountSignature::decode(&valid).is_ok());
        assert_eq!(AccountSignature::decode(&[]), Err(DecodeError::UnknownFormat { first: None }));
        assert!(matches!(
            AccountSignature::decode(&valid[..valid.len() - 1]),
            Err(DecodeError::Malformed { .. })
        ));
        let mut trailing = valid.clone();
        trailing.push(Felt::ZERO);
        assert_eq!(
            AccountSignature::decode(&trailing),
            Err(DecodeError::Malformed { reason: "trailing felts" })
        );
        let mut bad_auth = valid.clone();
        bad_auth[6] = Felt::ONE;
        assert_eq!(
            AccountSignature::decode(&bad_auth),
            Err(DecodeError::BadAuthorizationLength { length: Felt::ONE })
        );
        let mut many = valid.clone();
        many[9] = Felt::from(33u64);
        assert_eq!(AccountSignature::decode(&many), Err(DecodeError::TooManyCalls { count: 33 }));
        let mut long = valid.clone();
        long[10] = Felt::from(17u64);
        assert_eq!(AccountSignature::decode(&long), Err(DecodeError::ProofTooLong { length: 17 }));
        let mut bad_rule = valid.clone();
        bad_rule[12] = Felt::ONE;
        assert_eq!(AccountSignature::decode(&bad_rule), Err(DecodeError::Malformed { reason: "truncated" }));
        let mut claims_policy = valid;
        claims_policy[4] = Felt::ONE;
        assert_eq!(
            AccountSignature::decode(&claims_policy),
            Err(DecodeError::Malformed { reason: "truncated" })
        );
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(signature in session_signature()) {
            prop_assert_eq!(AccountSignature::decode(&signature.encode()), Ok(signature));
        }

        #[test]
        fn owner_signatures_round_trip(r in felt(), s in felt()) {
            let signature = AccountSignature::Owner(StarkSignature { r, s });
            prop_assert_eq!(AccountSignature::decode(&signature.encode()), Ok(signature));
        }

        #[test]
        fn decoding_arbitrary_felts_never_panics(felts in proptest::collection::vec(felt(), 0..64), magic in any::<bool>()) {
            let mut felts = felts;
            if magic && !felts.is_empty() {
                felts[0] = SESSION_MAGIC;
            }
            let _ = AccountSignature::decode(&felts);
        }
    }
}
