//! Sessions: validation of session-signed calls against the owner's authorization and the
//! allowed-methods tree, plus registration, caching and revocation.
//!
//! Expiry: inside `__validate__` Starknet floors the block timestamp to the hour, so validation
//! only rejects sessions already expired at that floored time; the exact check runs when the
//! calls execute (`use_session`, from `__execute__` and from outside execution), where the
//! timestamp is exact. A transaction of a just-expired session therefore reverts (and pays its
//! fee) instead of being rejected for free.
//!
//! Policies: validation rejects, for free, calls that break an argument rule, move value of an
//! unlisted token, or would exceed a spend or call limit given the counters so far; the
//! counters themselves grow at execution (`use_session`), so only successful executions count.
//! The fee budget is the exception: it is charged in `__validate__` (with the transaction's
//! maximum fee), because a reverted transaction still pays its fee. A limit at its type's maximum
//! is no limit and is not accounted at all.
//!
//! Epochs: every session names the epoch it was issued in. `revoke_all_sessions` and every owner
//! rotation (through `start_new_epoch`) replace the epoch with an unpredictable one, so no
//! authorization signed before either can ever work again — not even one pre-signed for "the
//! next epoch", and not after rotating the owner back to an earlier key.

/// Session validation, registration, caching and revocation.
#[starknet::component]
pub mod SessionComponent {
    use core::num::traits::{Bounded, CheckedAdd, Zero};
    use starknet::account::Call;
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{
        ContractAddress, ResourcesBounds, get_block_number, get_block_timestamp,
        get_contract_address, get_tx_info,
    };
    use crate::components::owner::OwnerComponent;
    use crate::components::owner::OwnerComponent::InternalTrait as OwnerInternalTrait;
    use crate::errors::{AccountErrors, SessionErrors};
    use crate::interfaces::{ISession, Policy, Session, SpendLimit};
    use crate::policy::{
        assert_arguments_allowed, assert_spend_limits_ordered, assert_tokens_listed, is_unlimited,
        max_fee, value_moved_of,
    };
    use crate::signature::{
        AccountSignature, MAX_SESSION_CALLS, SessionSignature, is_valid_stark_signature,
        parse_signature,
    };
    use crate::snip12::{
        UNLIMITED_POLICY_HASH, allowed_method_leaf, next_epoch, policy_struct_hash, session_hash,
        session_key_message, verify_merkle_proof,
    };

    /// `SessionLimitReached.limit` of the call limit.
    pub const CALL_LIMIT: felt252 = 'calls';
    /// `SessionLimitReached.limit` of a spend limit.
    pub const SPEND_LIMIT: felt252 = 'spend';

    #[storage]
    pub struct Storage {
        /// Sessions revoked by hash.
        pub Session_revoked: Map<felt252, bool>,
        /// 1 + the epoch count when the session's owner authorization was stored on-chain
        /// (registered or cached); 0: never. The authorization stands only in that epoch.
        pub Session_authorized_in: Map<felt252, u64>,
        /// Sessions registered by the owner with `register_session`.
        pub Session_registered: Map<felt252, bool>,
        /// The current epoch; sessions of other epochs are revoked.
        pub Session_epoch: felt252,
        /// How many epochs were started since deployment (revoke-alls and owner rotations).
        pub Session_epoch_count: u64,
        /// Calls of successful executions per session (counted for sessions with a call limit).
        pub Session_call_count: Map<felt252, u64>,
        /// Maximum fees committed per session (counted for sessions with a fee budget).
        pub Session_fees_committed: Map<felt252, u128>,
        /// Value moved or approved per (session, token, limit period), in the latest window for
        /// windowed limits.
        pub Session_spent: Map<(felt252, ContractAddress, u64), u256>,
        /// The window of the latest spending per (session, token, limit period), for windowed
        /// limits.
        pub Session_spend_window: Map<(felt252, ContractAddress, u64), u64>,
    }

