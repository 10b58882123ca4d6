//! Who owns an account — a Stark key or a passkey — and the owner's signatures, encoded as the
//! account parses them.

use starknet_core::types::Felt;

use crate::signature::StarkSignature;
#[cfg(test)]
use crate::snip12::short_string;
use crate::webauthn::{Passkey, WebAuthnAssertion, WebAuthnError};

/// First felt of a passkey owner's signature: `'webauthn-v1'`.
pub const WEBAUTHN_MAGIC: Felt = Felt::from_hex_unchecked("0x776562617574686e2d7631");

/// The owner of a session account (the contract's `OwnerKey`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OwnerKey {
    /// A Stark public key.
    Stark {
        /// The public key.
        public_key: Felt,
    },
    /// A passkey.
    Passkey(Passkey),
}

impl OwnerKey {
    /// The owner id the account reports (`get_owner`) and rotation hashes name: the Stark public
    /// key, or the passkey's [`Passkey::id`].
    pub fn id(&self) -> Felt {
        match self {
            Self::Stark { public_key } => *public_key,
            Self::Passkey(passkey) => passkey.id(),
        }
    }

    /// The key as the contract's `OwnerKey` enum serializes it (the account's constructor calldata).
    pub fn to_felts(&self) -> Vec<Felt> {
        match self {
            Self::Stark { public_key } => vec![Felt::ZERO, *public_key],
            Self::Passkey(passkey) => [vec![Felt::ONE], passkey.to_felts()].concat(),
        }
    }

    /// Parses the contract's serialized `OwnerKey` (e.g. `get_owner_key`'s answer).
    pub fn from_felts(felts: &[Felt]) -> Result<Self, WebAuthnError> {
        match felts {
            [variant, public_key] if *variant == Felt::ZERO => Ok(Self::Stark { public_key: *public_key }),
            [variant, passkey @ ..] if *variant == Felt::ONE => {
                Ok(Self::Passkey(Passkey::from_felts(passkey)?))
            }
            _ => Err(WebAuthnError::Malformed("not an owner key")),
        }
    }

    /// Whether `signature` is this owner's over `hash`, as the account checks it.
    pub fn verifies(&self, hash: Felt, signature: &OwnerSignature) -> bool {
        match (self, signature) {
            (Self::Stark { public_key }, OwnerSignature::Stark { r, s }) => {
                starknet_core::crypto::ecdsa_verify(
                    public_key,
                    &hash,
                    &starknet_core::crypto::Signature { r: *r, s: *s },
                )
                .unwrap_or(false)
            }
            (Self::Passkey(passkey), OwnerSignature::WebAuthn(assertion)) => {
                crate::webauthn::verify_assertion(passkey, hash, assertion).is_ok()
            }
            _ => false,
        }
    }

    /// Whether this is a passkey.
    pub fn is_passkey(&self) -> bool {
        matches!(self, Self::Passkey(_))
    }
}

/// An owner's signature of a hash: a Stark key's `[r, s]` or a passkey's WebAuthn assertion.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OwnerSignature {
    /// `[r, s]`.
    Stark {
        /// `r`.
        r: Felt,
        /// `s`.
        s: Felt,
    },
    /// `[WEBAUTHN_MAGIC, assertion…]`.
    WebAuthn(WebAuthnAssertion),
}

impl From<StarkSignature> for OwnerSignature {
    fn from(signature: StarkSignature) -> Self {
        Self::Stark { r: signature.r, s: signature.s }
    }
}

impl OwnerSignature {
    /// The felts of the signature.
    pub fn encode(&self) -> Vec<Felt> {
        match self {
            Self::Stark { r, s } => vec![*r, *s],
            Self::WebAuthn(assertion) => [vec![WEBAUTHN_MAGIC], assertion.to_felts()].concat(),
        }
    }

    /// Parses an owner signature that uses every felt.
    pub fn decode(felts: &[Felt]) -> Result<Self, WebAuthnError> {
        match felts {
            [r, s] => Ok(Self::Stark { r: *r, s: *s }),
            [magic, rest @ ..] if *magic == WEBAUTHN_MAGIC => {
                Ok(Self::WebAuthn(WebAuthnAssertion::from_felts(rest)?))
            }
            _ => Err(WebAuthnError::Malformed("neither [r, s] nor a WebAuthn assertion")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_magic_is_the_short_string() {
        assert_eq!(WEBAUTHN_MAGIC, short_string("webauthn-v1"));
    }

    #[test]
    fn stark_owners_keep_their_key_as_id() {
        let owner = OwnerKey::Stark { public_key: Felt::from(7u8) };
        assert_eq!(owner.id(), Felt::from(7u8));
        assert_eq!(owner.to_felts(), vec![Felt::ZERO, Felt::from(7u8)]);
        assert_eq!(OwnerKey::from_felts(&owner.to_felts()), Ok(owner));
    }

    #[test]
    fn a_passkey_owner_round_trips_through_its_felts() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        let owner =
            OwnerKey::Passkey(Passkey::new(key.verifying_key(), "game.example", "https://game.example"));
        assert_eq!(OwnerKey::from_felts(&owner.to_felts()), Ok(owner.clone()));
        let felts = owner.to_felts();
        assert!(OwnerKey::from_felts(&felts[..felts.len() - 1]).is_err());
    }
}
