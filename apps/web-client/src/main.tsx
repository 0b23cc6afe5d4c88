import './strictCsp.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AdminPage } from './admin/AdminPage.tsx';
import { DevicePage } from './device/DevicePage.tsx';
import './styles.css';

/** One entry for both pages: `/admin` is the dashboard, every other path the device page. */
function App() {
  const isAdmin = window.location.pathname.replace(/\/+$/, '') === '/admin';
  return isAdmin ? <AdminPage /> : <DevicePage />;
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
