/**
 * Fault injection for the fault suite (`test/faults/`): with `TANDEM_FAULT_KILL_AT_EVENT=N` the
 * server kills itself with SIGKILL while it writes its Nth session event, inside that event's
 * transaction, as a crash or `kill -9` at that moment would. Unset (always, outside the suite),
 * this costs one comparison per event.
 */
const killAt = Number(process.env.TANDEM_FAULT_KILL_AT_EVENT ?? 0);
let written = 0;

/** Called as each session event is written. */
export function eventWritten(): void {
  if (killAt > 0 && ++written === killAt) process.kill(process.pid, 'SIGKILL');
}
