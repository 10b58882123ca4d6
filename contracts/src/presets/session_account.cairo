//! The session account: an SRC-6 account owned by a Stark key, whose owner lets session keys
//! act within a Merkle-rooted method policy until an expiry, and can revoke them at any time.

/// Owner + sessions + SNIP-9 outside execution, wired into one account.
#[starknet::contract(account)]
pub mod SessionAccount {
    use core::num::traits::Zero;
    use starknet::account::Call;
    use starknet::get_execution_info;
    use crate::components::owner::OwnerComponent::OwnerHooksTrait;
    use crate::components::outside_execution::OutsideExecutionComponent;
    use crate::components::owner::OwnerComponent;
    use crate::components::session::SessionComponent;
    use crate::components::session::SessionComponent::Context;
    use crate::errors::AccountErrors;
    use crate::interfaces::{
        IDeployable, ISESSION_ID, ISRC5, ISRC5_ID, ISRC6, ISRC6_ID, ISRC9_V2_ID, OwnerKey,
    };

    component!(path: OwnerComponent, storage: owner, event: OwnerEvent);
    component!(path: SessionComponent, storage: session, event: SessionEvent);
    component!(
        path: OutsideExecutionComponent, storage: outside_execution, event: OutsideExecutionEvent,
    );

    #[abi(embed_v0)]
    pub impl OwnerImpl = OwnerComponent::OwnerImpl<ContractState>;
    impl OwnerInternalImpl = OwnerComponent::InternalImpl<ContractState>;
    #[abi(embed_v0)]
    pub impl SessionImpl = SessionComponent::SessionImpl<ContractState>;
    impl SessionInternalImpl = SessionComponent::InternalImpl<ContractState>;

    /// Rotating the owner ends every session (a new, unpredictable session epoch).
    impl OwnerHooksImpl of OwnerHooksTrait<ContractState> {
        fn after_owner_rotated(ref self: OwnerComponent::ComponentState<ContractState>) {
            let mut contract = self.get_contract_mut();
            contract.session.start_new_epoch();
        }
    }
    #[abi(embed_v0)]
    pub impl OutsideExecutionV2Impl =
        OutsideExecutionComponent::OutsideExecutionV2Impl<ContractState>;

    /// Invoke transaction version (v3), and its query (fee estimation) counterpart.
    const TX_VERSION: felt252 = 3;
    const QUERY_TX_VERSION: felt252 = 0x100000000000000000000000000000003;

    #[storage]
    struct Storage {
        #[substorage(v0)]
        pub owner: OwnerComponent::Storage,
        #[substorage(v0)]
        pub session: SessionComponent::Storage,
        #[substorage(v0)]
        pub outside_execution: OutsideExecutionComponent::Storage,
    }

    #[event]
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub enum Event {
        #[flat]
        OwnerEvent: OwnerComponent::Event,
        #[flat]
        SessionEvent: SessionComponent::Event,
        #[flat]
        OutsideExecutionEvent: OutsideExecutionComponent::Event,
    }

    /// Sets the owner: a Stark public key or a passkey. Emits `OwnerChanged`.
    #[constructor]
    pub fn constructor(ref self: ContractState, owner: OwnerKey) {
        self.owner.initializer(owner);
    }

    #[abi(embed_v0)]
    pub impl AccountImpl of ISRC6<ContractState> {
        /// Runs the calls of a validated invoke transaction, atomically.
        ///
        /// Requirements: called by the protocol (caller 0); transaction version 3; for a session
        /// transaction, the session has not expired at the exact block time and its policy's
        /// call and spend limits hold (they count this transaction's calls if it succeeds).
        fn __execute__(ref self: ContractState, calls: Array<Call>) {
            let info = get_execution_info().unbox();
            let tx_info = assert_protocol_v3_transaction(@info);
            if let Some(used) = self
                .session
                .session_use_of(tx_info.signature, tx_info.chain_id, info.contract_address) {
                let now = info.block_info.unbox().block_timestamp;
                self.session.use_session(used, calls.span(), now);
            }
            self.owner.execute_calls(calls.span());
        }

        /// Returns `'VALID'` if the signature is the owner's or a valid session's for `calls`;
        /// stores a session on its first use; for a session with a fee budget, charges the
        /// transaction's maximum fee to it.
        ///
        /// Requirements: called by the protocol (caller 0: a contract calling it during
        /// execution could otherwise charge the fee budget again); transaction version 3.
        fn __validate__(ref self: ContractState, calls: Array<Call>) -> felt252 {
            let info = get_execution_info().unbox();
            let tx_info = assert_protocol_v3_transaction(@info);
            let context = Context {
                hash: tx_info.transaction_hash,
                chain_id: tx_info.chain_id,
                account: info.contract_address,
                now: info.block_info.unbox().block_timestamp,
            };
            self
                .session
                .validate_transaction(
                    context, calls.span(), tx_info.signature, tx_info.resource_bounds, tx_info.tip,
                );
            starknet::VALIDATED
        }

        /// Returns `'VALID'` if `signature` is the owner's over `hash` (`[r, s]` for a Stark
        /// owner, a WebAuthn assertion whose challenge is `hash` for a passkey), or a stored
        /// session's over an off-chain message of a kind the session lists (the account recomputes
        /// `hash` from the message), else 0. Never panics.
        fn is_valid_signature(
            self: @ContractState, hash: felt252, signature: Array<felt252>,
        ) -> felt252 {
            if self.owner.is_owner_signature_span(hash, signature.span())
                || self.session.is_session_message_signature(hash, signature.span()) {
                starknet::VALIDATED
            } else {
                0
            }
        }
    }

    #[abi(embed_v0)]
    pub impl DeployableImpl of IDeployable<ContractState> {
        /// Validates a declare transaction: owner signature only.
        fn __validate_declare__(self: @ContractState, class_hash: felt252) -> felt252 {
            self.assert_owner_transaction()
        }

        /// Validates this account's deployment: owner signature only.
        fn __validate_deploy__(
            self: @ContractState, class_hash: felt252, contract_address_salt: felt252, owner: OwnerKey,
        ) -> felt252 {
            self.assert_owner_transaction()
        }
    }

    #[abi(embed_v0)]
    pub impl SRC5Impl of ISRC5<ContractState> {
        /// SRC-5, SRC-6, SNIP-9 v2 and `ISession`.
        fn supports_interface(self: @ContractState, interface_id: felt252) -> bool {
            interface_id == ISRC5_ID
                || interface_id == ISRC6_ID
                || interface_id == ISRC9_V2_ID
                || interface_id == ISESSION_ID
        }
    }

    /// Panics unless the protocol (caller 0) runs a version 3 transaction (or its query version,
    /// for fee estimation); returns the transaction info.
    fn assert_protocol_v3_transaction(info: @starknet::ExecutionInfo) -> starknet::TxInfo {
        assert((*info.caller_address).is_zero(), AccountErrors::INVALID_CALLER);
        let tx_info = (*info.tx_info).unbox();
        let version = tx_info.version;
        assert(
            version == TX_VERSION || version == QUERY_TX_VERSION, AccountErrors::INVALID_TX_VERSION,
        );
        tx_info
    }

    #[generate_trait]
    impl PrivateImpl of PrivateTrait {
        /// Validates a declare or deploy-account transaction: the protocol's, signed by the owner.
        fn assert_owner_transaction(self: @ContractState) -> felt252 {
            let tx_info = assert_protocol_v3_transaction(@get_execution_info().unbox());
            self.owner.assert_owner_signature_span(tx_info.transaction_hash, tx_info.signature);
            starknet::VALIDATED
        }
    }
}
