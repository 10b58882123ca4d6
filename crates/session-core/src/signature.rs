//! Transaction signatures of the session account, encoded and decoded exactly as the contract
//! parses them.
//!
//! Owner: `[r, s]` or a WebAuthn assertion ([`OwnerSignature`]). Session, full form (carries the
//! session; its first use stores it):
//! `[SESSION_MAGIC, session_key, expires_at, allowed_methods_root, policy_hash, epoch,
//!   auth_len, owner_signature…, session_r, session_s, (Policy)?, entry…]`,
//! `auth_len` being the length of the owner's authorization, 0 when it is stored on-chain; the
//! serialized [`Policy`] present exactly when `policy_hash` is not [`Policy::unlimited_hash`].
//!
//! Session, by reference (a session stored on-chain): `[SESSION_REF_MAGIC, session_hash, terms,
//! session_key, session_r, session_s]` (6 felts: the root is the first call's leaf, no call has
//! argument rules), followed by `root` (7 felts: no call has a proof or argument rules), or by
//! `root, entry…` (one entry per call).
//!
//! Entries, one per call: `header, proof…, (rules)?` where `header` is the proof length plus
//! [`REMEMBER_LEAF`] (remember the leaf once proven) plus [`HAS_RULES`] (the leaf's serialized
//! `Span<ArgumentRule>` follows the proof).

use starknet_core::types::Felt;

use crate::owner::{OwnerSignature, WEBAUTHN_MAGIC};
use crate::policy::{argument_rules_from_felts, Policy, PolicyError};
use crate::session::CallPermission;
use crate::webauthn::{WebAuthnAssertion, WebAuthnError};

/// First felt of a full session signature: `'session-v3'`.
pub const SESSION_MAGIC: Felt = Felt::from_hex_unchecked("0x73657373696f6e2d7633");
/// First felt of a by-reference session signature: `'session-v3-ref'`.
pub const SESSION_REF_MAGIC: Felt = Felt::from_hex_unchecked("0x73657373696f6e2d76332d726566");
/// Most calls a session transaction may carry.
pub const MAX_SESSION_CALLS: usize = 32;
/// Longest Merkle proof the contract accepts.
pub const MAX_PROOF_LENGTH: usize = 16;
/// Entry header flag: the account remembers the leaf for the session once proven.
pub const REMEMBER_LEAF: u64 = 0x100;
/// Entry header flag: the leaf's argument rules follow the proof.
pub const HAS_RULES: u64 = 0x200;

/// A Stark ECDSA signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StarkSignature {
    /// `r`.
    pub r: Felt,
    /// `s`.
    pub s: Felt,
}

/// A full-form session signature: the session's fields travel with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSignature {
    /// `[session_key, expires_at, allowed_methods_root, policy_hash, epoch, allowed_messages_hash]`.
    pub session: [Felt; 6],
    /// The owner's signature of the session hash; `None` when registered or cached on-chain.
    pub owner_authorization: Option<OwnerSignature>,
    /// The session key's signature of `session_key_message(hash, session_hash)`.
    pub session_signature: StarkSignature,
    /// The serialized policy; present exactly when the session's policy is not unlimited.
    pub policy: Option<Vec<Felt>>,
    /// One proof and rule set per call.
    pub calls: Vec<CallPermission>,
}

/// A by-reference session signature: names a session stored on-chain by its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRefSignature {
    /// The stored session's hash.
    pub session_hash: Felt,
    /// The stored session's expiry and limit flags ([`crate::Session::terms`]).
    pub terms: Felt,
    /// The session's public key (the account checks it against the stored binding).
    pub session_key: Felt,
    /// The session key's signature of `session_key_message(hash, session_hash)`.
    pub session_signature: StarkSignature,
    /// The session's allowed-methods root; `None`: the first call's leaf (a single-method session).
    pub root: Option<Felt>,
    /// One entry per call (with a root); `None`: no call has a proof or argument rules.
    pub calls: Option<Vec<CallPermission>>,
}