    #[event]
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub enum Event {
        SessionRegistered: SessionRegistered,
        SessionCached: SessionCached,
        SessionPolicyPublished: SessionPolicyPublished,
        SessionFeeCommitted: SessionFeeCommitted,
        SessionCallsMade: SessionCallsMade,
        SessionSpent: SessionSpent,
        SessionLimitReached: SessionLimitReached,
        SessionRevoked: SessionRevoked,
        AllSessionsRevoked: AllSessionsRevoked,
    }

    /// The owner registered a session on-chain.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionRegistered {
        #[key]
        pub session_hash: felt252,
        pub session_key: felt252,
        pub expires_at: u64,
        pub allowed_methods_root: felt252,
        pub policy_hash: felt252,
        pub epoch: felt252,
    }

    /// A session's first transaction stored its verified owner authorization (with the whole
    /// session, so an auditor can read its permissions from events alone).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionCached {
        #[key]
        pub session_hash: felt252,
        pub session_key: felt252,
        pub expires_at: u64,
        pub allowed_methods_root: felt252,
        pub policy_hash: felt252,
        pub epoch: felt252,
        pub authorized_by: felt252,
    }

    /// The limits of a registered or first-used session with a policy, in full (the session
    /// events carry only their hash).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionPolicyPublished {
        #[key]
        pub session_hash: felt252,
        pub policy: Policy,
    }

    /// A session transaction committed `max_fee` against the session's fee budget (in validation,
    /// so also for transactions that revert); `total` is what the session committed so far.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionFeeCommitted {
        #[key]
        pub session_hash: felt252,
        pub max_fee: u128,
        pub total: u128,
    }

    /// A successful session execution made `calls` calls counted against its call limit; `total`
    /// is what the session made so far.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionCallsMade {
        #[key]
        pub session_hash: felt252,
        pub calls: u32,
        pub total: u64,
    }

    /// A successful session execution moved or approved `amount` of `token`, counted against
    /// the limit of that token with this `period`; `total` is the amount counted in `window` (the
    /// lifetime, window 0, when `period` is 0).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionSpent {
        #[key]
        pub session_hash: felt252,
        pub token: ContractAddress,
        pub period: u64,
        pub amount: u256,
        pub window: u64,
        pub total: u256,
    }

    /// A session's execution used up one of its limits: `limit` is `'calls'` (token 0) or
    /// `'spend'` (for `token`'s limit of this `period`, in the current window when the limit is
    /// per window). Lets an app or indexer ask the owner for a new session before the next
    /// transaction fails.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionLimitReached {
        #[key]
        pub session_hash: felt252,
        pub limit: felt252,
        pub token: ContractAddress,
        pub period: u64,
    }

    /// The owner revoked one session.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionRevoked {
        #[key]
        pub session_hash: felt252,
    }

    /// Every session issued so far ended (a revoke-all, or an owner rotation); sessions must now
    /// carry `new_epoch`.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct AllSessionsRevoked {
        pub new_epoch: felt252,
    }

    #[embeddable_as(SessionImpl)]
    impl SessionExternal<
        TContractState,
        +HasComponent<TContractState>,
        impl Owner: OwnerComponent::HasComponent<TContractState>,
        +Drop<TContractState>,
    > of ISession<ComponentState<TContractState>> {
        /// Stores the current owner's authorization of `session`, so its transactions can omit
        /// the owner signature.
        ///
        /// Requirements: called by the account itself (an owner transaction); the session has a
        /// non-zero key, the current epoch, is not expired, revoked or registered; `policy` is
        /// given unless the session's `policy_hash` is the unlimited policy's, hashes to it, and
        /// lists its spend limits in strictly increasing (token, period) order. The policy still
        /// travels in each of the session's transaction signatures.
        /// Emits `SessionRegistered`, and `SessionPolicyPublished` for a session with a policy.
        fn register_session(
            ref self: ComponentState<TContractState>, session: Session, policy: Option<Policy>,
        ) {
            let owner = get_dep_component!(@self, Owner);
            owner.assert_only_self();
            self.assert_usable(@session, get_block_timestamp());
            assert_policy_matches(@session, policy);
            let hash = self.session_hash_of(@session);
            assert(!self.Session_revoked.read(hash), SessionErrors::REVOKED);
            assert(!self.is_session_registered(hash), SessionErrors::ALREADY_REGISTERED);
            self.store_authorization(hash);
            self.Session_registered.write(hash, true);
            self
                .emit(
                    SessionRegistered {
                        session_hash: hash,
                        session_key: session.session_key,
                        expires_at: session.expires_at,
                        allowed_methods_root: session.allowed_methods_root,
                        policy_hash: session.policy_hash,
                        epoch: session.epoch,
                    },
                );
            if let Some(policy) = policy {
                self.emit(SessionPolicyPublished { session_hash: hash, policy });
            }
        }

        /// Revokes the session with this hash, cached or not, at once.
        ///
        /// Requirements: called by the account itself; not revoked already.
        /// Emits `SessionRevoked`.
        fn revoke_session(ref self: ComponentState<TContractState>, session_hash: felt252) {
            get_dep_component!(@self, Owner).assert_only_self();
            assert(!self.Session_revoked.read(session_hash), SessionErrors::ALREADY_REVOKED);
            self.Session_revoked.write(session_hash, true);
            self.emit(SessionRevoked { session_hash });
        }

        /// Revokes every session issued so far, in O(1): starts a new, unpredictable epoch.
        ///
        /// Requirements: called by the account itself. Emits `AllSessionsRevoked`.
        fn revoke_all_sessions(ref self: ComponentState<TContractState>) {
            get_dep_component!(@self, Owner).assert_only_self();
            self.start_new_epoch();
        }

        /// The SNIP-12 message hash the owner signs to authorize `session` for this account.
        fn get_session_hash(self: @ComponentState<TContractState>, session: Session) -> felt252 {
            self.session_hash_of(@session)
        }

        /// Whether the session was revoked by its hash.
        fn is_session_revoked(self: @ComponentState<TContractState>, session_hash: felt252) -> bool {
            self.Session_revoked.read(session_hash)
        }

        /// Whether the owner registered the session in the current epoch (so under the current
        /// owner key: every rotation starts a new epoch).
        fn is_session_registered(
            self: @ComponentState<TContractState>, session_hash: felt252,
        ) -> bool {
            self.Session_registered.read(session_hash) && self.is_authorized_on_chain(session_hash)
        }

        /// Whether an authorization of the session is stored on-chain for the current epoch.
        fn is_session_cached(self: @ComponentState<TContractState>, session_hash: felt252) -> bool {
            self.is_authorized_on_chain(session_hash)
        }

        /// The current session epoch.
        fn get_session_epoch(self: @ComponentState<TContractState>) -> felt252 {
            self.Session_epoch.read()
        }

        /// Calls the session's successful executions made (counted when it has a call limit).
        fn get_session_call_count(
            self: @ComponentState<TContractState>, session_hash: felt252,
        ) -> u64 {
            self.Session_call_count.read(session_hash)
        }

        /// Maximum fees the session's transactions committed to (counted with a fee budget).
        fn get_session_fees_committed(
            self: @ComponentState<TContractState>, session_hash: felt252,
        ) -> u128 {
            self.Session_fees_committed.read(session_hash)
        }

        /// Value of `token` the session moved or approved under its limit of this `period`.
        fn get_session_spent(
            self: @ComponentState<TContractState>,
            session_hash: felt252,
            token: ContractAddress,
            period: u64,
        ) -> u256 {
            self.Session_spent.read((session_hash, token, period))
        }

        /// The window of the session's latest spending of `token` under its limit of `period`.
        fn get_session_spend_window(
            self: @ComponentState<TContractState>,
            session_hash: felt252,
            token: ContractAddress,
            period: u64,
        ) -> u64 {
            self.Session_spend_window.read((session_hash, token, period))
        }
    }

    /// Panics with `Session: policy mismatch` unless `policy` is what `session` commits to (none
    /// for the unlimited policy), and with `Session: spend limits unordered` unless its spend
    /// limits are strictly increasing by (token, period).
    fn assert_policy_matches(session: @Session, policy: Option<Policy>) {
        match policy {
            Some(policy) => {
                assert(
                    policy_struct_hash(@policy) == *session.policy_hash,
                    SessionErrors::POLICY_MISMATCH,
                );
                assert_spend_limits_ordered(policy.spend_limits);
            },
            None => assert(
                *session.policy_hash == UNLIMITED_POLICY_HASH, SessionErrors::POLICY_MISMATCH,
            ),
        }
    }

    /// Validation entry points for the embedding account.
    #[generate_trait]
    pub impl InternalImpl<
        TContractState,
        +HasComponent<TContractState>,
        impl Owner: OwnerComponent::HasComponent<TContractState>,
        +Drop<TContractState>,
    > of InternalTrait<TContractState> {
        /// Panics unless `signature` authorizes `calls` under `hash` (a transaction hash or an
        /// outside-execution hash): an owner `[r, s]`, or a valid session signature whose every
        /// rule holds at time `now`. Returns the session's hash and policy for a session.
        fn assert_valid_signature(
            self: @ComponentState<TContractState>,
            hash: felt252,
            calls: Span<Call>,
            signature: Span<felt252>,
            now: u64,
        ) -> Option<(felt252, Option<Policy>)> {
            match parse_signature(signature) {
                AccountSignature::Owner(owner_signature) => {
                    assert(
                        get_dep_component!(self, Owner).is_owner_signature(hash, owner_signature),
                        AccountErrors::INVALID_SIGNATURE,
                    );
                    None
                },
                AccountSignature::Session(session_signature) => Some(
                    self.assert_valid_session_use(hash, calls, @session_signature, now),
                ),
            }
        }

        /// For `__validate__`: `assert_valid_signature`, then for a session with a fee cap or
        /// budget, checks the transaction's maximum fee (from its resource bounds and tip)
        /// against them and charges the budget.
        ///
        /// Emits `SessionFeeCommitted` when it charges a fee budget.
        fn validate_transaction(
            ref self: ComponentState<TContractState>,
            hash: felt252,
            calls: Span<Call>,
            signature: Span<felt252>,
            now: u64,
            resource_bounds: Span<ResourcesBounds>,
            tip: u128,
        ) {
            let Some((session_hash, Some(policy))) = self
                .assert_valid_signature(hash, calls, signature, now) else {
                return;
            };
            let (no_cap, no_budget) = (
                policy.max_fee_per_tx == Bounded::MAX, policy.fee_budget == Bounded::MAX,
            );
            if no_cap && no_budget {
                return;
            }
            let max_fee = max_fee(resource_bounds, tip);
            if !no_cap {
                assert(max_fee <= policy.max_fee_per_tx.into(), SessionErrors::FEE_CAP_EXCEEDED);
            }
            if !no_budget {
                let committed: u256 = self.Session_fees_committed.read(session_hash).into();
                let total = committed + max_fee;
                assert(total <= policy.fee_budget.into(), SessionErrors::FEE_BUDGET_EXCEEDED);
                // Both fit in u128: `total` is at most the budget, `max_fee` at most `total`.
                let total: u128 = total.try_into().expect(SessionErrors::FEE_BUDGET_EXCEEDED);
                let max_fee: u128 = max_fee.try_into().expect(SessionErrors::FEE_BUDGET_EXCEEDED);
                self.Session_fees_committed.write(session_hash, total);
                self.emit(SessionFeeCommitted { session_hash, max_fee, total });
            }
        }

        /// At execution time (exact clock), for a session signature: panics if the session has
        /// expired or a policy limit would be exceeded; counts the calls and the value
        /// `calls` move (for limits that bind); caches the owner authorization on first use.
        /// Does nothing for owners.
        ///
        /// Emits `SessionCached` (and `SessionPolicyPublished` for a session with a policy) on a
        /// session's first use with an owner authorization; `SessionCallsMade` and `SessionSpent`
        /// for what it counts; `SessionLimitReached` when a call or spend limit is used up exactly.
        fn use_session(
            ref self: ComponentState<TContractState>, signature: Span<felt252>, calls: Span<Call>,
        ) {
            let AccountSignature::Session(parsed) = parse_signature(signature) else {
                return;
            };
            let session = parsed.session;
            let now = get_block_timestamp();
            assert(now < session.expires_at, SessionErrors::EXPIRED);
            if parsed.owner_authorization.is_none() && parsed.policy.is_none() {
                return;
            }
            let hash = self.session_hash_of(@session);
            if let Some(policy) = parsed.policy {
                self.count_calls(hash, @policy, calls.len());
                for limit in policy.spend_limits {
                    if is_unlimited(limit) {
                        continue;
                    }
                    let amount = value_moved_of(calls, *limit.token);
                    if amount != 0 {
                        self.count_spending(hash, limit, amount, now);
                    }
                }
            }
            if parsed.owner_authorization.is_none() {
                return;
            }
            if !self.is_authorized_on_chain(hash) {
                self.store_authorization(hash);
                let owner_key = get_dep_component!(@self, Owner).Owner_public_key.read();
                self
                    .emit(
                        SessionCached {
                            session_hash: hash,
                            session_key: session.session_key,
                            expires_at: session.expires_at,
                            allowed_methods_root: session.allowed_methods_root,
                            policy_hash: session.policy_hash,
                            epoch: session.epoch,
                            authorized_by: owner_key,
                        },
                    );
                if let Some(policy) = parsed.policy {
                    self.emit(SessionPolicyPublished { session_hash: hash, policy });
                }
            }
        }

        /// Ends every session issued so far: replaces the epoch with one derived from the current
        /// transaction (unpredictable before it exists). For revoke-all and owner rotations.
        ///
        /// Emits `AllSessionsRevoked`.
        fn start_new_epoch(ref self: ComponentState<TContractState>) {
            let new_epoch = next_epoch(
                self.Session_epoch.read(), get_tx_info().unbox().transaction_hash, get_block_number(),
            );
            self.Session_epoch.write(new_epoch);
            self.Session_epoch_count.write(self.Session_epoch_count.read() + 1);
            self.emit(AllSessionsRevoked { new_epoch });
        }

        /// The session hash of `session` for this account on this chain.
        fn session_hash_of(self: @ComponentState<TContractState>, session: @Session) -> felt252 {
            session_hash(session, get_tx_info().unbox().chain_id, get_contract_address())
        }

        fn assert_valid_session_use(
            self: @ComponentState<TContractState>,
            hash: felt252,
            calls: Span<Call>,
            signature: @SessionSignature,
            now: u64,
        ) -> (felt252, Option<Policy>) {
            assert(calls.len() <= MAX_SESSION_CALLS, SessionErrors::TOO_MANY_CALLS);
            let permissions = *signature.permissions;
            assert(permissions.len() == calls.len(), SessionErrors::PROOF_COUNT_MISMATCH);
            let session = signature.session;
            self.assert_usable(session, now);
            let policy = *signature.policy;
            assert_policy_matches(session, policy);
            let session_hash = self.session_hash_of(session);
            assert(!self.Session_revoked.read(session_hash), SessionErrors::REVOKED);

            let owner = get_dep_component!(self, Owner);
            match *signature.owner_authorization {
                Some(authorization) => assert(
                    owner.is_owner_signature(session_hash, authorization),
                    SessionErrors::INVALID_AUTHORIZATION,
                ),
                None => assert(
                    self.is_authorized_on_chain(session_hash), SessionErrors::NOT_AUTHORIZED,
                ),
            }
            assert(
                is_valid_stark_signature(
                    session_key_message(hash, session_hash),
                    *session.session_key,
                    *signature.session_signature,
                ),
                SessionErrors::INVALID_SESSION_SIGNATURE,
            );

            let account = get_contract_address();
            let root = *session.allowed_methods_root;
            for i in 0..calls.len() {
                let call = calls[i];
                let permission = permissions[i];
                assert(*call.to != account, SessionErrors::CALL_TO_SELF);
                let leaf = allowed_method_leaf(*call.to, *call.selector, *permission.rules);
                assert(
                    verify_merkle_proof(leaf, *permission.proof, root),
                    SessionErrors::METHOD_NOT_ALLOWED,
                );
                assert_arguments_allowed(*permission.rules, *call.calldata);
            }

            match policy {
                Some(policy) => {
                    assert_tokens_listed(calls, policy.spend_limits);
                    if policy.max_calls != Bounded::MAX {
                        assert_calls_allowed(
                            @policy, self.Session_call_count.read(session_hash), calls.len(),
                        );
                    }
                    for limit in policy.spend_limits {
                        if is_unlimited(limit) {
                            continue;
                        }
                        let amount = value_moved_of(calls, *limit.token);
                        if amount != 0 {
                            self.spent_after(session_hash, limit, amount, now);
                        }
                    }
                },
                None => assert_tokens_listed(calls, array![].span()),
            }
            (session_hash, policy)
        }

        /// Counts `calls` more calls against the session's call limit (if it has one).
        fn count_calls(
            ref self: ComponentState<TContractState>, session_hash: felt252, policy: @Policy, calls: u32,
        ) {
            if *policy.max_calls == Bounded::MAX {
                return;
            }
            let total = assert_calls_allowed(
                policy, self.Session_call_count.read(session_hash), calls,
            );
            self.Session_call_count.write(session_hash, total);
            self.emit(SessionCallsMade { session_hash, calls, total });
            if total == *policy.max_calls {
                self
                    .emit(
                        SessionLimitReached {
                            session_hash, limit: CALL_LIMIT, token: Zero::zero(), period: 0,
                        },
                    );
            }
        }

        /// Counts `amount` more of the limit's token against it at time `now`.
        fn count_spending(
            ref self: ComponentState<TContractState>,
            session_hash: felt252,
            limit: @SpendLimit,
            amount: u256,
            now: u64,
        ) {
            let (token, period) = (*limit.token, *limit.period);
            let (total, window) = self.spent_after(session_hash, limit, amount, now);
            self.Session_spent.write((session_hash, token, period), total);
            if period != 0 {
                self.Session_spend_window.write((session_hash, token, period), window);
            }
            self.emit(SessionSpent { session_hash, token, period, amount, window, total });
            if total == *limit.amount {
                self.emit(SessionLimitReached { session_hash, limit: SPEND_LIMIT, token, period });
            }
        }

        /// The session's spending under `limit` (and its window) after moving `amount` more at
        /// time `now`; panics above the limit. A new window starts from zero.
        fn spent_after(
            self: @ComponentState<TContractState>,
            session_hash: felt252,
            limit: @SpendLimit,
            amount: u256,
            now: u64,
        ) -> (u256, u64) {
            let key = (session_hash, *limit.token, *limit.period);
            let period = *limit.period;
            let window = if period == 0 {
                0
            } else {
                now / period
            };
            let spent = if period != 0 && self.Session_spend_window.read(key) != window {
                0
            } else {
                self.Session_spent.read(key)
            };
            let total = spent.checked_add(amount).expect(SessionErrors::SPEND_LIMIT_EXCEEDED);
            assert(total <= *limit.amount, SessionErrors::SPEND_LIMIT_EXCEEDED);
            (total, window)
        }

        /// Panics unless the session's own fields allow use at `now`.
        fn assert_usable(self: @ComponentState<TContractState>, session: @Session, now: u64) {
            assert(*session.session_key != 0, SessionErrors::ZERO_SESSION_KEY);
            assert(now < *session.expires_at, SessionErrors::EXPIRED);
            assert(*session.epoch == self.Session_epoch.read(), SessionErrors::STALE_EPOCH);
        }

        /// Whether the session's owner authorization was stored on-chain in the current epoch.
        fn is_authorized_on_chain(self: @ComponentState<TContractState>, session_hash: felt252) -> bool {
            self.Session_authorized_in.read(session_hash) == self.Session_epoch_count.read() + 1
        }

        /// Records that the session's owner authorization was verified in the current epoch.
        fn store_authorization(ref self: ComponentState<TContractState>, session_hash: felt252) {
            self.Session_authorized_in.write(session_hash, self.Session_epoch_count.read() + 1);
        }
    }

    /// The call count after `calls` more calls than `count`; panics above the policy's limit.
    fn assert_calls_allowed(policy: @Policy, count: u64, calls: u32) -> u64 {
        let total = count.checked_add(calls.into()).expect(SessionErrors::CALL_LIMIT_REACHED);
        assert(total <= *policy.max_calls, SessionErrors::CALL_LIMIT_REACHED);
        total
    }
}
