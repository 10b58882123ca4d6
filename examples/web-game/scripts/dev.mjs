// `npm run dev --workspace web-game`: a local devnet (started here, stopped on Ctrl-C) with the
// session account class and the game deployed, session-paymaster sponsoring moves when cargo has
// built it, and the example app's Vite dev server against them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createServer } from 'vite';

import { deployFixtures, paymasterBinary, startDevnet, startPaymaster } from '../../../tests/web/local-chain.mjs';

const root = new URL('..', import.meta.url).pathname;
const built = spawnSync('npm', ['run', 'build', '--workspace', 'session-keys'], { cwd: join(root, '../..'), stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const devnet = await startDevnet();
const fixtures = await deployFixtures(devnet);
// Gasless moves when the paymaster is built (`cargo build -p session-paymaster`).
const apiKey = 'web-game-dev-key';
const paymaster = existsSync(paymasterBinary())
  ? await startPaymaster(devnet, { apiKey, contract: fixtures.counterAddress, entrypoints: ['increase'] })
  : undefined;
const configPath = join(mkdtempSync(join(tmpdir(), 'web-game-')), 'config.json');
writeFileSync(configPath, JSON.stringify({ ...fixtures, devnetFaucet: true, ...(paymaster ? { paymasterApiKey: apiKey } : {}) }, null, 2));
if (paymaster) process.env.WEB_GAME_PAYMASTER = paymaster.url;
process.env.WEB_GAME_RPC = devnet.rpcUrl;
process.env.WEB_GAME_CONFIG = configPath;

const port = Number(process.env.PORT ?? 5173);
const server = await createServer({ root, server: { port, strictPort: true } });
await server.listen();
console.log(`\nCounter Quest on a local devnet (${devnet.rpcUrl}):\n\n  http://localhost:${port}/\n`);
console.log(paymaster ? `Gasless moves through session-paymaster at ${paymaster.url}.` : 'Gasless moves are off: build the paymaster with `cargo build -p session-paymaster`.');
console.log('Ctrl-C stops the app, the paymaster and the devnet.');

const stop = async () => {
  await server.close();
  await paymaster?.stop();
  await devnet.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
