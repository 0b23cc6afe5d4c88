import './strictCsp.ts';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { DevicePage } from './device/DevicePage.tsx';
import './styles.css';

// Loaded only on /admin: the device page (often a phone) does not parse the dashboard and its charts before Join.
const AdminPage = lazy(async () => ({ default: (await import('./admin/AdminPage.tsx')).AdminPage }));

/** One entry for both pages: `/admin` and the console's views under it are the dashboard, every other path the device page. */
function App() {
  const isAdmin = /^\/admin(\/|$)/.test(window.location.pathname);
  return isAdmin ? (
    <Suspense fallback={<main className="page">Loading the dashboard…</main>}>
      <AdminPage />
    </Suspense>
  ) : (
    <DevicePage />
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
