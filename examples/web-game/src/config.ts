/** Where the game is deployed: served as /config.json by the dev server (see vite.config.ts). */
export interface GameConfig {
  /** JSON-RPC endpoint (same origin, proxied to the chain). */
  rpcUrl: string;
  /** The session account class hash. */
  sessionAccountClassHash: string;
  /** The game contract (a counter: `increase(amount)` is a move). */
  counterAddress: string;
  /** Whether `/rpc` is a devnet with `devnet_mint` (the example's faucet for the deployment fee). */
  devnetFaucet: boolean;
  /**
   * A SNIP-29 paymaster sponsoring moves (proxied at `/paymaster/`), with the game's API key: a
   * client-side key, so the paymaster's rules (contracts, entrypoints, budgets per user) are what
   * protect it.
   */
  paymaster?: { nodeUrl: string; apiKey: string };
}

/** Loads the deployment. */
export async function loadConfig(): Promise<GameConfig> {
  const response = await fetch('/config.json');
  if (!response.ok) throw new Error(await response.text());
  const config = (await response.json()) as Omit<GameConfig, 'rpcUrl' | 'paymaster'> & { paymasterApiKey?: string };
  const paymaster = config.paymasterApiKey === undefined ? undefined : { nodeUrl: `${location.origin}/paymaster/`, apiKey: config.paymasterApiKey };
  return { ...config, rpcUrl: `${location.origin}/rpc`, paymaster };
}

/** Devnet only: mints STRK to `address` so it can pay for its own deployment. */
export async function devnetFaucet(address: string): Promise<void> {
  const response = await fetch('/rpc', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'devnet_mint', params: { address, amount: 1e21, unit: 'FRI' } }),
  });
  const body = (await response.json()) as { error?: unknown };
  if (body.error) throw new Error(`devnet_mint: ${JSON.stringify(body.error)}`);
}