/// A transaction (or outside-execution) signature of the session account.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // short-lived values; boxing would only add an allocation
pub enum AccountSignature {
    /// Signed by the owner (a Stark key or a passkey).
    Owner(OwnerSignature),
    /// Signed by a session key, carrying the session.
    Session(SessionSignature),
    /// Signed by a session key, naming a stored session.
    SessionRef(SessionRefSignature),
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
    /// The owner authorization is neither empty nor an owner signature (`Session: bad
    /// authorization`).
    #[error("the owner authorization ({length} felts) is neither empty nor an owner signature")]
    BadAuthorization {
        /// Its length.
        length: usize,
    },
    /// A passkey owner's signature that does not parse (`WebAuthn: malformed assertion`).
    #[error(transparent)]
    WebAuthn(#[from] WebAuthnError),
    /// More calls than allowed (`Session: too many calls`).
    #[error("{count} calls exceed the maximum of {MAX_SESSION_CALLS}")]
    TooManyCalls {
        /// Calls in the transaction.
        count: usize,
    },
    /// A proof is too long (`Session: proof too long`).
    #[error("proof of length {length} exceeds the maximum of {MAX_PROOF_LENGTH}")]
    ProofTooLong {
        /// Its length.
        length: usize,
    },
}

fn encode_calls(felts: &mut Vec<Felt>, calls: &[CallPermission]) {
    for call in calls {
        let mut header = call.proof.len() as u64;
        if call.remember {
            header |= REMEMBER_LEAF;
        }
        if !call.rules.is_empty() {
            header |= HAS_RULES;
        }
        felts.push(Felt::from(header));
        felts.extend(&call.proof);
        felts.extend(&call.rules);
    }
}

impl AccountSignature {
    /// The felts of the transaction signature.
    pub fn encode(&self) -> Vec<Felt> {
        match self {
            Self::Owner(signature) => signature.encode(),
            Self::Session(session) => {
                let mut felts = vec![SESSION_MAGIC];
                felts.extend(session.session);
                match &session.owner_authorization {
                    Some(authorization) => {
                        let authorization = authorization.encode();
                        felts.push(Felt::from(authorization.len()));
                        felts.extend(authorization);
                    }
                    None => felts.push(Felt::ZERO),
                }
                felts.extend([session.session_signature.r, session.session_signature.s]);
                felts.extend(session.policy.iter().flatten());
                encode_calls(&mut felts, &session.calls);
                felts
            }
            Self::SessionRef(reference) => {
                let mut felts = vec![
                    SESSION_REF_MAGIC,
                    reference.session_hash,
                    reference.terms,
                    reference.session_key,
                    reference.session_signature.r,
                    reference.session_signature.s,
                ];
                felts.extend(reference.root);
                if let (Some(_), Some(calls)) = (reference.root, &reference.calls) {
                    encode_calls(&mut felts, calls);
                }
                felts
            }
        }
    }

    /// Parses the signature felts of a transaction of `call_count` calls as the contract does.
    pub fn decode(felts: &[Felt], call_count: usize) -> Result<Self, DecodeError> {
        if let [r, s] = felts {
            return Ok(Self::Owner(OwnerSignature::Stark { r: *r, s: *s }));
        }
        if felts.first() == Some(&WEBAUTHN_MAGIC) {
            return Ok(Self::Owner(OwnerSignature::WebAuthn(WebAuthnAssertion::from_felts(&felts[1..])?)));
        }
        let mut reader = Reader { rest: felts.get(1..).unwrap_or_default() };
        match felts.first() {
            Some(magic) if *magic == SESSION_MAGIC => {}
            Some(magic) if *magic == SESSION_REF_MAGIC => {
                let session_hash = reader.felt()?;
                let terms = reader.felt()?;
                let session_key = reader.felt()?;
                let session_signature = reader.signature()?;
                let root = if reader.rest.is_empty() { None } else { Some(reader.felt()?) };
                let calls = if reader.rest.is_empty() { None } else { Some(reader.calls(call_count)?) };
                return Ok(Self::SessionRef(SessionRefSignature {
                    session_hash,
                    terms,
                    session_key,
                    session_signature,
                    root,
                    calls,
                }));
            }
            first => return Err(DecodeError::UnknownFormat { first: first.copied() }),
        }
        let session = [
            reader.felt()?,
            reader.u64()?.into(),
            reader.felt()?,
            reader.felt()?,
            reader.felt()?,
            reader.felt()?,
        ];
        let owner_authorization = match reader.u32()? {
            0 => None,
            length => {
                let felts = reader.take(length)?;
                Some(OwnerSignature::decode(felts).map_err(|_| DecodeError::BadAuthorization { length })?)
            }
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
                PolicyError::AmountAboveU128 { .. } => {
                    DecodeError::Malformed { reason: "spend limit above u128" }
                }
                PolicyError::WindowTooLong { .. } => {
                    DecodeError::Malformed { reason: "spend limit window too long" }
                }
                PolicyError::BadLimitsWindow(_) => DecodeError::Malformed { reason: "bad limits window" },
            })?;
            Some(reader.take(used)?.to_vec())
        };
        let calls = reader.calls(call_count)?;
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

