// A local Starknet for the web tests and the example app: starts starknet-devnet 0.10.1 (installed
// by scripts/install-devnet.sh) on a free loopback port, declares the session account and the
// example Counter from contracts/artifacts with a predeployed account, deploys a Counter, and
// stops everything on `stop()`. Plain ESM so Node scripts and vitest tests share it.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { Account, RpcProvider } from 'starknet';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'contracts', 'artifacts');

/** The scripts' cache folder (scripts/env.sh): $SESSION_KEYS_CACHE, else ~/.cache/session-keys. */
function cacheDir() {
  return process.env.SESSION_KEYS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'session-keys');
}

/** The devnet binary: $STARKNET_DEVNET, else the scripts' cache. */
export function devnetBinary() {
  return process.env.STARKNET_DEVNET ?? join(cacheDir(), 'starknet-devnet-0.10.1', 'bin', 'starknet-devnet');
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` (no HTTP: quiet while it starts). */
function listening(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One contract of the committed artifacts: its Sierra class, CASM, class hash and compiled class hash. */
export function artifact(name) {
  const manifest = JSON.parse(readFileSync(join(ARTIFACTS, 'manifest.json'), 'utf8'));
  const entry = manifest.contracts.find((contract) => contract.name === name);
  if (!entry) throw new Error(`no contract ${name} in contracts/artifacts/manifest.json`);
  return {
    classHash: entry.class_hash,
    compiledClassHash: entry.compiled_class_hash,
    sierra: JSON.parse(readFileSync(join(ARTIFACTS, entry.sierra), 'utf8')),
    casm: JSON.parse(readFileSync(join(ARTIFACTS, entry.casm), 'utf8')),
  };
}

/**
 * Starts devnet and returns `{ rpcUrl, provider, funder, accounts, rpc(method, params),
 * mint(address, fri), advanceTime(seconds), stop() }`.
 */
export async function startDevnet() {
  const binary = devnetBinary();
  const port = await freePort();
  const child = spawn(binary, ['--host', '127.0.0.1', '--port', String(port), '--seed', '42', '--accounts', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('error', (error) => {
    stderr += `\n${error.message} (is starknet-devnet installed? run scripts/install-devnet.sh)`;
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`starknet-devnet (${binary}) exited: ${stderr}`);
    if (await listening(port)) break;
    if (Date.now() - started > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`starknet-devnet did not start within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let id = 0;
  const rpc = async (method, params = {}) => {
    const response = await fetch(`${rpcUrl}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: (id += 1), method, params }),
    });
    const body = await response.json();
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  };
  const provider = new RpcProvider({ nodeUrl: `${rpcUrl}/rpc` });
  const accounts = await rpc('devnet_getPredeployedAccounts');
  const funder = new Account({ provider, address: accounts[0].address, signer: accounts[0].private_key });
  return {
    rpcUrl: `${rpcUrl}/rpc`,
    provider,
    funder,
    /** Devnet's predeployed accounts (`{ address, private_key }`); the first is the funder. */
    accounts,
    rpc,
    /** Gives `address` `fri` of STRK. */
    mint: (address, fri) => rpc('devnet_mint', { address, amount: Number(fri), unit: 'FRI' }),
    /** Moves the chain's clock forward and closes a block at the new time. */
    advanceTime: async (seconds) => {
      await rpc('devnet_increaseTime', { time: seconds });
      await rpc('devnet_createBlock');
    },
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Declares `name` (from contracts/artifacts) with the funder unless the chain has it; returns its class hash. */
export async function declare(devnet, name) {
  const { sierra, casm, classHash, compiledClassHash } = artifact(name);
  try {
    await devnet.provider.getClassByHash(classHash);
    return classHash;
  } catch {
    // not declared yet
  }
  const declared = await devnet.funder.declare({ contract: sierra, casm, classHash, compiledClassHash }, { tip: 0 });
  await devnet.provider.waitForTransaction(declared.transaction_hash, { retryInterval: 100 });
  return classHash;
}

/** Declares the session account and the Counter, deploys a Counter: what the example app needs. */
export async function deployFixtures(devnet) {
  const sessionAccountClassHash = await declare(devnet, 'SessionAccount');
  const counterClassHash = await declare(devnet, 'Counter');
  const deployed = await devnet.funder.deployContract(
    { classHash: counterClassHash, constructorCalldata: [] },
    { tip: 0, retryInterval: 100 },
  );
  const chainId = await devnet.provider.getChainId();
  return { sessionAccountClassHash, counterAddress: deployed.contract_address, chainId };
}

/** The session-paymaster binary: $SESSION_PAYMASTER_BIN, else cargo's target directory (scripts' cache). */
export function paymasterBinary() {
  if (process.env.SESSION_PAYMASTER_BIN) return process.env.SESSION_PAYMASTER_BIN;
  return join(process.env.CARGO_TARGET_DIR ?? join(cacheDir(), 'target'), 'debug', 'session-paymaster');
}

/**
 * Starts session-paymaster (SQLite in a temporary folder, devnet's second predeployed account as
 * its relayer) sponsoring `entrypoints` of `contract` for `apiKey`; returns `{ url, stop() }`.
 */
export async function startPaymaster(devnet, { apiKey, contract, entrypoints }) {
  const binary = paymasterBinary();
  if (!existsSync(binary)) {
    throw new Error(`no ${binary}: build it with \`cargo build -p session-paymaster\` (or set SESSION_PAYMASTER_BIN)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'session-paymaster-'));
  const config = join(dir, 'paymaster.toml');
  writeFileSync(
    config,
    [
      `rpc_url = "${devnet.rpcUrl}"`,
      `database_url = "sqlite://${join(dir, 'paymaster.sqlite')}"`,
      '[[api_keys]]',
      'name = "web"',
      `key = "${apiKey}"`,
      'fee_modes = ["sponsored"]',
      'daily_budget_fri = "100000000000000000000"',
      'user_daily_budget_fri = "100000000000000000000"',
      'requests_per_minute = 600',
      'max_fee_per_transaction_fri = "10000000000000000000"',
      '[[api_keys.allow]]',
      `contract = "${contract}"`,
      `entrypoints = [${entrypoints.map((name) => JSON.stringify(name)).join(', ')}]`,
    ].join('\n'),
  );
  const port = await freePort();
  const relayer = devnet.accounts[1];
  const child = spawn(binary, ['--config', config], {
    env: {
      ...process.env,
      SESSION_PAYMASTER_LISTEN: `127.0.0.1:${port}`,
      SESSION_PAYMASTER_RELAYERS: `${relayer.address}:${relayer.private_key}`,
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let attempt = 0; ; attempt += 1) {
    if ((await listening(port)) && (await fetch(`${url}health`).then((response) => response.ok, () => false))) break;
    if (attempt > 300 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`session-paymaster did not start (${binary})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}
