import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const coordinator = `http://localhost:${process.env.FLOCK_COORDINATOR_PORT ?? 3001}`;

// One entry (apps/web-client/index.html); the app itself routes `/admin` to the dashboard.
export default defineConfig({
  root: 'apps/web-client',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // tfjs and its WebGPU backend are large by nature; the warning says nothing useful here.
    chunkSizeWarningLimit: 10_000,
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/api': { target: coordinator, changeOrigin: true },
      '/socket.io': { target: coordinator, ws: true, changeOrigin: true },
    },
  },
});