    /// One entry per call, then nothing left.
    fn calls(&mut self, count: usize) -> Result<Vec<CallPermission>, DecodeError> {
        if count > MAX_SESSION_CALLS {
            return Err(DecodeError::TooManyCalls { count });
        }
        let mut calls = Vec::with_capacity(count);
        for _ in 0..count {
            let header = self.u32()? as u64;
            if header >= 2 * HAS_RULES {
                return Err(DecodeError::Malformed { reason: "unknown entry flags" });
            }
            let length = (header % REMEMBER_LEAF) as usize;
            if length > MAX_PROOF_LENGTH {
                return Err(DecodeError::ProofTooLong { length });
            }
            let proof = self.take(length)?.to_vec();
            let rules = if header & HAS_RULES != 0 {
                let (rules, used) = argument_rules_from_felts(self.rest)
                    .map_err(|reason| DecodeError::Malformed { reason })?;
                if rules.is_empty() {
                    return Err(DecodeError::Malformed { reason: "entry flags rules but has none" });
                }
                self.take(used)?.to_vec()
            } else {
                Vec::new()
            };
            calls.push(CallPermission { proof, rules, remember: header & REMEMBER_LEAF != 0 });
        }
        if !self.rest.is_empty() {
            return Err(DecodeError::Malformed { reason: "trailing felts" });
        }
        Ok(calls)
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

    fn permissions() -> impl Strategy<Value = Vec<CallPermission>> {
        proptest::collection::vec(
            (
                proptest::collection::vec(felt(), 0..=MAX_PROOF_LENGTH),
                proptest::option::of(felt()),
                any::<bool>(),
            ),
            0..6,
        )
        .prop_map(|calls| {
            calls
                .into_iter()
                .map(|(proof, recipient, remember)| CallPermission {
                    proof,
                    rules: recipient
                        .map(|value| argument_rules_felts(&[ArgumentRule::Equal { index: 0, value }]))
                        .unwrap_or_default(),
                    remember,
                })
                .collect()
        })
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
            permissions(),
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
                        Felt::ZERO,
                    ],
                    owner_authorization: auth.map(|(r, s)| OwnerSignature::Stark { r, s }),
                    session_signature: StarkSignature { r, s },
                    policy: policy.map(|policy| policy.to_felts()),
                    calls,
                })
            })
    }

    fn reference_signature() -> impl Strategy<Value = AccountSignature> {
        (
            felt(),
            felt(),
            felt(),
            (felt(), felt()),
            proptest::option::of((
                felt(),
                proptest::option::of(permissions().prop_filter("entries", |calls| !calls.is_empty())),
            )),
        )
            .prop_map(|(session_hash, terms, session_key, (r, s), methods)| {
                AccountSignature::SessionRef(SessionRefSignature {
                    session_hash,
                    terms,
                    session_key,
                    session_signature: StarkSignature { r, s },
                    root: methods.as_ref().map(|(root, _)| *root),
                    calls: methods.and_then(|(_, calls)| calls),
                })
            })
    }

    fn call_count(signature: &AccountSignature) -> usize {
        match signature {
            AccountSignature::Session(session) => session.calls.len(),
            AccountSignature::SessionRef(reference) => reference.calls.as_ref().map_or(1, Vec::len),
            AccountSignature::Owner(_) => 0,
        }
    }

    #[test]
    fn magics_are_the_short_strings() {
        assert_eq!(SESSION_MAGIC, crate::snip12::short_string("session-v3"));
        assert_eq!(SESSION_REF_MAGIC, crate::snip12::short_string("session-v3-ref"));
    }

    #[test]
    fn entry_headers_carry_the_proof_length_and_flags() {
        let rules = argument_rules_felts(&[ArgumentRule::Equal { index: 0, value: Felt::ONE }]);
        let signature = AccountSignature::SessionRef(SessionRefSignature {
            session_hash: Felt::ONE,
            terms: Felt::TWO,
            session_key: Felt::THREE,
            session_signature: StarkSignature { r: Felt::ONE, s: Felt::TWO },
            root: Some(Felt::from(9u8)),
            calls: Some(vec![
                CallPermission { proof: vec![Felt::ONE, Felt::TWO], rules: Vec::new(), remember: true },
                CallPermission { proof: Vec::new(), rules: rules.clone(), remember: false },
            ]),
        });
        let mut expected = vec![SESSION_REF_MAGIC, Felt::ONE, Felt::TWO, Felt::THREE, Felt::ONE, Felt::TWO];
        expected.extend([Felt::from(9u8), Felt::from(0x102u64), Felt::ONE, Felt::TWO, Felt::from(0x200u64)]);
        expected.extend(rules);
        assert_eq!(signature.encode(), expected);
    }

    #[test]
    fn rejects_each_malformation_specifically() {
        let rules = argument_rules_felts(&[ArgumentRule::Equal { index: 0, value: Felt::ONE }]);
        let valid = AccountSignature::Session(SessionSignature {
            session: [Felt::ONE, Felt::TWO, Felt::THREE, Policy::unlimited_hash(), Felt::ZERO, Felt::ZERO],
            owner_authorization: None,
            session_signature: StarkSignature { r: Felt::ONE, s: Felt::TWO },
            policy: None,
            calls: vec![CallPermission { proof: vec![Felt::ONE], rules: rules.clone(), remember: false }],
        })
        .encode();
        assert!(AccountSignature::decode(&valid, 1).is_ok());
        assert_eq!(AccountSignature::decode(&[], 0), Err(DecodeError::UnknownFormat { first: None }));
        assert!(matches!(
            AccountSignature::decode(&valid[..valid.len() - 1], 1),
            Err(DecodeError::Malformed { .. })
        ));
        let mut trailing = valid.clone();
        trailing.push(Felt::ZERO);
        assert_eq!(
            AccountSignature::decode(&trailing, 1),
            Err(DecodeError::Malformed { reason: "trailing felts" })
        );
        let mut bad_auth = valid.clone();
        bad_auth[7] = Felt::ONE;
        assert_eq!(AccountSignature::decode(&bad_auth, 1), Err(DecodeError::BadAuthorization { length: 1 }));
        assert_eq!(AccountSignature::decode(&valid, 33), Err(DecodeError::TooManyCalls { count: 33 }));
        let mut long = valid.clone();
        long[10] = Felt::from(HAS_RULES + 17);
        assert_eq!(AccountSignature::decode(&long, 1), Err(DecodeError::ProofTooLong { length: 17 }));
        let mut unknown_flag = valid.clone();
        unknown_flag[10] = Felt::from(0x401u64);
        assert_eq!(
            AccountSignature::decode(&unknown_flag, 1),
            Err(DecodeError::Malformed { reason: "unknown entry flags" })
        );
        let mut empty_rules = valid[..12].to_vec();
        empty_rules.push(Felt::ZERO);
        assert_eq!(
            AccountSignature::decode(&empty_rules, 1),
            Err(DecodeError::Malformed { reason: "entry flags rules but has none" })
        );
        let mut bad_rule = valid.clone();
        bad_rule[12] = Felt::TWO;
        assert!(matches!(AccountSignature::decode(&bad_rule, 1), Err(DecodeError::Malformed { .. })));
        assert!(AccountSignature::decode(&valid, 2).is_err(), "one entry per call");
        let reference = AccountSignature::SessionRef(SessionRefSignature {
            session_hash: Felt::ONE,
            terms: Felt::TWO,
            session_key: Felt::THREE,
            session_signature: StarkSignature { r: Felt::ONE, s: Felt::TWO },
            root: None,
            calls: None,
        })
        .encode();
        assert_eq!(reference.len(), 6);
        assert!(
            AccountSignature::decode(&reference, 3).is_ok(),
            "the short form is valid for any call count"
        );
        assert!(matches!(AccountSignature::decode(&reference[..5], 1), Err(DecodeError::Malformed { .. })));
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(signature in session_signature()) {
            prop_assert_eq!(AccountSignature::decode(&signature.encode(), call_count(&signature)), Ok(signature));
        }

        #[test]
        fn decode_inverts_encode_by_reference(signature in reference_signature()) {
            prop_assert_eq!(AccountSignature::decode(&signature.encode(), call_count(&signature)), Ok(signature));
        }

        #[test]
        fn owner_signatures_round_trip(r in felt(), s in felt()) {
            let signature = AccountSignature::Owner(OwnerSignature::Stark { r, s });
            prop_assert_eq!(AccountSignature::decode(&signature.encode(), 1), Ok(signature));
        }

        #[test]
        fn decoding_arbitrary_felts_never_panics(
            felts in proptest::collection::vec(felt(), 0..64),
            magic in 0u8..3,
            calls in 0usize..40,
        ) {
            let mut felts = felts;
            if !felts.is_empty() && magic > 0 {
                felts[0] = if magic == 1 { SESSION_MAGIC } else { SESSION_REF_MAGIC };
            }
            let _ = AccountSignature::decode(&felts, calls);
        }
    }
}
