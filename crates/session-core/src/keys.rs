//! Session private keys: kept in memory only, zeroized on drop, never printed.

use starknet_core::types::Felt;
use starknet_crypto::{get_public_key, rfc6979_generate_k, sign};
use zeroize::{Zeroize, Zeroizing};

use crate::signature::StarkSignature;

/// Order of the Stark curve's generator: private keys lie in `[1, ORDER)`.
const CURVE_ORDER: Felt =
    Felt::from_hex_unchecked("0x0800000000000010ffffffffffffffffb781126dcae7b2321e66a241adc64d2f");

/// Why a session key could not be created or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The secret is zero or not below the curve order.
    #[error("a Stark private key must lie in [1, curve order)")]
    OutOfRange,
    /// The operating system's random generator failed.
    #[error("no randomness available: {0}")]
    Randomness(String),
    /// Signing failed (only with a degenerate nonce; retried internally, so practically never).
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A session's Stark private key. Zeroized on drop; `Debug` shows only the public key.
pub struct SessionKey {
    secret: Zeroizing<[u8; 32]>,
    public_key: Felt,
}

impl SessionKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Result<Self, KeyError> {
        loop {
            let mut bytes = Zeroizing::new([0u8; 32]);
            getrandom::getrandom(bytes.as_mut()).map_err(|error| KeyError::Randomness(error.to_string()))?;
            bytes[0] &= 0x07; // below 2^251, then rejection-sample into [1, ORDER)
            if let Ok(key) = Self::from_bytes(*bytes) {
                return Ok(key);
            }
        }
    }

    /// The key with this 32-byte big-endian secret.
    pub fn from_bytes(mut bytes: [u8; 32]) -> Result<Self, KeyError> {
        let secret = Zeroizing::new(bytes);
        bytes.zeroize();
        let scalar = Felt::from_bytes_be(&secret);
        if scalar == Felt::ZERO || scalar >= CURVE_ORDER {
            return Err(KeyError::OutOfRange);
        }
        Ok(Self { public_key: get_public_key(&scalar), secret })
    }

    /// The key with this secret scalar.
    pub fn from_secret_scalar(secret: Felt) -> Result<Self, KeyError> {
        Self::from_bytes(secret.to_bytes_be())
    }

    /// The session public key (what the owner authorizes).
    pub fn public_key(&self) -> Felt {
        self.public_key
    }

    /// The secret as 32 big-endian bytes, for an encrypted keystore; handle with care.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.secret.clone()
    }

    /// Signs `message` deterministically (RFC 6979).
    pub fn sign(&self, message: Felt) -> Result<StarkSignature, KeyError> {
        let scalar = Felt::from_bytes_be(&self.secret);
        let mut seed = None;
        loop {
            let k = rfc6979_generate_k(&message, &scalar, seed.as_ref());
            match sign(&scalar, &message, &k) {
                Ok(signature) => return Ok(StarkSignature { r: signature.r, s: signature.s }),
                Err(starknet_crypto::SignError::InvalidK) => {
                    seed = Some(seed.unwrap_or(Felt::ZERO) + Felt::ONE);
                }
                Err(error) => return Err(KeyError::Signing(error.to_string())),
            }
        }
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKey")
            .field("public_key", &format_args!("{:#x}", self.public_key))
            .finish_non_exhaustive()
    }
}

/// A random 248-bit felt from the OS generator (outside-execution nonces, tracking ids).
pub fn random_felt() -> Result<Felt, KeyError> {
    let mut bytes = [0u8; 31];
    getrandom::getrandom(&mut bytes).map_err(|error| KeyError::Randomness(error.to_string()))?;
    Ok(Felt::from_bytes_be_slice(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SessionKey::from_secret_scalar(Felt::from(0xdeadbeefu64)).unwrap();
        let printed = format!("{key:?}");
        assert!(!printed.contains("deadbeef"), "{printed}");
        assert!(printed.contains(&format!("{:#x}", key.public_key())));
    }

    #[test]
    fn signatures_verify_under_the_public_key() {
        let key = SessionKey::generate().unwrap();
        let message = Felt::from(12345u64);
        let signature = key.sign(message).unwrap();
        assert!(starknet_crypto::verify(&key.public_key(), &message, &signature.r, &signature.s).unwrap());
        assert_ne!(SessionKey::generate().unwrap().public_key(), key.public_key());
    }

    #[test]
    fn out_of_range_secrets_are_refused() {
        assert_eq!(SessionKey::from_secret_scalar(Felt::ZERO).unwrap_err(), KeyError::OutOfRange);
        assert_eq!(SessionKey::from_secret_scalar(CURVE_ORDER).unwrap_err(), KeyError::OutOfRange);
    }
}
