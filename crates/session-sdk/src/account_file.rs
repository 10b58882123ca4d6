//! The account file `stark-session account create` writes: where a session account is (or will be
//! deployed) and how its address was derived. It holds no secret.

use std::path::Path;

use serde::{Deserialize, Serialize};
use session_core::OwnerKey;
use starknet::core::types::Felt;

use crate::keystore::{write_new_file, KeystoreError};
use crate::{session_account_address, SdkError};

/// A session account's address and what derives it (owner key, salt, class).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFile {
    /// The session account's address.
    pub address: Felt,
    /// The owner at deployment (the constructor argument): a Stark key or a passkey.
    pub owner: OwnerKey,
    /// The deployment salt.
    pub salt: Felt,
    /// The session account class hash.
    pub class_hash: Felt,
}

/// Why an account file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AccountFileError {
    /// The file is not JSON of an account file.
    #[error("{path} is not an account file: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The address does not follow from the owner key, salt and this SDK's class.
    #[error(
        "{path}: address {address:#x} is not the session account of owner {owner:#x} and salt {salt:#x}"
    )]
    Inconsistent {
        /// The file.
        path: String,
        /// The recorded address.
        address: Felt,
        /// The recorded owner's id (Stark public key or passkey id).
        owner: Felt,
        /// The recorded salt.
        salt: Felt,
    },
}

impl AccountFile {
    /// The file of the session account of `owner` deployed with `salt` (this SDK's class).
    pub fn new(owner: OwnerKey, salt: Felt) -> Result<Self, SdkError> {
        Ok(Self {
            address: session_account_address(&owner, salt)?,
            owner,
            salt,
            class_hash: session_bindings::session_account_artifact()?.class_hash,
        })
    }

    /// Reads an account file; an address that does not follow from its owner key and salt (for
    /// the class it names) is refused.
    pub fn load(path: &Path) -> Result<Self, SdkError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| KeystoreError::Io { path: path.into(), source })?;
        let unreadable =
            |reason: String| AccountFileError::Unreadable { path: path.display().to_string(), reason };
        let file: Self = serde_json::from_str(&text).map_err(|error| unreadable(error.to_string()))?;
        let expected = starknet::core::utils::get_contract_address(
            file.salt,
            file.class_hash,
            &file.owner.to_felts(),
            Felt::ZERO,
        );
        if expected != file.address {
            return Err(AccountFileError::Inconsistent {
                path: path.display().to_string(),
                address: file.address,
                owner: file.owner.id(),
                salt: file.salt,
            }
            .into());
        }
        Ok(file)
    }

    /// Writes the file (never over an existing one).
    pub fn save(&self, path: &Path) -> Result<(), SdkError> {
        let text = serde_json::to_string_pretty(self).expect("an account file always serializes");
        Ok(write_new_file(path, text.as_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_file_round_trips_and_an_edited_address_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account.json");
        let file =
            AccountFile::new(OwnerKey::Stark { public_key: Felt::from(0x1234u32) }, Felt::ONE).unwrap();
        file.save(&path).unwrap();
        assert_eq!(AccountFile::load(&path).unwrap(), file);
        assert!(matches!(file.save(&path), Err(SdkError::Keystore(KeystoreError::AlreadyExists(_)))));
        let edited = dir.path().join("edited.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&edited, text.replace("\"salt\": \"0x1\"", "\"salt\": \"0x2\"")).unwrap();
        assert!(matches!(
            AccountFile::load(&edited),
            Err(SdkError::AccountFile(AccountFileError::Inconsistent { .. }))
        ));
    }
}
