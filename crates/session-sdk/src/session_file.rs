//! A session saved to disk: what the owner authorized, the authorization, and the session key
//! encrypted with a password. What `stark-session session create` writes and `inspect` reads.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use session_core::{
    AllowedMessage, ArgumentRule, OwnerSignature, Policy, Session, SessionBuilder, SessionKey,
};
use starknet::core::types::Felt;
use starknet::core::utils::get_selector_from_name;

use crate::keystore::{write_new_file, EncryptedSecret, KeystoreError};
use crate::{SdkError, SessionAccount};

/// The format tag of session files this SDK writes and reads.
pub const SESSION_FILE_FORMAT: &str = "starknet-session-keys/session-v3";

/// One allowed method as written in a session file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFileMethod {
    /// The contract the session may call.
    pub contract_address: Felt,
    /// The entrypoint selector.
    pub selector: Felt,
    /// The entrypoint name, when the creator knew it (for people reading the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<String>,
    /// Rules the call's arguments must obey (none: any arguments).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argument_rules: Vec<ArgumentRule>,
}

/// A session file's contents. Every derived value (root, hash) is recomputed on load and must match.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionFile {
    /// Always [`SESSION_FILE_FORMAT`].
    pub format: String,
    /// The chain the session is for.
    pub chain_id: Felt,
    /// The session account.
    pub account: Felt,
    /// The session hash the owner signed.
    pub session_hash: Felt,
    /// The session public key.
    pub session_public_key: Felt,
    /// Unix time from which the session no longer works.
    pub expires_at: u64,
    /// The session's limits (absent: none beyond methods, expiry and default deny).
    #[serde(default, skip_serializing_if = "Policy::is_unlimited")]
    pub policy: Policy,
    /// The policy's SNIP-12 struct hash, as signed in the session.
    pub policy_hash: Felt,
    /// The account's session epoch the session belongs to.
    pub epoch: Felt,
    /// The Merkle root of the allowed methods.
    pub allowed_methods_root: Felt,
    /// The allowed methods.
    pub allowed_methods: Vec<SessionFileMethod>,
    /// The off-chain message kinds (SNIP-12 domain and type hashes) the session key may sign.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_messages: Vec<AllowedMessage>,
    /// The owner's signature of the session hash, as the account parses it (`[r, s]` for a Stark
    /// owner, a WebAuthn assertion for a passkey); `None` once registered on-chain only.
    pub owner_authorization: Option<Vec<Felt>>,
    /// The session private key, password-encrypted (Web3 Secret Storage v3).
    pub session_key: EncryptedSecret,
}

/// Why a session file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SessionFileError {
    /// The file is not JSON of a session file.
    #[error("{path} is not a session file: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A recorded value does not match the one recomputed from the session.
    #[error("the session file's {field} does not match its contents (edited or corrupted)")]
    Mismatch {
        /// Which field.
        field: &'static str,
    },
}

impl SessionFile {
    /// The file for `session` of `account` on `chain_id`, with `key` encrypted under `password`;
    /// `entrypoint_names` maps selectors to names for readers.
    pub fn new(
        chain_id: Felt,
        account: Felt,
        session: &Session,
        owner_authorization: Option<OwnerSignature>,
        key: &SessionKey,
        password: &str,
        entrypoint_names: &BTreeMap<Felt, String>,
    ) -> Result<Self, SdkError> {
        Ok(Self {
            format: SESSION_FILE_FORMAT.into(),
            chain_id,
            account,
            session_hash: session.hash(chain_id, account),
            session_public_key: session.session_key,
            expires_at: session.expires_at,
            policy: session.policy().clone(),
            policy_hash: session.policy_hash(),
            epoch: session.epoch,
            allowed_methods_root: session.allowed_methods_root(),
            allowed_methods: session
                .allowed_methods()
                .iter()
                .map(|permission| SessionFileMethod {
                    contract_address: permission.method.contract_address,
                    selector: permission.method.selector,
                    entrypoint: entrypoint_names.get(&permission.method.selector).cloned(),
                    argument_rules: permission.rules.clone(),
                })
                .collect(),
            allowed_messages: session.allowed_messages().to_vec(),
            owner_authorization: owner_authorization.map(|signature| signature.encode()),
            session_key: EncryptedSecret::encrypt(&key.secret_bytes(), password)?,
        })
    }

