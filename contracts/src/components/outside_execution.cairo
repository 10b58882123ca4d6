//! SNIP-9 version 2 outside execution: a relayer or paymaster submits (and pays for) calls the
//! account signed, with the same owner and session rules as a direct transaction.

/// SNIP-9 v2 `execute_from_outside_v2` with owner or session signatures.
#[starknet::component]
pub mod OutsideExecutionComponent {
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::get_execution_info;
    use crate::components::owner::OwnerComponent;
    use crate::components::owner::OwnerComponent::InternalTrait as OwnerInternalTrait;
    use crate::components::session::SessionComponent;
    use crate::components::session::SessionComponent::InternalTrait as SessionInternalTrait;
    use crate::components::session::SessionComponent::Context;
    use crate::errors::OutsideExecutionErrors;
    use crate::interfaces::{ISRC9_V2, OutsideExecution};
    use crate::snip12::outside_execution_hash;

    /// `caller` value that lets anyone submit the outside execution.
    pub const ANY_CALLER: felt252 = 'ANY_CALLER';

    #[storage]
    pub struct Storage {
        /// Nonces already used.
        pub OutsideExecution_used_nonces: Map<felt252, bool>,
        /// Set while an outside execution runs (re-entry guard).
        pub OutsideExecution_executing: bool,
    }

    #[event]
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub enum Event {
        OutsideExecutionUsed: OutsideExecutionUsed,
    }

    /// An outside execution ran and used up its `nonce`; `session_hash` is the session that signed
    /// it (0: the owner).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct OutsideExecutionUsed {
        #[key]
        pub nonce: felt252,
        pub session_hash: felt252,
    }

    #[embeddable_as(OutsideExecutionV2Impl)]
    impl OutsideExecutionV2<
        TContractState,
        +HasComponent<TContractState>,
        impl Owner: OwnerComponent::HasComponent<TContractState>,
        impl Session: SessionComponent::HasComponent<TContractState>,
        +Drop<TContractState>,
    > of ISRC9_V2<ComponentState<TContractState>> {
        /// Runs `outside_execution.calls` atomically and returns their results.
        ///
        /// Requirements:
        /// - the caller is `outside_execution.caller`, or that is `'ANY_CALLER'`;
        /// - `execute_after < block time < execute_before`;
        /// - the nonce was never used (it is marked used before the calls run);
        /// - `signature` is the owner's `[r, s]` over the SNIP-9 v2 hash, or a session signature
        ///   over it obeying every session rule (allowed methods and argument rules, no call to
        ///   the account, exact expiry, revocation, epoch, spend and call limits; the
        ///   relayer pays the fee, so fee limits do not apply);
        /// - not called from inside another outside execution.
        ///
        /// Emits `OutsideExecutionUsed` (and the session's accounting events).
        fn execute_from_outside_v2(
            ref self: ComponentState<TContractState>,
            outside_execution: OutsideExecution,
            signature: Span<felt252>,
        ) -> Array<Span<felt252>> {
            assert(!self.OutsideExecution_executing.read(), OutsideExecutionErrors::REENTRANT_CALL);
            let info = get_execution_info().unbox();
            let caller: felt252 = outside_execution.caller.into();
            assert(
                caller == ANY_CALLER || outside_execution.caller == info.caller_address,
                OutsideExecutionErrors::INVALID_CALLER,
            );
            let now = info.block_info.unbox().block_timestamp;
            assert(outside_execution.execute_after < now, OutsideExecutionErrors::TOO_EARLY);
            assert(now < outside_execution.execute_before, OutsideExecutionErrors::TOO_LATE);
            let nonce = outside_execution.nonce;
            assert(!self.OutsideExecution_used_nonces.read(nonce), OutsideExecutionErrors::NONCE_USED);
            self.OutsideExecution_used_nonces.write(nonce, true);

            let (chain_id, account) = (info.tx_info.unbox().chain_id, info.contract_address);
            let hash = outside_execution_hash(@outside_execution, chain_id, account);
            let mut session = get_dep_component_mut!(ref self, Session);
            let context = Context { hash, chain_id, account, now };
            let session_hash = match session.validate_signature(context, outside_execution.calls, signature) {
                Some(used) => {
                    session.charge(used, outside_execution.calls.len(), None, now);
                    session.use_session(used, outside_execution.calls, now);
                    used.session_hash
                },
                None => 0,
            };
            self.emit(OutsideExecutionUsed { nonce, session_hash });

            self.OutsideExecution_executing.write(true);
            let mut owner = get_dep_component_mut!(ref self, Owner);
            let results = owner.execute_calls(outside_execution.calls);
            self.OutsideExecution_executing.write(false);
            results
        }

        /// Whether `nonce` is still unused.
        fn is_valid_outside_execution_nonce(
            self: @ComponentState<TContractState>, nonce: felt252,
        ) -> bool {
            !self.OutsideExecution_used_nonces.read(nonce)
        }
    }
}
