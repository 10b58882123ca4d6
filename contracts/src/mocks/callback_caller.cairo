//! A contract that calls back whatever it is told to: a session allowed to call it tries to reach
//! the account's own entrypoints (re-entrancy, administration) through it.

/// Calls an arbitrary entrypoint.
#[starknet::interface]
pub trait ICallbackCaller<TState> {
    /// Calls `selector` on `target` with `calldata`, failing if that call fails.
    fn call_back(ref self: TState, target: starknet::ContractAddress, selector: felt252, calldata: Array<felt252>);
}

/// The callback contract.
#[starknet::contract]
pub mod CallbackCaller {
    use starknet::ContractAddress;
    use starknet::syscalls::call_contract_syscall;
    use starknet::SyscallResultTrait;

    #[storage]
    struct Storage {}

    #[abi(embed_v0)]
    impl CallbackCallerImpl of super::ICallbackCaller<ContractState> {
        fn call_back(
            ref self: ContractState, target: ContractAddress, selector: felt252, calldata: Array<felt252>,
        ) {
            call_contract_syscall(target, selector, calldata.span()).unwrap_syscall();
        }
    }
}
