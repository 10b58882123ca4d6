//! A tiny game-like contract: a per-caller counter. It is the call target of the demo and the
//! end-to-end tests (a session may be allowed `increase` but not `reset`).

/// Per-caller counter.
#[starknet::interface]
pub trait ICounter<TState> {
    /// Adds `amount` to the caller's counter.
    fn increase(ref self: TState, amount: u64);
    /// Sets the caller's counter back to zero.
    fn reset(ref self: TState);
    /// The counter of `owner`.
    fn get(self: @TState, owner: starknet::ContractAddress) -> u64;
}

/// Per-caller counter contract.
#[starknet::contract]
pub mod Counter {
    use starknet::storage::{Map, StorageMapReadAccess, StorageMapWriteAccess};
    use starknet::{ContractAddress, get_caller_address};

    #[storage]
    struct Storage {
        counts: Map<ContractAddress, u64>,
    }

    /// Emitted whenever a counter changes.
    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        CounterChanged: CounterChanged,
    }

    /// A caller's counter changed to `value`.
    #[derive(Drop, starknet::Event)]
    pub struct CounterChanged {
        #[key]
        pub owner: ContractAddress,
        pub value: u64,
    }

    #[abi(embed_v0)]
    impl CounterImpl of super::ICounter<ContractState> {
        fn increase(ref self: ContractState, amount: u64) {
            let caller = get_caller_address();
            let value = self.counts.read(caller) + amount;
            self.counts.write(caller, value);
            self.emit(CounterChanged { owner: caller, value });
        }

        fn reset(ref self: ContractState) {
            let caller = get_caller_address();
            self.counts.write(caller, 0);
            self.emit(CounterChanged { owner: caller, value: 0 });
        }

        fn get(self: @ContractState, owner: ContractAddress) -> u64 {
            self.counts.read(owner)
        }
    }
}

#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use super::{Counter, ICounterDispatcher, ICounterDispatcherTrait};

    fn deploy() -> ICounterDispatcher {
        let (address, _) = deploy_syscall(
            Counter::TEST_CLASS_HASH.try_into().unwrap(), 0, array![].span(), false,
        )
            .unwrap();
        ICounterDispatcher { contract_address: address }
    }

    #[test]
    fn counts_per_caller() {
        let counter = deploy();
        let alice = 'alice'.try_into().unwrap();
        let bob = 'bob'.try_into().unwrap();
        set_contract_address(alice);
        counter.increase(3);
        counter.increase(4);
        set_contract_address(bob);
        counter.increase(1);
        assert_eq!(counter.get(alice), 7);
        assert_eq!(counter.get(bob), 1);
        counter.reset();
        assert_eq!(counter.get(bob), 0);
        assert_eq!(counter.get(alice), 7);
    }

    #[test]
    #[should_panic(expected: ('u64_add Overflow', 'ENTRYPOINT_FAILED'))]
    fn rejects_overflow() {
        let counter = deploy();
        counter.increase(0xffffffffffffffff);
        counter.increase(1);
    }
}
