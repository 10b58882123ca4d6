// The example's dev and preview servers: `/rpc` is proxied to the chain's JSON-RPC endpoint
// (WEB_GAME_RPC), `/paymaster` to a SNIP-29 paymaster (WEB_GAME_PAYMASTER, optional), and
// `/config.json` serves the deployment the app plays against (WEB_GAME_CONFIG, a JSON file written
// by scripts/dev.mjs or the end-to-end test).
import { readFileSync } from 'node:fs';

import react from '@vitejs/plugin-react';
import { type Connect, type Plugin, defineConfig } from 'vite';

function gameConfig(): Plugin {
  const serve: Connect.NextHandleFunction = (request, response, next) => {
    if (request.url !== '/config.json') return next();
    const path = process.env.WEB_GAME_CONFIG;
    if (!path) {
      response.statusCode = 500;
      response.end('WEB_GAME_CONFIG is not set: start the app with `npm run dev --workspace web-game`');
      return;
    }
    response.setHeader('content-type', 'application/json');
    response.end(readFileSync(path, 'utf8'));
  };
  return {
    name: 'web-game-config',
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
  };
}

const rpc = process.env.WEB_GAME_RPC ?? 'http://127.0.0.1:5050/rpc';
const paymaster = process.env.WEB_GAME_PAYMASTER;
const proxy = {
  '/rpc': { target: new URL(rpc).origin, changeOrigin: true, rewrite: () => new URL(rpc).pathname },
  // A SNIP-29 paymaster (WEB_GAME_PAYMASTER), when the game sponsors moves.
  ...(paymaster ? { '/paymaster': { target: new URL(paymaster).origin, changeOrigin: true, rewrite: () => new URL(paymaster).pathname } } : {}),
};

export default defineConfig({
  plugins: [react(), gameConfig()],
  server: { proxy, host: 'localhost' },
  preview: { proxy, host: 'localhost' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});
