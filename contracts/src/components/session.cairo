//! Sessions: validation of session-signed calls against the owner's authorization and the
//! allowed-methods tree, plus registration, caching and revocation.
//!
//! A session is stored on-chain the first time its owner authorization is verified (its first
//! transaction, "cached") or when the owner registers it: one felt (`storage::SessionRecord`:
//! expiry, the epoch it was authorized in, limit flags, and a binding of its key and root), plus
//! its limits as what is left of them. From then on its transactions may name it by hash
//! (`SESSION_REF_MAGIC` signatures, 6 felts for a single-method session): no SNIP-12 hashing, no
//! owner signature, no policy in the signature. A leaf proven with the "remember" flag is
//! remembered for the session, so later calls of that method need no proof whatever the size of
//! the tree.
//!
//! Expiry: inside `__validate__` Starknet floors the block timestamp to the hour, so validation
//! only rejects sessions already expired at that floored time; the exact check runs when the
//! calls execute (`use_session`, from `__execute__` and from outside execution), where the
//! timestamp is exact. A transaction of a just-expired session therefore reverts (and pays its
//! fee) instead of being rejected for free.
//!
//! Limits: the fee cap, fee budget and call limit are checked and charged in `__validate__` (the
//! budget with the transaction's maximum fee), so a transaction over them is rejected for free,
//! and one that reverts still used them (it pays its fee). Spend limits are checked and counted
//! when the calls execute, so only value actually moved counts; a transaction over them reverts
//! (paying its fee, which the fee cap and budget bound; the SDK's pre-flight check refuses such
//! calls before signing). A call moving value of a token without a spend limit reverts the same
//! way. A limit at its type's maximum is no limit and is not accounted at all.
//!
//! Epochs: every session names the epoch it was issued in. `revoke_all_sessions` and every owner
//! rotation (through `start_new_epoch`) replace the epoch with an unpredictable one, so no
//! authorization signed before either can ever work again — not even one pre-signed for "the
//! next epoch", and not after rotating the owner back to an earlier key. Stored sessions record the
//! epoch count they were authorized in and stop with it.