    /// Reads and checks a session file.
    pub fn load(path: &Path) -> Result<Self, SdkError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| KeystoreError::Io { path: path.into(), source })?;
        let unreadable =
            |reason: String| SessionFileError::Unreadable { path: path.display().to_string(), reason };
        let file: SessionFile = serde_json::from_str(&text).map_err(|error| unreadable(error.to_string()))?;
        if file.format != SESSION_FILE_FORMAT {
            return Err(
                unreadable(format!("format {:?}, expected {SESSION_FILE_FORMAT:?}", file.format)).into()
            );
        }
        file.session()?;
        Ok(file)
    }

    /// Writes the file (never over an existing one), readable only by its owner.
    pub fn save(&self, path: &Path) -> Result<(), SdkError> {
        let text = serde_json::to_string_pretty(self).expect("a session file always serializes");
        Ok(write_new_file(path, text.as_bytes())?)
    }

    /// The session, rebuilt from the file and checked against its recorded root and hash, and
    /// every entrypoint name shown against the selector it claims to be.
    pub fn session(&self) -> Result<Session, SdkError> {
        let mut builder = SessionBuilder::new(self.session_public_key)
            .expires_at(self.expires_at)
            .epoch(self.epoch)
            .policy(self.policy.clone());
        for method in &self.allowed_methods {
            if let Some(name) = &method.entrypoint {
                if get_selector_from_name(name).ok() != Some(method.selector) {
                    return Err(SessionFileError::Mismatch { field: "entrypoint" }.into());
                }
            }
            builder = builder.allow_selector(
                method.contract_address,
                method.selector,
                method.argument_rules.clone(),
            );
        }
        for message in &self.allowed_messages {
            builder = builder.allow_message(message.domain_hash, message.type_hash);
        }
        let session = builder.build()?;
        if session.policy_hash() != self.policy_hash {
            return Err(SessionFileError::Mismatch { field: "policy_hash" }.into());
        }
        if session.allowed_methods_root() != self.allowed_methods_root {
            return Err(SessionFileError::Mismatch { field: "allowed_methods_root" }.into());
        }
        if session.hash(self.chain_id, self.account) != self.session_hash {
            return Err(SessionFileError::Mismatch { field: "session_hash" }.into());
        }
        Ok(session)
    }

    /// The session key, decrypted with `password`.
    pub fn unlock_key(&self, password: &str) -> Result<SessionKey, SdkError> {
        let secret = self.session_key.decrypt(password, "the session key")?;
        let key = SessionKey::from_bytes(*secret)?;
        if key.public_key() != self.session_public_key {
            return Err(SessionFileError::Mismatch { field: "session_public_key" }.into());
        }
        Ok(key)
    }

    /// A [`SessionAccount`] ready to send this session's transactions through `provider`.
    pub fn open<P>(&self, provider: P, password: &str) -> Result<SessionAccount<P>, SdkError> {
        let authorization = match &self.owner_authorization {
            None => None,
            Some(felts) => {
                Some(OwnerSignature::decode(felts).map_err(|error| SessionFileError::Unreadable {
                    path: "the session file".into(),
                    reason: format!("owner_authorization: {error}"),
                })?)
            }
        };
        Ok(SessionAccount::new(
            provider,
            self.account,
            self.chain_id,
            self.session()?,
            self.unlock_key(password)?,
            authorization,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::SpendLimit;

    fn sample(password: &str) -> (SessionFile, Felt) {
        let key = SessionKey::from_secret_scalar(Felt::from(0xabcdu32)).unwrap();
        let session = SessionBuilder::new(key.public_key())
            .expires_at(1_900_000_000)
            .allow(Felt::from(0x99u32), "increase")
            .build()
            .unwrap();
        let names = BTreeMap::from([(session.allowed_methods()[0].method.selector, "increase".to_owned())]);
        let file = SessionFile::new(Felt::ONE, Felt::TWO, &session, None, &key, password, &names).unwrap();
        (file, key.public_key())
    }

    #[test]
    fn a_saved_session_loads_back_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        let (file, public_key) = sample("pw");
        file.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"entrypoint\": \"increase\""), "{text}");
        assert!(!text.contains(&format!("{:#x}", Felt::from(0xabcdu32))), "the secret is written in clear");
        let loaded = SessionFile::load(&path).unwrap();
        assert_eq!(loaded.unlock_key("pw").unwrap().public_key(), public_key);
    }

    #[test]
    fn a_policy_and_argument_rules_survive_the_file_and_cannot_be_edited() {
        let key = SessionKey::from_secret_scalar(Felt::from(0xabcdu32)).unwrap();
        let token = Felt::from(0x70ceu32);
        let session = SessionBuilder::new(key.public_key())
            .expires_at(1_900_000_000)
            .allow_with_rules(
                token,
                "transfer",
                vec![ArgumentRule::Equal { index: 0, value: Felt::from(0xb0bu32) }],
            )
            .policy(Policy {
                max_calls: Some(5),
                spend_limits: vec![SpendLimit::lifetime(token, session_core::U256::from(1_000u32))],
                ..Policy::default()
            })
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        SessionFile::new(Felt::ONE, Felt::TWO, &session, None, &key, "pw", &BTreeMap::new())
            .unwrap()
            .save(&path)
            .unwrap();
        let loaded = SessionFile::load(&path).unwrap();
        assert_eq!(loaded.session().unwrap(), session);

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"1000\""), "{text}");
        let raised = dir.path().join("raised.json");
        std::fs::write(&raised, text.replace("\"1000\"", "\"1000000\"")).unwrap();
        assert!(matches!(
            SessionFile::load(&raised),
            Err(SdkError::SessionFile(SessionFileError::Mismatch { field: "policy_hash" }))
        ));
        let loosened = dir.path().join("loosened.json");
        std::fs::write(
            &loosened,
            text.replace("\"rule\": \"equal\"", "\"rule\": \"at_most\"").replace("\"value\"", "\"bound\""),
        )
        .unwrap();
        assert!(matches!(
            SessionFile::load(&loosened),
            Err(SdkError::SessionFile(SessionFileError::Mismatch { field: "allowed_methods_root" }))
        ));
    }

    #[test]
    fn an_entrypoint_name_edited_by_hand_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        sample("pw").0.save(&path).unwrap();
        let edited = dir.path().join("edited.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&edited, text.replace("\"increase\"", "\"withdraw\"")).unwrap();
        assert!(matches!(
            SessionFile::load(&edited),
            Err(SdkError::SessionFile(SessionFileError::Mismatch { field: "entrypoint" }))
        ));
    }

    #[test]
    fn a_wrong_password_or_an_edited_file_is_refused() {
        let (mut file, _) = sample("pw");
        assert!(matches!(
            file.unlock_key("not it"),
            Err(SdkError::Keystore(KeystoreError::WrongPassword { .. }))
        ));
        file.expires_at += 1;
        assert!(matches!(file.session(), Err(SdkError::SessionFile(SessionFileError::Mismatch { .. }))));
    }
}
