import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionKeysProvider } from 'session-keys/react';

import { App } from './App';
import { type GameConfig, loadConfig } from './config';
import './styles.css';

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1 } } });

function render(config: GameConfig): void {
  const root = document.getElementById('root');
  if (!root) throw new Error('no #root element');
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <SessionKeysProvider config={{ nodeUrl: config.rpcUrl, maxLifetimeSeconds: 24 * 3600, paymaster: config.paymaster }}>
          <App config={config} />
        </SessionKeysProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}

loadConfig().then(render, (error: unknown) => {
  document.body.textContent = `Could not load /config.json: ${String(error)}`;
});
