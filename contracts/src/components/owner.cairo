//! The account owner: a Stark public key, its signature checks and its rotation.

/// Owner key storage, owner signatures and key rotation.
#[starknet::component]
pub mod OwnerComponent {
    use starknet::account::Call;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::syscalls::call_contract_syscall;
    use starknet::{SyscallResultTrait, get_caller_address, get_contract_address, get_tx_info};
    use crate::errors::AccountErrors;
    use crate::interfaces::IOwner;
    use crate::signature::{StarkSignature, is_valid_stark_signature};
    use crate::snip12::owner_rotation_hash;

    #[storage]
    pub struct Storage {
        pub Owner_public_key: felt252,
    }

    #[event]
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub enum Event {
        OwnerChanged: OwnerChanged,
    }

    /// The owner key changed (also emitted by the constructor, from 0).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct OwnerChanged {
        #[key]
        pub old_owner: felt252,
        #[key]
        pub new_owner: felt252,
    }

    /// What the embedding contract does when the owner key is rotated (not at construction):
    /// the session account ends every session there.
    pub trait OwnerHooksTrait<TContractState> {
        /// Runs after `set_owner` stored the new key.
        fn after_owner_rotated(ref self: ComponentState<TContractState>);
    }

    #[embeddable_as(OwnerImpl)]
    impl Owner<
        TContractState, +HasComponent<TContractState>, impl Hooks: OwnerHooksTrait<TContractState>,
    > of IOwner<ComponentState<TContractState>> {
        /// The owner's Stark public key.
        fn get_owner(self: @ComponentState<TContractState>) -> felt252 {
            self.Owner_public_key.read()
        }

        /// Replaces the owner key.
        ///
        /// Requirements:
        /// - the caller is the account itself (an owner transaction; sessions can never call the account);
        /// - `new_owner` is not zero;
        /// - `signature` is `new_owner`'s `[r, s]` over `owner_rotation_hash(chain id, account,
        ///   current owner, new owner)`, proving the new key is held.
        ///
        /// Runs the `after_owner_rotated` hook: in the session account every session ends,
        /// cached or registered ones included, whatever the old and new keys are.
        /// Emits `OwnerChanged`.
        fn set_owner(
            ref self: ComponentState<TContractState>, new_owner: felt252, signature: Array<felt252>,
        ) {
            self.assert_only_self();
            assert(new_owner != 0, AccountErrors::ZERO_OWNER);
            let current = self.Owner_public_key.read();
            let hash = owner_rotation_hash(
                get_tx_info().unbox().chain_id, get_contract_address(), current, new_owner,
            );
            assert(signature.len() == 2, AccountErrors::INVALID_NEW_OWNER_SIGNATURE);
            let proof = StarkSignature { r: *signature[0], s: *signature[1] };
            assert(
                is_valid_stark_signature(hash, new_owner, proof),
                AccountErrors::INVALID_NEW_OWNER_SIGNATURE,
            );
            self.set_owner_key(new_owner);
            Hooks::after_owner_rotated(ref self);
        }
    }

    /// Owner logic for the embedding contract.
    #[generate_trait]
    pub impl InternalImpl<
        TContractState, +HasComponent<TContractState>,
    > of InternalTrait<TContractState> {
        /// Sets the first owner key. Emits `OwnerChanged`.
        fn initializer(ref self: ComponentState<TContractState>, owner: felt252) {
            assert(owner != 0, AccountErrors::ZERO_OWNER);
            self.set_owner_key(owner);
        }

        /// Whether `signature` is the current owner's over `hash`.
        fn is_owner_signature(
            self: @ComponentState<TContractState>, hash: felt252, signature: StarkSignature,
        ) -> bool {
            is_valid_stark_signature(hash, self.Owner_public_key.read(), signature)
        }

        /// Whether `signature` is exactly the owner's `[r, s]` over `hash`.
        fn is_owner_signature_span(
            self: @ComponentState<TContractState>, hash: felt252, signature: Span<felt252>,
        ) -> bool {
            signature.len() == 2
                && self.is_owner_signature(hash, StarkSignature { r: *signature[0], s: *signature[1] })
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

        fn set_owner_key(ref self: ComponentState<TContractState>, new_owner: felt252) {
            let old_owner = self.Owner_public_key.read();
            self.Owner_public_key.write(new_owner);
            self.emit(OwnerChanged { old_owner, new_owner });
        }
    }
}
