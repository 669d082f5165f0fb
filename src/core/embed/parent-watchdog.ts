import { Worker } from 'node:worker_threads';

/** How often the model process checks that its parent is still there. */
export const PARENT_CHECK_INTERVAL_MS = 500;

/**
 * The check, run in a worker thread of its own so that it runs while the main thread is inside a synchronous
 * model call (onnxruntime's and TF.js's forward passes block the event loop for a whole batch): when the parent
 * process is gone (the process was re-parented, or the parent pid no longer exists), the thread ends the whole
 * process with SIGKILL. It has nothing to save: its parent, the only one who wanted its results, is gone.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { ppid, intervalMs } = workerData;
const gone = () => {
  if (process.ppid !== ppid) return true;
  try { process.kill(ppid, 0); return false; } catch (e) { return e.code === 'ESRCH'; }
};
setInterval(() => { if (gone()) process.kill(process.pid, 'SIGKILL'); }, intervalMs);
`;

/**
 * Makes this process end within about `intervalMs` once its parent has ended, however it ended (SIGKILL included,
 * when no IPC 'disconnect' arrives or the main thread is too busy to see it). The check runs in a worker thread
 * (see WATCHDOG_SOURCE) that does not keep the process alive; should a thread not start (resource limits), the same
 * check runs on the main thread's timer instead, which then holds only between batches.
 */
export function exitWithParent(intervalMs = PARENT_CHECK_INTERVAL_MS): void {
  const ppid = process.ppid;
  try {
    const thread = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { ppid, intervalMs } });
    thread.unref();
    thread.on('error', () => mainThreadWatch(ppid, intervalMs));
  } catch {
    mainThreadWatch(ppid, intervalMs);
  }
}

function mainThreadWatch(ppid: number, intervalMs: number): void {
  const timer = setInterval(() => {
    let gone = process.ppid !== ppid;
    if (!gone) {
      try {
        process.kill(ppid, 0);
      } catch (e) {
        gone = (e as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    if (gone) process.kill(process.pid, 'SIGKILL');
  }, intervalMs);
  timer.unref();
}
