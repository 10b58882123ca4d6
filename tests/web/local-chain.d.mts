// Types of local-chain.mjs for the TypeScript tests.
import type { Account, RpcProvider } from 'starknet';

export interface LocalDevnet {
  rpcUrl: string;
  provider: RpcProvider;
  funder: Account;
  accounts: { address: string; private_key: string }[];
  rpc(method: string, params?: Record<string, unknown>): Promise<unknown>;
  mint(address: string, fri: bigint | number): Promise<unknown>;
  advanceTime(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export interface Fixtures {
  sessionAccountClassHash: string;
  counterAddress: string;
  chainId: string;
}

export function devnetBinary(): string;
export function freePort(): Promise<number>;
export function startDevnet(): Promise<LocalDevnet>;
export function declare(devnet: LocalDevnet, name: string): Promise<string>;
export function deployFixtures(devnet: LocalDevnet): Promise<Fixtures>;

export function paymasterBinary(): string;
export function startPaymaster(
  devnet: LocalDevnet,
  options: { apiKey: string; contract: string; entrypoints: string[] },
): Promise<{ url: string; stop(): Promise<void> }>;
