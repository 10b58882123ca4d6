//! The account owner: a Stark key or a passkey (WebAuthn), its signature checks and its rotation.

/// Owner key storage, owner signatures and key rotation.
#[starknet::component]
pub mod OwnerComponent {
    use starknet::account::Call;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::syscalls::call_contract_syscall;
    use starknet::{SyscallResultTrait, get_caller_address, get_contract_address, get_tx_info};
    use crate::errors::{AccountErrors, WebAuthnErrors};
    use crate::interfaces::{IOwner, OwnerKey, Passkey};
    use crate::signature::{OwnerSignature, is_valid_stark_signature};
    use crate::snip12::{owner_rotation_hash, passkey_id};
    use crate::webauthn::{public_key_point, verify_assertion};

    #[storage]
    pub struct Storage {
        /// The owner's Stark public key; 0 when the owner is a passkey.
        pub Owner_public_key: felt252,
        /// The owner's passkey (meaningful when `Owner_public_key` is 0).
        pub Owner_passkey: Passkey,
    }

    #[event]
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub enum Event {
        OwnerChanged: OwnerChanged,
    }

    /// The owner changed (also emitted by the constructor, from 0). Owners are named by their id:
    /// a Stark public key, or a passkey's `passkey_id` (`get_owner_key` returns the passkey).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct OwnerChanged {
        #[key]
        pub old_owner: felt252,
        #[key]
        pub new_owner: felt252,
    }

    /// What the embedding contract does when the owner is rotated (not at construction): the
    /// session account ends every session there.
    pub trait OwnerHooksTrait<TContractState> {
        /// Runs after `set_owner` stored the new owner.
        fn after_owner_rotated(ref self: ComponentState<TContractState>);
    }

    #[embeddable_as(OwnerImpl)]
    impl Owner<
        TContractState, +HasComponent<TContractState>, impl Hooks: OwnerHooksTrait<TContractState>,
    > of IOwner<ComponentState<TContractState>> {
        /// The owner's id: its Stark public key, or its passkey's `passkey_id`.
        fn get_owner(self: @ComponentState<TContractState>) -> felt252 {
            owner_id(@self.owner_key())
        }

        /// The owner's key.
        fn get_owner_key(self: @ComponentState<TContractState>) -> OwnerKey {
            self.owner_key()
        }

        /// Replaces the owner, by a Stark key or a passkey.
        ///
        /// Requirements:
        /// - the caller is the account itself (an owner transaction; sessions can never call the account);
        /// - `new_owner` is a valid key (`initializer`'s rules);
        /// - `signature` is `new_owner`'s over `owner_rotation_hash(chain id, account, current
        ///   owner id, new owner id)`, proving the new key is held (`[r, s]`, or a WebAuthn
        ///   assertion whose challenge is that hash).
        ///
        /// Runs the `after_owner_rotated` hook: in the session account every session ends,
        /// cached or registered ones included, whatever the old and new keys are.
        /// Emits `OwnerChanged`.
        fn set_owner(
            ref self: ComponentState<TContractState>, new_owner: OwnerKey, signature: Array<felt252>,
        ) {
            self.assert_only_self();
            assert_valid_owner_key(@new_owner);
            let hash = owner_rotation_hash(
                get_tx_info().unbox().chain_id,
                get_contract_address(),
                owner_id(@self.owner_key()),
                owner_id(@new_owner),
            );
            let proof = crate::signature::parse_owner_signature(signature.span())
                .expect(AccountErrors::INVALID_NEW_OWNER_SIGNATURE);
            match verify_owner_signature(@new_owner, hash, @proof) {
                Ok(()) => {},
                Err(reason) => {
                    let reason = if reason == AccountErrors::INVALID_SIGNATURE {
                        AccountErrors::INVALID_NEW_OWNER_SIGNATURE
                    } else {
                        reason
                    };
                    core::panic_with_felt252(reason)
                },
            }
            self.set_owner_key(new_owner);
            Hooks::after_owner_rotated(ref self);
        }
    }

    /// The id `get_owner` reports and rotation hashes name: a Stark key, or a passkey's
    /// `passkey_id`.
    pub fn owner_id(owner: @OwnerKey) -> felt252 {
        match owner {
            OwnerKey::Stark(key) => *key,
            OwnerKey::Passkey(passkey) => passkey_id(passkey),
        }
    }

    /// Panics unless `owner` can own the account: a non-zero Stark key (`Account: zero owner
    /// key`), or a passkey whose public key is a P-256 point (`WebAuthn: bad public key`) with an
    /// RP ID hash and an origin (`WebAuthn: bad passkey`).
    pub fn assert_valid_owner_key(owner: @OwnerKey) {
        match owner {
            OwnerKey::Stark(key) => assert(*key != 0, AccountErrors::ZERO_OWNER),
            OwnerKey::Passkey(passkey) => {
                assert(
                    public_key_point(*passkey.x, *passkey.y).is_some(), WebAuthnErrors::BAD_PUBLIC_KEY,
                );
                assert(
                    *passkey.rp_id_hash != 0 && passkey.origin.len() != 0, WebAuthnErrors::BAD_PASSKEY,
                );
            },
        }
    }

    /// Whether `signature` is `owner`'s over `hash`; the error is `Account: invalid signature`
    /// (wrong key or wrong kind of signature) or a `WebAuthnErrors` reason.
    pub fn verify_owner_signature(
        owner: @OwnerKey, hash: felt252, signature: @OwnerSignature,
    ) -> Result<(), felt252> {
        match (owner, signature) {
            (OwnerKey::Stark(key), OwnerSignature::Stark(signature)) => {
                if is_valid_stark_signature(hash, *key, *signature) {
                    Ok(())
                } else {
                    Err(AccountErrors::INVALID_SIGNATURE)
                }
            },
            (OwnerKey::Passkey(passkey), OwnerSignature::WebAuthn(assertion)) => verify_assertion(
                passkey, hash, assertion,
            ),
            _ => Err(AccountErrors::INVALID_SIGNATURE),
        }
    }

    /// Owner logic for the embedding contract.
    #[generate_trait]
    pub impl InternalImpl<
        TContractState, +HasComponent<TContractState>,
    > of InternalTrait<TContractState> {
        /// Sets the first owner (`assert_valid_owner_key`'s rules). Emits `OwnerChanged`.
        fn initializer(ref self: ComponentState<TContractState>, owner: OwnerKey) {
            assert_valid_owner_key(@owner);
            self.set_owner_key(owner);
        }

        /// Whether `signature` is the current owner's over `hash`: the error is `Account: invalid
        /// signature` or a `WebAuthnErrors` reason. A Stark signature reads one slot.
        fn check_owner_signature(
            self: @ComponentState<TContractState>, hash: felt252, signature: @OwnerSignature,
        ) -> Result<(), felt252> {
            match signature {
                OwnerSignature::Stark(signature) => {
                    let key = self.Owner_public_key.read();
                    if key != 0 && is_valid_stark_signature(hash, key, *signature) {
                        Ok(())
                    } else {
                        Err(AccountErrors::INVALID_SIGNATURE)
                    }
                },
                OwnerSignature::WebAuthn(assertion) => {
                    if self.Owner_public_key.read() != 0 {
                        return Err(AccountErrors::INVALID_SIGNATURE);
                    }
                    verify_assertion(@self.Owner_passkey.read(), hash, assertion)
                },
            }
        }

        /// Whether `signature` (felts, in either owner format) is the owner's over `hash`, never
        /// panicking: for `is_valid_signature`.
        fn is_owner_signature_span(
            self: @ComponentState<TContractState>, hash: felt252, signature: Span<felt252>,
        ) -> bool {
            match crate::signature::parse_owner_signature(signature) {
                Some(signature) => self.check_owner_signature(hash, @signature).is_ok(),
                None => false,
            }
        }

        /// Panics unless `signature` (felts) is the owner's over `hash`, with `Account: invalid
        /// signature` or a `WebAuthnErrors` reason: for declare and deploy-account validation.
        fn assert_owner_signature_span(
            self: @ComponentState<TContractState>, hash: felt252, signature: Span<felt252>,
        ) {
            let Some(signature) = crate::signature::parse_owner_signature(signature) else {
                core::panic_with_felt252(AccountErrors::INVALID_SIGNATURE)
            };
            if let Err(reason) = self.check_owner_signature(hash, @signature) {
                core::panic_with_felt252(reason);
            }
        }

        /// The owner's key.
        fn owner_key(self: @ComponentState<TContractState>) -> OwnerKey {
            let key = self.Owner_public_key.read();
            if key != 0 {
                OwnerKey::Stark(key)
            } else {
                OwnerKey::Passkey(self.Owner_passkey.read())
            }
        }

        /// Panics unless the caller is the account itself.
        fn assert_only_self(self: @ComponentState<TContractState>) {
            assert(get_caller_address() == get_contract_address(), AccountErrors::UNAUTHORIZED);
        }

        /// Runs `calls` in order; any failing call reverts them all.
        fn execute_calls(
            ref self: ComponentState<TContractState>, calls: Span<Call>,
        ) -> Array<Span<felt252>> {
            let mut results = array![];
            for call in calls {
                let result = call_contract_syscall(*call.to, *call.selector, *call.calldata)
                    .unwrap_syscall();
                results.append(result);
            }
            results
        }

        fn set_owner_key(ref self: ComponentState<TContractState>, new_owner: OwnerKey) {
            let old_owner = if self.Owner_public_key.read() == 0
                && self.Owner_passkey.rp_id_hash.read() == 0 {
                0 // construction
            } else {
                owner_id(@self.owner_key())
            };
            let new_id = owner_id(@new_owner);
            match new_owner {
                OwnerKey::Stark(key) => self.Owner_public_key.write(key),
                OwnerKey::Passkey(passkey) => {
                    self.Owner_public_key.write(0);
                    self.Owner_passkey.write(passkey);
                },
            }
            self.emit(OwnerChanged { old_owner, new_owner: new_id });
        }
    }
}