/// Session validation, registration, caching and revocation.
#[starknet::component]
pub mod SessionComponent {
    use core::num::traits::{Bounded, Zero};
    use core::poseidon::poseidon_hash_span;
    use starknet::account::Call;
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, ResourcesBounds, get_execution_info};
    use crate::components::owner::OwnerComponent;
    use crate::components::owner::OwnerComponent::InternalTrait as OwnerInternalTrait;
    use crate::errors::{AccountErrors, SessionErrors};
    use crate::interfaces::{AllowedMessage, ArgumentRule, ISession, Policy, Session};
    use crate::policy::{
        RULE_TOTAL_AT_MOST_U256, assert_arguments_allowed, assert_spend_limits_ordered, max_fee,
        read_u256, value_moved,
    };
    use crate::signature::{
        AccountSignature, CallPermission, MAX_SESSION_CALLS, SESSION_MAGIC, SESSION_MESSAGE_MAGIC,
        SESSION_REF_MAGIC,
        SessionRefSignature, SessionSignature, StarkSignature, WEBAUTHN_MAGIC, is_valid_stark_signature,
        parse_signature,
    };
    use crate::snip12::{
        UNLIMITED_POLICY_HASH, allowed_messages_hash, allowed_method_leaf, argument_rule_struct_hash,
        message_hash, next_epoch, session_message_digest,
        policy_struct_hash, poseidon_2, poseidon_3, session_hash, session_key_message,
        verify_merkle_proof,
    };
    use crate::storage::{
        Allowance, HAS_CALL_LIMIT, HAS_FEE_BUDGET, HAS_FEE_CAP, HAS_LIMITS_WINDOW, HAS_SPEND_LIMITS,
        HAS_START, LIMIT_FLAGS, LimitMaxima, PAUSED, REVOKED_RECORD, SessionRecord, SpendEntry,
        pack_record, record_felt, session_binding, spend_key, split_terms, terms_of, unpack_record,
    };

    /// `SessionLimitReached.limit` of the call limit.
    pub const CALL_LIMIT: felt252 = 'calls';
    /// `SessionLimitReached.limit` of a spend limit.
    pub const SPEND_LIMIT: felt252 = 'spend';

    #[storage]
    pub struct Storage {
        /// Stored sessions (`storage::SessionRecord`, packed) and revocations, by hash.
        pub Session_records: Map<felt252, felt252>,
        /// The authorization mark (1 + epoch count) of the owner's latest registration, by hash.
        pub Session_registered_in: Map<felt252, u32>,
        /// Leaves a session proved and asked to remember, by `poseidon(session_hash, leaf)`.
        pub Session_remembered_leaves: Map<felt252, bool>,
        /// What `total at most u256` rules counted, by `poseidon(session_hash, leaf, rule hash)`:
        /// `used + 2^128 × window` (window 0 for a rule over the whole session).
        pub Session_rule_totals: Map<felt252, felt252>,
        /// The current epoch; sessions of other epochs are revoked.
        pub Session_epoch: felt252,
        /// How many epochs were started since deployment (revoke-alls and owner rotations).
        pub Session_epoch_count: u32,
        /// Calls and fee budget left, per session with a call limit or a fee budget.
        pub Session_allowances: Map<felt252, Allowance>,
        /// Fee cap per transaction, per session with one.
        pub Session_fee_caps: Map<felt252, u128>,
        /// `valid_after` of sessions that have one.
        pub Session_valid_after: Map<felt252, u64>,
        /// The call limit and fee budget each window starts with (sessions with limits per window).
        pub Session_limit_maxima: Map<felt252, LimitMaxima>,
        /// Spend limits and what is left of them, by `storage::spend_key(session, token, index)`.
        pub Session_spending: Map<felt252, SpendEntry>,
        /// The amount per window of each spend limit per window, by the same key.
        pub Session_window_amounts: Map<felt252, u128>,
    }

    #[event]
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub enum Event {
        SessionRegistered: SessionRegistered,
        SessionCached: SessionCached,
        SessionPolicyPublished: SessionPolicyPublished,
        SessionCharged: SessionCharged,
        SessionSpent: SessionSpent,
        SessionLimitReached: SessionLimitReached,
        SessionRevoked: SessionRevoked,
        AllSessionsRevoked: AllSessionsRevoked,
        SessionPaused: SessionPaused,
        SessionResumed: SessionResumed,
        SessionExtended: SessionExtended,
        SessionRuleTotalReached: SessionRuleTotalReached,
    }

    /// A `total at most u256` argument rule of the method `leaf` reached its bound (in `window`:
    /// `now / window seconds`, or 0 for a rule over the whole session).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionRuleTotalReached {
        #[key]
        pub session_hash: felt252,
        pub leaf: felt252,
        pub window: u64,
    }

    /// The owner paused a session (its counters are kept).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionPaused {
        #[key]
        pub session_hash: felt252,
    }

    /// The owner resumed a paused session.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionResumed {
        #[key]
        pub session_hash: felt252,
    }

    /// The owner moved a session's expiry later (its counters are kept).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionExtended {
        #[key]
        pub session_hash: felt252,
        pub expires_at: u64,
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
        /// The off-chain message kinds it may sign (`Session.allowed_messages_hash`).
        pub allowed_messages_hash: felt252,
    }

    /// A session's first transaction verified and stored its owner authorization (with the whole
    /// session, so an auditor can read its permissions from events alone; the owner is the one
    /// the account's `OwnerChanged` events name at that time).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionCached {
        #[key]
        pub session_hash: felt252,
        pub session_key: felt252,
        pub expires_at: u64,
        pub allowed_methods_root: felt252,
        pub policy_hash: felt252,
        pub epoch: felt252,
        /// The off-chain message kinds it may sign (`Session.allowed_messages_hash`).
        pub allowed_messages_hash: felt252,
    }

    /// The limits of a registered or first-used session with a policy, in full (the session
    /// events carry only their hash).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionPolicyPublished {
        #[key]
        pub session_hash: felt252,
        pub policy: Policy,
    }

    /// A session transaction (or outside execution) was charged `calls` calls against the
    /// session's call limit and its maximum fee `fee` against its fee budget (0 for a limit the
    /// session does not have; outside executions charge no fee: the relayer pays it). Charged in
    /// validation, so also for transactions that revert.
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionCharged {
        #[key]
        pub session_hash: felt252,
        pub calls: u32,
        pub fee: u128,
    }

    /// A call of a successful session execution moved or approved `amount` of `token`, counted
    /// against each of the token's limits (in the window of the block's time for a limit per
    /// window).
    #[derive(Drop, PartialEq, Debug, starknet::Event)]
    pub struct SessionSpent {
        #[key]
        pub session_hash: felt252,
        pub token: ContractAddress,
        pub amount: u128,
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

    /// Where a signature is checked: the hash it must sign (a transaction or an outside
    /// execution), the chain, the account, and the block time (hour-floored in validation).
    #[derive(Copy, Drop, Debug)]
    pub struct Context {
        pub hash: felt252,
        pub chain_id: felt252,
        pub account: ContractAddress,
        pub now: u64,
    }

    /// A session signature that passed validation: what executing its calls must enforce.
    #[derive(Copy, Drop, Debug, PartialEq)]
    pub struct SessionUse {
        pub session_hash: felt252,
        pub expires_at: u64,
        /// The session's limit flags (`storage::LIMIT_FLAGS`).
        pub limits: u128,
    }

    #[embeddable_as(SessionImpl)]
    impl SessionExternal<
        TContractState,
        +HasComponent<TContractState>,
        impl Owner: OwnerComponent::HasComponent<TContractState>,
        +Drop<TContractState>,
    > of ISession<ComponentState<TContractState>> {
        /// Stores the current owner's authorization of `session`, so its transactions can omit
        /// the owner signature (and name it by hash).
        ///
        /// Requirements: called by the account itself (an owner transaction); the session has a
        /// non-zero key, the current epoch, is not expired, revoked or registered; `policy` is
        /// given unless the session's `policy_hash` is the unlimited policy's, hashes to it, and
        /// lists its spend limits in strictly increasing (token, period) order, each at most
        /// `u128` max or unlimited, with windows below 2^32 seconds.
        /// Emits `SessionRegistered`, and `SessionPolicyPublished` for a session with a policy.
        fn register_session(
            ref self: ComponentState<TContractState>, session: Session, policy: Option<Policy>,
        ) {
            let owner = get_dep_component!(@self, Owner);
            owner.assert_only_self();
            let info = get_execution_info().unbox();
            let now = info.block_info.unbox().block_timestamp;
            self.assert_usable(@session, now);
            assert_policy_matches(@session, policy);
            let hash = session_hash(@session, info.tx_info.unbox().chain_id, info.contract_address);
            let record = self.Session_records.read(hash);
            assert(record != REVOKED_RECORD, SessionErrors::REVOKED);
            let mark = self.current_authorization_mark();
            assert(self.Session_registered_in.read(hash) != mark, SessionErrors::ALREADY_REGISTERED);
            if !self.is_stored_in(record, mark) {
                self.store_session(hash, @session, policy);
            }
            self.Session_registered_in.write(hash, mark);
            self
                .emit(
                    SessionRegistered {
                        session_hash: hash,
                        session_key: session.session_key,
                        expires_at: session.expires_at,
                        allowed_methods_root: session.allowed_methods_root,
                        policy_hash: session.policy_hash,
                        epoch: session.epoch,
                        allowed_messages_hash: session.allowed_messages_hash,
                    },
                );
            if let Some(policy) = policy {
                self.emit(SessionPolicyPublished { session_hash: hash, policy });
            }
        }

        /// Revokes the session with this hash, stored or not, at once (it can never be stored).
        ///
        /// Requirements: called by the account itself; not revoked already.
        /// Emits `SessionRevoked`.
        fn revoke_session(ref self: ComponentState<TContractState>, session_hash: felt252) {
            get_dep_component!(@self, Owner).assert_only_self();
            assert(
                self.Session_records.read(session_hash) != REVOKED_RECORD,
                SessionErrors::ALREADY_REVOKED,
            );
            self.Session_records.write(session_hash, REVOKED_RECORD);
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
            let info = get_execution_info().unbox();
            session_hash(@session, info.tx_info.unbox().chain_id, info.contract_address)
        }

        /// Whether the session was revoked by its hash.
        fn is_session_revoked(self: @ComponentState<TContractState>, session_hash: felt252) -> bool {
            self.Session_records.read(session_hash) == REVOKED_RECORD
        }

        /// Whether the owner registered the session in the current epoch (so under the current
        /// owner key: every rotation starts a new epoch) and it is not revoked.
        fn is_session_registered(
            self: @ComponentState<TContractState>, session_hash: felt252,
        ) -> bool {
            let mark = self.current_authorization_mark();
            self.Session_registered_in.read(session_hash) == mark
                && self.is_stored_in(self.Session_records.read(session_hash), mark)
        }

        /// Whether the session is stored on-chain for the current epoch (registered or cached)
        /// and not revoked: whether its transactions may name it by hash.
        fn is_session_cached(self: @ComponentState<TContractState>, session_hash: felt252) -> bool {
            self.is_stored_in(self.Session_records.read(session_hash), self.current_authorization_mark())
        }

        /// The current session epoch.
        fn get_session_epoch(self: @ComponentState<TContractState>) -> felt252 {
            self.Session_epoch.read()
        }

        /// Calls the session may still make (for a session with a call limit; 0 otherwise).
        fn get_session_calls_left(self: @ComponentState<TContractState>, session_hash: felt252) -> u64 {
            self.current_allowance(session_hash).calls_left
        }

        /// Fees the session's transactions may still commit (for a session with a fee budget; 0
        /// otherwise).
        fn get_session_fee_budget_left(
            self: @ComponentState<TContractState>, session_hash: felt252,
        ) -> u128 {
            self.current_allowance(session_hash).fee_budget_left
        }

        /// The Unix time before which the session may not be used (0: none; stored sessions).
        fn get_session_valid_after(self: @ComponentState<TContractState>, session_hash: felt252) -> u64 {
            self.Session_valid_after.read(session_hash)
        }

        /// What the session may still move of `token` under its limit of this `period` (0:
        /// lifetime; else in the current window): `u256` max for an unlimited limit, 0 when the
        /// session has no such limit.
        fn get_session_spend_left(
            self: @ComponentState<TContractState>,
            session_hash: felt252,
            token: ContractAddress,
            period: u64,
        ) -> u256 {
            let token: felt252 = token.into();
            let first = self.Session_spending.read(spend_key(session_hash, token, 0));
            for index in 0..Into::<u8, u32>::into(first.count) {
                let key = spend_key(session_hash, token, index);
                let entry = self.Session_spending.read(key);
                if entry.period.into() != period {
                    continue;
                }
                if entry.unlimited {
                    return Bounded::MAX;
                }
                let now = get_execution_info().unbox().block_info.unbox().block_timestamp;
                return self.spend_left(key, entry, now).into();
            }
            0
        }

        /// Whether the session proved this allowed-method leaf and asked the account to remember
        /// it (calls of that method then need no Merkle proof).
        fn is_session_leaf_remembered(
            self: @ComponentState<TContractState>, session_hash: felt252, leaf: felt252,
        ) -> bool {
            self.Session_remembered_leaves.read(poseidon_2(session_hash, leaf))
        }

        /// Pauses a stored session: its transactions fail with `Session: paused` until resumed.
        ///
        /// Requirements: called by the account itself; the session is stored in the current epoch
        /// (else `Session: not authorized`, `Session: revoked` or `Session: stale epoch`) and not
        /// paused. Emits `SessionPaused`.
        fn pause_session(ref self: ComponentState<TContractState>, session_hash: felt252) {
            get_dep_component!(@self, Owner).assert_only_self();
            let mut record = self.stored_record(session_hash);
            assert((record.limits & PAUSED) == 0, SessionErrors::ALREADY_PAUSED);
            record.limits = record.limits | PAUSED;
            self.Session_records.write(session_hash, pack_record(record));
            self.emit(SessionPaused { session_hash });
        }

        /// Resumes a paused session, its counters as they were.
        ///
        /// Requirements: called by the account itself; the session is stored in the current epoch
        /// and paused. Emits `SessionResumed`.
        fn resume_session(ref self: ComponentState<TContractState>, session_hash: felt252) {
            get_dep_component!(@self, Owner).assert_only_self();
            let mut record = self.stored_record(session_hash);
            assert((record.limits & PAUSED) != 0, SessionErrors::NOT_PAUSED);
            record.limits = record.limits & LIMIT_FLAGS;
            self.Session_records.write(session_hash, pack_record(record));
            self.emit(SessionResumed { session_hash });
        }

        /// Moves a stored session's expiry to `expires_at`, later than its current one; limits,
        /// counters, key and methods stay. By-reference signatures then carry the new expiry (a
        /// full-form signature keeps the signed one).
        ///
        /// Requirements: called by the account itself; the session is stored in the current
        /// epoch; `expires_at` is after the stored expiry (`Session: not an extension`).
        /// Emits `SessionExtended`.
        fn extend_session(ref self: ComponentState<TContractState>, session_hash: felt252, expires_at: u64) {
            get_dep_component!(@self, Owner).assert_only_self();
            let mut record = self.stored_record(session_hash);
            assert(expires_at > record.expires_at, SessionErrors::NOT_AN_EXTENSION);
            record.expires_at = expires_at;
            self.Session_records.write(session_hash, pack_record(record));
            self.emit(SessionExtended { session_hash, expires_at });
        }

        /// What the session's `total at most u256` rule `rule` of the method `leaf` has counted
        /// (in the current window, for a rule per window).
        fn get_session_rule_total(
            self: @ComponentState<TContractState>, session_hash: felt252, leaf: felt252, rule: ArgumentRule,
        ) -> u128 {
            let now = get_execution_info().unbox().block_info.unbox().block_timestamp;
            let (key, window) = rule_total_slot(session_hash, leaf, @rule, now);
            counted_in(self.Session_rule_totals.read(key), window)
        }

        /// Whether the owner paused the session (stored in the current epoch).
        fn is_session_paused(self: @ComponentState<TContractState>, session_hash: felt252) -> bool {
            let record = self.Session_records.read(session_hash);
            self.is_stored_in(record, self.current_authorization_mark())
                && (unpack_record(record).limits & PAUSED) != 0
        }

        /// The stored expiry (extensions included); 0 unless stored in the current epoch.
        fn get_session_expiry(self: @ComponentState<TContractState>, session_hash: felt252) -> u64 {
            let record = self.Session_records.read(session_hash);
            if self.is_stored_in(record, self.current_authorization_mark()) {
                unpack_record(record).expires_at
            } else {
                0
            }
        }
    }

    /// Panics with `Session: policy mismatch` unless `policy` is what `session` commits to (none
    /// for the unlimited policy), with `Session: spend limits unordered` unless its spend limits
    /// are strictly increasing by (token, period), with `Session: limit above u128` for a limit
    /// the account cannot count, and with `Session: window too long` for a window of 2^32
    /// seconds (136 years) or more.
    fn assert_policy_matches(session: @Session, policy: Option<Policy>) {
        match policy {
            Some(policy) => {
                assert(
                    policy_struct_hash(@policy) == *session.policy_hash,
                    SessionErrors::POLICY_MISMATCH,
                );
                assert_spend_limits_ordered(policy.spend_limits);
                for limit in policy.spend_limits {
                    assert(
                        *limit.amount.high == 0 || *limit.amount == Bounded::MAX,
                        SessionErrors::LIMIT_ABOVE_U128,
                    );
                    assert(*limit.period < 0x100000000, SessionErrors::WINDOW_TOO_LONG);
                }
                assert(
                    policy.limits_window % 3600 == 0 && policy.limits_window < 0x100000000,
                    SessionErrors::BAD_LIMITS_WINDOW,
                );
            },
            None => assert(
                *session.policy_hash == UNLIMITED_POLICY_HASH, SessionErrors::POLICY_MISMATCH,
            ),
        }
    }

    /// The limit flags of a policy (none for the unlimited policy).
    fn limit_flags(policy: Option<Policy>) -> u128 {
        let Some(policy) = policy else {
            return 0;
        };
        let mut flags = 0;
        if policy.max_calls != Bounded::MAX {
            flags = flags | HAS_CALL_LIMIT;
        }
        if policy.max_fee_per_tx != Bounded::MAX {
            flags = flags | HAS_FEE_CAP;
        }
        if policy.fee_budget != Bounded::MAX {
            flags = flags | HAS_FEE_BUDGET;
        }
        if !policy.spend_limits.is_empty() {
            flags = flags | HAS_SPEND_LIMITS;
        }
        if policy.valid_after != 0 {
            flags = flags | HAS_START;
        }
        if policy.limits_window != 0 && (flags & (HAS_CALL_LIMIT | HAS_FEE_BUDGET)) != 0 {
            flags = flags | HAS_LIMITS_WINDOW;
        }
        flags
    }

    /// Validation entry points for the embedding account.
    #[generate_trait]
    pub impl InternalImpl<
        TContractState,
        +HasComponent<TContractState>,
        impl Owner: OwnerComponent::HasComponent<TContractState>,
        +Drop<TContractState>,
    > of InternalTrait<TContractState> {
        /// Panics unless `signature` authorizes `calls` in `context`: an owner `[r, s]` over its
        /// hash, or a valid session signature whose session is usable at `context.now`. A
        /// session's first use stores it (and proven leaves asked for are remembered). Returns
        /// what executing the calls must enforce, for a session.
        ///
        /// Emits `SessionCached` (and `SessionPolicyPublished` for a session with a policy) when a
        /// session's owner authorization is verified and stored.
        fn validate_signature(
            ref self: ComponentState<TContractState>,
            context: Context,
            calls: Span<Call>,
            signature: Span<felt252>,
        ) -> Option<SessionUse> {
            match parse_signature(signature, calls.len()) {
                AccountSignature::Owner(owner_signature) => {
                    let owner = get_dep_component!(@self, Owner);
                    if let Err(reason) = owner.check_owner_signature(context.hash, @owner_signature) {
                        core::panic_with_felt252(reason);
                    }
                    None
                },
                AccountSignature::Session(full) => Some(self.validate_full(context, calls, @full)),
                AccountSignature::SessionRef(by_reference) => Some(
                    self.validate_by_reference(context, calls, @by_reference),
                ),
            }
        }

        /// For `__validate__`: `validate_signature`, then `charge` the session the transaction's
        /// calls and maximum fee (from its resource bounds and tip).
        fn validate_transaction(
            ref self: ComponentState<TContractState>,
            context: Context,
            calls: Span<Call>,
            signature: Span<felt252>,
            resource_bounds: Span<ResourcesBounds>,
            tip: u128,
        ) {
            let Some(used) = self.validate_signature(context, calls, signature) else {
                return;
            };
            if (used.limits & (HAS_CALL_LIMIT | HAS_FEE_CAP | HAS_FEE_BUDGET)) == 0 {
                return;
            }
            let fee = if (used.limits & (HAS_FEE_CAP | HAS_FEE_BUDGET)) != 0 {
                Some(max_fee(resource_bounds, tip))
            } else {
                None
            };
            self.charge(used, calls.len(), fee, context.now);
        }

        /// For a validated session use: checks `fee` (a transaction's maximum fee; `None` for an
        /// outside execution, whose relayer pays) against the fee cap, and charges `calls` to the
        /// call limit and `fee` to the fee budget, for the limits the session has. In validation,
        /// so a transaction that reverts still used them.
        ///
        /// Emits `SessionCharged` when it charges anything, and `SessionLimitReached` when the call
        /// limit is used up exactly.
        fn charge(
            ref self: ComponentState<TContractState>,
            used: SessionUse,
            calls: u32,
            fee: Option<u128>,
            now: u64,
        ) {
            let session_hash = used.session_hash;
            let has_call_limit = (used.limits & HAS_CALL_LIMIT) != 0;
            let fee_charged = match fee {
                Some(fee) => {
                    if (used.limits & HAS_FEE_CAP) != 0 {
                        assert(
                            fee <= self.Session_fee_caps.read(session_hash),
                            SessionErrors::FEE_CAP_EXCEEDED,
                        );
                    }
                    if (used.limits & HAS_FEE_BUDGET) != 0 {
                        fee
                    } else {
                        0
                    }
                },
                None => 0,
            };
            if !has_call_limit && fee_charged == 0 {
                return;
            }
            let mut allowance = self.Session_allowances.read(session_hash);
            if (used.limits & HAS_LIMITS_WINDOW) != 0 {
                allowance = self.in_window(session_hash, allowance, now);
            }
            let calls_charged: u32 = if has_call_limit {
                calls
            } else {
                0
            };
            assert(calls_charged.into() <= allowance.calls_left, SessionErrors::CALL_LIMIT_REACHED);
            assert(fee_charged <= allowance.fee_budget_left, SessionErrors::FEE_BUDGET_EXCEEDED);
            let calls_left = allowance.calls_left - calls_charged.into();
            self
                .Session_allowances
                .write(
                    session_hash,
                    Allowance {
                        calls_left, fee_budget_left: allowance.fee_budget_left - fee_charged, ..allowance
                    },
                );
            self.emit(SessionCharged { session_hash, calls: calls_charged, fee: fee_charged });
            if has_call_limit && calls_left == 0 {
                self
                    .emit(
                        SessionLimitReached {
                            session_hash, limit: CALL_LIMIT, token: Zero::zero(), period: 0,
                        },
                    );
            }
        }

        /// For `__execute__`: what a validated transaction's session signature must enforce
        /// (`None` for the owner). A by-reference signature carries it (validation checked it
        /// against the stored session); a full one names the session stored by its validation.
        fn session_use_of(
            self: @ComponentState<TContractState>,
            signature: Span<felt252>,
            chain_id: felt252,
            account: ContractAddress,
        ) -> Option<SessionUse> {
            if signature.len() == 2 {
                return None;
            }
            let mut rest = signature;
            let magic = *rest.pop_front()?;
            if magic == WEBAUTHN_MAGIC {
                return None; // the owner's passkey
            }
            if magic == SESSION_REF_MAGIC {
                let session_hash = *rest.pop_front()?;
                let terms = terms_of(*rest.pop_front()?).expect(SessionErrors::TERMS_MISMATCH);
                let (expires_at, limits) = split_terms(terms);
                return Some(SessionUse { session_hash, expires_at, limits });
            }
            assert(magic == SESSION_MAGIC, AccountErrors::INVALID_SIGNATURE_FORMAT);
            let session: Session = Serde::deserialize(ref rest).expect(SessionErrors::MALFORMED_SIGNATURE);
            if session.policy_hash == UNLIMITED_POLICY_HASH {
                // Nothing to count: the session's hash is not needed.
                return Some(SessionUse { session_hash: 0, expires_at: session.expires_at, limits: 0 });
            }
            let session_hash = session_hash(@session, chain_id, account);
            let record = unpack_record(self.Session_records.read(session_hash));
            Some(
                SessionUse {
                    session_hash, expires_at: session.expires_at, limits: record.limits & LIMIT_FLAGS,
                },
            )
        }

        /// At execution time (exact clock `now`), for a validated session use: panics if the
        /// session has expired, a call moves value of a token without a spend limit, or a spend
        /// limit would be exceeded; counts the value the calls move (only successful executions
        /// count).
        ///
        /// Emits `SessionSpent` for what it counts, and `SessionLimitReached` when a spend limit is
        /// used up exactly.
        #[inline(always)]
        fn use_session(
            ref self: ComponentState<TContractState>, used: SessionUse, calls: Span<Call>, now: u64,
        ) {
            assert(now < used.expires_at, SessionErrors::EXPIRED);
            let session_hash = used.session_hash;
            // Start and limits window are the top flags: one comparison for sessions with neither.
            if used.limits >= HAS_START {
                self.assert_started_at(session_hash, used.limits, now + 1);
            }
            for call in calls {
                if let Some(amount) = value_moved(call) {
                    assert((used.limits & HAS_SPEND_LIMITS) != 0, SessionErrors::TOKEN_NOT_ALLOWED);
                    self.spend(session_hash, *call.to, amount, now);
                }
            }
        }

        /// Whether `signature` is a session key's signature of the off-chain message `hash`, of a
        /// kind (domain and type) its session lists, the session stored on-chain for the current
        /// epoch (registered or cached), not revoked, not paused, started and not expired. The
        /// account recomputes `hash` from the domain, the type and the message's fields, so no
        /// other hash (a transaction's, another type's) passes. Never panics: for
        /// `is_valid_signature`.
        fn is_session_message_signature(
            self: @ComponentState<TContractState>, hash: felt252, signature: Span<felt252>,
        ) -> bool {
            let mut rest = signature;
            match rest.pop_front() {
                Some(magic) => if *magic != SESSION_MESSAGE_MAGIC {
                    return false;
                },
                None => { return false; },
            }
            let Some(session) = Serde::<Session>::deserialize(ref rest) else {
                return false;
            };
            let Some(messages) = Serde::<Span<AllowedMessage>>::deserialize(ref rest) else {
                return false;
            };
            let Some(index) = rest.pop_front() else {
                return false;
            };
            let Some(index) = (*index).try_into() else {
                return false;
            };
            let Some(fields) = Serde::<Span<felt252>>::deserialize(ref rest) else {
                return false;
            };
            let (Some(r), Some(s)) = (rest.pop_front(), rest.pop_front()) else {
                return false;
            };
            if !rest.is_empty() || allowed_messages_hash(messages) != session.allowed_messages_hash {
                return false;
            }
            let Some(message) = messages.get(index) else {
                return false;
            };
            let message = *message.unbox();
            let info = get_execution_info().unbox();
            let account = info.contract_address;
            let mut encoded = array![message.type_hash];
            encoded.append_span(fields);
            if message_hash(message.domain_hash, account, poseidon_hash_span(encoded.span())) != hash {
                return false;
            }
            let session_hash = session_hash(@session, info.tx_info.unbox().chain_id, account);
            let record = self.Session_records.read(session_hash);
            if !self.is_stored_in(record, self.current_authorization_mark()) {
                return false;
            }
            let stored = unpack_record(record);
            let now = info.block_info.unbox().block_timestamp;
            if (stored.limits & PAUSED) != 0 || now >= stored.expires_at {
                return false;
            }
            if (stored.limits & HAS_START) != 0 && now < self.Session_valid_after.read(session_hash) {
                return false;
            }
            is_valid_stark_signature(
                session_message_digest(hash, session_hash),
                session.session_key,
                StarkSignature { r: *r, s: *s },
            )
        }

        /// Ends every session issued so far: replaces the epoch with one derived from the current
        /// transaction (unpredictable before it exists). For revoke-all and owner rotations.
        ///
        /// Emits `AllSessionsRevoked`.
        fn start_new_epoch(ref self: ComponentState<TContractState>) {
            let info = get_execution_info().unbox();
            let new_epoch = next_epoch(
                self.Session_epoch.read(),
                info.tx_info.unbox().transaction_hash,
                info.block_info.unbox().block_number,
            );
            self.Session_epoch.write(new_epoch);
            self.Session_epoch_count.write(self.Session_epoch_count.read() + 1);
            self.emit(AllSessionsRevoked { new_epoch });
        }

        /// A full-form session signature: the session's own fields, its authorization (verified
        /// and stored on first use), the session key's signature, every call's entry.
        fn validate_full(
            ref self: ComponentState<TContractState>,
            context: Context,
            calls: Span<Call>,
            signature: @SessionSignature,
        ) -> SessionUse {
            assert(calls.len() <= MAX_SESSION_CALLS, SessionErrors::TOO_MANY_CALLS);
            let session = signature.session;
            self.assert_usable(session, context.now);
            let policy = match *signature.policy {
                Some(policy) => Some(policy.unbox()),
                None => None,
            };
            assert_policy_matches(session, policy);
            if let Some(policy) = policy {
                // Validation sees the hour floored: refuse only what is surely early.
                assert_started(policy.valid_after, context.now + 3600);
            }
            let session_hash = session_hash(session, context.chain_id, context.account);
            let record = self.Session_records.read(session_hash);
            assert(record != REVOKED_RECORD, SessionErrors::REVOKED);
            let stored = self.is_stored_in(record, self.current_authorization_mark());
            if stored {
                assert((unpack_record(record).limits & PAUSED) == 0, SessionErrors::PAUSED);
            } else {
                let Some(authorization) = signature.owner_authorization else {
                    core::panic_with_felt252(SessionErrors::NOT_AUTHORIZED)
                };
                let owner = get_dep_component!(@self, Owner);
                if let Err(reason) = owner.check_owner_signature(session_hash, authorization) {
                    core::panic_with_felt252(
                        if reason == AccountErrors::INVALID_SIGNATURE {
                            SessionErrors::INVALID_AUTHORIZATION
                        } else {
                            reason
                        },
                    );
                }
                self.store_session(session_hash, session, policy);
                self.emit_cached(session_hash, session, policy);
            }
            assert_session_key_signed(
                context.hash, session_hash, *session.session_key, *signature.session_signature,
            );
            self
                .assert_calls_allowed(
                    session_hash,
                    context.account,
                    calls,
                    Some(*signature.permissions),
                    *session.allowed_methods_root,
                    !stored,
                    context.now,
                );
            SessionUse { session_hash, expires_at: *session.expires_at, limits: limit_flags(policy) }
        }

        /// A by-reference signature: its hash, terms, key and root, with the current epoch, must
        /// reproduce the stored record exactly (one comparison; a mismatch is explained by
        /// `explain_record_mismatch`).
        #[inline(always)]
        fn validate_by_reference(
            ref self: ComponentState<TContractState>,
            context: Context,
            calls: Span<Call>,
            signature: @SessionRefSignature,
        ) -> SessionUse {
            assert(calls.len() <= MAX_SESSION_CALLS, SessionErrors::TOO_MANY_CALLS);
            let session_hash = *signature.session_hash;
            let terms = terms_of(*signature.terms).expect(SessionErrors::TERMS_MISMATCH);
            let permissions = *signature.permissions;
            let root = match *signature.root {
                Some(root) => root,
                None => {
                    let first = calls.get(0).expect(SessionErrors::METHOD_NOT_ALLOWED).unbox();
                    allowed_method_leaf(*first.to, *first.selector, array![].span())
                },
            };
            let session_key = *signature.session_key;
            let mark = self.current_authorization_mark();
            let record = self.Session_records.read(session_hash);
            let binding = session_binding(session_hash, session_key, root);
            if record != record_felt(binding, terms, mark) {
                explain_record_mismatch(record, terms, mark);
            }
            let (expires_at, limits) = split_terms(terms);
            assert(context.now < expires_at, SessionErrors::EXPIRED);
            if limits >= HAS_START {
                // Validation sees the hour floored: refuse only what is surely early.
                self.assert_started_at(session_hash, limits, context.now + 3600);
            }

            assert_session_key_signed(
                context.hash, session_hash, session_key, *signature.session_signature,
            );
            self
                .assert_calls_allowed(
                    session_hash, context.account, calls, permissions, root, false, context.now,
                );
            SessionUse { session_hash, expires_at, limits }
        }

        /// Every call is to another contract and to a method of the session's tree, obeying its
        /// leaf's argument rules. A leaf is allowed when it is the root, proven earlier in this
        /// transaction, proven now (then remembered if the entry asks), or remembered for the
        /// session. `permissions`: `None` for calls without rules or proofs; `fresh`: the session
        /// was stored in this validation (nothing is remembered for it yet).
        fn assert_calls_allowed(
            ref self: ComponentState<TContractState>,
            session_hash: felt252,
            account: ContractAddress,
            calls: Span<Call>,
            permissions: Option<Span<CallPermission>>,
            root: felt252,
            fresh: bool,
            now: u64,
        ) {
            let mut proven: Array<felt252> = array![];
            for i in 0..calls.len() {
                let call = calls[i];
                assert(*call.to != account, SessionErrors::CALL_TO_SELF);
                let (proof, rules, remember) = match permissions {
                    Some(permissions) => {
                        let permission = permissions[i];
                        (*permission.proof, *permission.rules, *permission.remember)
                    },
                    None => (array![].span(), array![].span(), false),
                };
                let leaf = allowed_method_leaf(*call.to, *call.selector, rules);
                if leaf != root && !contains(proven.span(), leaf) {
                    if !proof.is_empty() {
                        assert(
                            verify_merkle_proof(leaf, proof, root), SessionErrors::METHOD_NOT_ALLOWED,
                        );
                        if remember {
                            self.Session_remembered_leaves.write(poseidon_2(session_hash, leaf), true);
                        }
                    } else {
                        assert(
                            !fresh && self.Session_remembered_leaves.read(poseidon_2(session_hash, leaf)),
                            SessionErrors::METHOD_NOT_ALLOWED,
                        );
                    }
                    proven.append(leaf);
                }
                if !rules.is_empty() {
                    assert_arguments_allowed(rules, *call.calldata);
                    for rule in rules {
                        if *rule.kind == RULE_TOTAL_AT_MOST_U256 {
                            self.count_rule_total(session_hash, leaf, rule, *call.calldata, now);
                        }
                    }
                }
            }
        }

        /// Adds the call's `u256` argument to what its `total at most u256` rule counted for the
        /// session (this window's, for a rule per window); panics with `Session: rule total
        /// exceeded` past the bound. Emits `SessionRuleTotalReached` when the bound is reached.
        fn count_rule_total(
            ref self: ComponentState<TContractState>,
            session_hash: felt252,
            leaf: felt252,
            rule: @ArgumentRule,
            calldata: Span<felt252>,
            now: u64,
        ) {
            let amount = read_u256(calldata, *rule.index).expect(SessionErrors::ARGUMENT_NOT_ALLOWED);
            let (key, window) = rule_total_slot(session_hash, leaf, rule, now);
            let used = counted_in(self.Session_rule_totals.read(key), window);
            // The rule already checked `amount <= bound < 2^128`.
            let total: u256 = used.into() + amount;
            assert(total <= *rule.bound, SessionErrors::RULE_TOTAL_EXCEEDED);
            let total: u128 = total.low;
            let packed: felt252 = total.into() + 0x100000000000000000000000000000000 * window.into();
            self.Session_rule_totals.write(key, packed);
            if total.into() == *rule.bound {
                self.emit(SessionRuleTotalReached { session_hash, leaf, window });
            }
        }

        /// Counts `amount` of `token` against each of the token's limits (one read and one write
        /// per limit that binds); panics with `Session: token not allowed` when the token has
        /// none, `Session: spend limit exceeded` when a limit has less left.
        fn spend(
            ref self: ComponentState<TContractState>,
            session_hash: felt252,
            token: ContractAddress,
            amount: u256,
            now: u64,
        ) {
            let token_felt: felt252 = token.into();
            let first_key = spend_key(session_hash, token_felt, 0);
            let first = self.Session_spending.read(first_key);
            assert(first.count != 0, SessionErrors::TOKEN_NOT_ALLOWED);
            let mut counted = false;
            let mut used_up: Array<u64> = array![];
            for index in 0..Into::<u8, u32>::into(first.count) {
                let (key, entry) = if index == 0 {
                    (first_key, first)
                } else {
                    let key = spend_key(session_hash, token_felt, index);
                    (key, self.Session_spending.read(key))
                };
                if entry.unlimited {
                    continue;
                }
                let left = self.spend_left(key, entry, now);
                assert(amount <= left.into(), SessionErrors::SPEND_LIMIT_EXCEEDED);
                let left = left - amount.low; // `amount` is at most `left`, a `u128`
                let window = if entry.period == 0 {
                    0
                } else {
                    now / entry.period.into()
                };
                self.Session_spending.write(key, SpendEntry { left, window, ..entry });
                counted = true;
                if left == 0 {
                    used_up.append(entry.period.into());
                }
            }
            if counted {
                self.emit(SessionSpent { session_hash, token, amount: amount.low });
            }
            for period in used_up {
                self.emit(SessionLimitReached { session_hash, limit: SPEND_LIMIT, token, period });
            }
        }

        /// What is left of a (not unlimited) spend limit at `now`: its whole amount in a window
        /// after the stored one.
        fn spend_left(
            self: @ComponentState<TContractState>, key: felt252, entry: SpendEntry, now: u64,
        ) -> u128 {
            if entry.period != 0 && now / entry.period.into() != entry.window {
                self.Session_window_amounts.read(key)
            } else {
                entry.left
            }
        }

        /// Stores the session, authorized in the current epoch: its record (expiry, epoch, limit
        /// flags and the binding of its key and root) and its limits, all of them left.
        fn store_session(
            ref self: ComponentState<TContractState>,
            session_hash: felt252,
            session: @Session,
            policy: Option<Policy>,
        ) {
            let limits = limit_flags(policy);
            let record = SessionRecord {
                binding: session_binding(
                    session_hash, *session.session_key, *session.allowed_methods_root,
                ),
                expires_at: *session.expires_at,
                limits,
                authorized_in: self.current_authorization_mark(),
            };
            self.Session_records.write(session_hash, pack_record(record));
            let Some(policy) = policy else {
                return;
            };
            if (limits & (HAS_CALL_LIMIT | HAS_FEE_BUDGET)) != 0 {
                // Unused halves stay 0: the flags say which limits exist.
                let calls_left = if (limits & HAS_CALL_LIMIT) != 0 {
                    policy.max_calls
                } else {
                    0
                };
                let fee_budget_left = if (limits & HAS_FEE_BUDGET) != 0 {
                    policy.fee_budget
                } else {
                    0
                };
                let window_hours: u32 = if (limits & HAS_LIMITS_WINDOW) != 0 {
                    self
                        .Session_limit_maxima
                        .write(session_hash, LimitMaxima { max_calls: calls_left, fee_budget: fee_budget_left });
                    (policy.limits_window / 3600).try_into().unwrap() // checked by the policy
                } else {
                    0
                };
                // Window 0 is before any real time: the first charge starts the current window.
                self
                    .Session_allowances
                    .write(session_hash, Allowance { calls_left, fee_budget_left, window: 0, window_hours });
            }
            if (limits & HAS_START) != 0 {
                self.Session_valid_after.write(session_hash, policy.valid_after);
            }
            if (limits & HAS_FEE_CAP) != 0 {
                self.Session_fee_caps.write(session_hash, policy.max_fee_per_tx);
            }
            // Limits are ordered by (token, period): each token's limits are adjacent.
            let spend_limits = policy.spend_limits;
            let mut start = 0;
            while start < spend_limits.len() {
                let token = *spend_limits[start].token;
                let mut end = start + 1;
                while end < spend_limits.len() && *spend_limits[end].token == token {
                    end += 1;
                }
                let count: u8 = (end - start).try_into().expect(SessionErrors::MALFORMED_SIGNATURE);
                for index in start..end {
                    let limit = spend_limits[index];
                    let unlimited = *limit.amount == Bounded::MAX;
                    let amount = if unlimited {
                        0
                    } else {
                        *limit.amount.low
                    };
                    let period: u32 = (*limit.period).try_into().unwrap(); // checked by the policy
                    let key = spend_key(session_hash, token.into(), index - start);
                    self
                        .Session_spending
                        .write(key, SpendEntry { left: amount, window: 0, period, count, unlimited });
                    if period != 0 && !unlimited {
                        self.Session_window_amounts.write(key, amount);
                    }
                }
                start = end;
            }
        }

        fn emit_cached(
            ref self: ComponentState<TContractState>,
            session_hash: felt252,
            session: @Session,
            policy: Option<Policy>,
        ) {
            self
                .emit(
                    SessionCached {
                        session_hash,
                        session_key: *session.session_key,
                        expires_at: *session.expires_at,
                        allowed_methods_root: *session.allowed_methods_root,
                        policy_hash: *session.policy_hash,
                        epoch: *session.epoch,
                        allowed_messages_hash: *session.allowed_messages_hash,
                    },
                );
            if let Some(policy) = policy {
                self.emit(SessionPolicyPublished { session_hash, policy });
            }
        }

        /// Panics unless the session's own fields allow use at `now`.
        fn assert_usable(self: @ComponentState<TContractState>, session: @Session, now: u64) {
            assert(*session.session_key != 0, SessionErrors::ZERO_SESSION_KEY);
            assert(now < *session.expires_at, SessionErrors::EXPIRED);
            assert(*session.epoch == self.Session_epoch.read(), SessionErrors::STALE_EPOCH);
        }

        /// `SessionRecord.authorized_in` of a session authorized in the current epoch.
        fn current_authorization_mark(self: @ComponentState<TContractState>) -> u32 {
            self.Session_epoch_count.read() + 1
        }

        /// For a session with these limit flags: panics with `Session: not yet valid` if it has a
        /// `valid_after` and it is not before `bound` (exclusive). Out of line: the common path
        /// stays small.
        #[inline(never)]
        fn assert_started_at(
            self: @ComponentState<TContractState>, session_hash: felt252, limits: u128, bound: u64,
        ) {
            if (limits & HAS_START) != 0 {
                assert_started(self.Session_valid_after.read(session_hash), bound);
            }
        }

        /// `allowance` as of time `now`: a new window starts with the call limit and fee budget
        /// whole (one more read, on the first charge of each window).
        fn in_window(
            self: @ComponentState<TContractState>, session_hash: felt252, allowance: Allowance, now: u64,
        ) -> Allowance {
            let window: u32 = (now / (allowance.window_hours.into() * 3600)).try_into().unwrap();
            if window == allowance.window {
                return allowance;
            }
            let maxima = self.Session_limit_maxima.read(session_hash);
            Allowance {
                calls_left: maxima.max_calls, fee_budget_left: maxima.fee_budget, window, ..allowance
            }
        }

        /// What the session has left of its call limit and fee budget now (in the current window,
        /// for limits per window).
        fn current_allowance(self: @ComponentState<TContractState>, session_hash: felt252) -> Allowance {
            let allowance = self.Session_allowances.read(session_hash);
            if allowance.window_hours == 0 {
                return allowance;
            }
            let now = get_execution_info().unbox().block_info.unbox().block_timestamp;
            self.in_window(session_hash, allowance, now)
        }

        /// The record of a session stored in the current epoch; panics with `Session: not
        /// authorized` (never stored), `Session: revoked` or `Session: stale epoch`.
        fn stored_record(self: @ComponentState<TContractState>, session_hash: felt252) -> SessionRecord {
            assert_stored_in(self.Session_records.read(session_hash), self.current_authorization_mark())
        }

        /// Whether `record` is a session stored (and not revoked) in the epoch of `mark`.
        fn is_stored_in(self: @ComponentState<TContractState>, record: felt252, mark: u32) -> bool {
            record != 0 && record != REVOKED_RECORD && unpack_record(record).authorized_in == mark
        }
    }

    /// Panics with `Session: not yet valid` unless `valid_after` is before `bound` (exclusive):
    /// `now + 1` at execution (exact), `now + 3600` in validation, whose clock Starknet floors to
    /// the hour.
    fn assert_started(valid_after: u64, bound: u64) {
        assert(bound > valid_after, SessionErrors::NOT_YET_VALID);
    }

    /// Where a `total at most u256` rule of the method `leaf` counts for the session, and the
    /// window time `now` falls in (0 for a rule over the whole session).
    fn rule_total_slot(
        session_hash: felt252, leaf: felt252, rule: @ArgumentRule, now: u64,
    ) -> (felt252, u64) {
        let window = match (*rule.values).get(0) {
            Some(seconds) => {
                let seconds: u64 = (*seconds.unbox()).try_into().expect(SessionErrors::MALFORMED_RULE);
                assert(seconds != 0, SessionErrors::MALFORMED_RULE);
                now / seconds
            },
            None => 0,
        };
        (poseidon_3(session_hash, leaf, argument_rule_struct_hash(rule)), window)
    }

    /// What a stored rule total (`used + 2^128 × window`) counted in `window`: 0 when it is an
    /// earlier window's count.
    fn counted_in(stored: felt252, window: u64) -> u128 {
        let stored: u256 = stored.into();
        if stored.high == window.into() {
            stored.low
        } else {
            0
        }
    }

    /// The record of a session stored in the epoch of `mark`; panics with `Session: not
    /// authorized` (never stored), `Session: revoked` or `Session: stale epoch`.
    fn assert_stored_in(record: felt252, mark: u32) -> SessionRecord {
        assert(record != 0, SessionErrors::NOT_AUTHORIZED);
        assert(record != REVOKED_RECORD, SessionErrors::REVOKED);
        let stored = unpack_record(record);
        assert(stored.authorized_in == mark, SessionErrors::STALE_EPOCH);
        stored
    }

    /// Panics with why a by-reference signature's fields do not reproduce the stored `record`:
    /// `Session: not authorized` (never stored), `Session: revoked`, `Session: stale epoch`,
    /// `Session: paused`, `Session: terms mismatch` (expiry — an extended session's new one — or
    /// limit flags), else `Session: reference mismatch` (the session key or root).
    fn explain_record_mismatch(record: felt252, terms: u128, mark: u32) {
        let stored = assert_stored_in(record, mark);
        assert((stored.limits & PAUSED) == 0, SessionErrors::PAUSED);
        let (expires_at, limits) = split_terms(terms);
        assert(
            stored.expires_at == expires_at && stored.limits == limits, SessionErrors::TERMS_MISMATCH,
        );
        core::panic_with_felt252(SessionErrors::REFERENCE_MISMATCH);
    }

    /// Panics with `Session: invalid session sig` unless `session_key` signed the session's
    /// message for `hash`.
    fn assert_session_key_signed(
        hash: felt252, session_hash: felt252, session_key: felt252, signature: StarkSignature,
    ) {
        assert(
            is_valid_stark_signature(session_key_message(hash, session_hash), session_key, signature),
            SessionErrors::INVALID_SESSION_SIGNATURE,
        );
    }

    fn contains(values: Span<felt252>, wanted: felt252) -> bool {
        for value in values {
            if *value == wanted {
                return true;
            }
        }
        false
    }
}
