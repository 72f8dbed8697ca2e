import type { ResolvedOptions } from '../config';
import type { BatchStore } from '../store/types';
import type { NodeImage } from './apt-shim';
import type { ProcessTable } from './process';
import type { TaskUsers } from './task-user';
import type { Timers } from './timers';

/** What the runtime's parts share. */
export interface RuntimeContext {
  store: BatchStore;
  options: ResolvedOptions;
  image: NodeImage;
  timers: Timers;
  processes: ProcessTable;
  /** Who tasks run as: an unprivileged user for non-admin ones when the emulator is root. */
  users: TaskUsers;
  /** http://127.0.0.1:PORT once listening; used in model urls and AZ_BATCH_ACCOUNT_URL. */
  serviceUrl: () => string;
  log: (line: string) => void;
}

/** Sets a pool's or node's state with its transition time. */
export function setState<S extends string>(
  model: { state?: S; stateTransitionTime?: Date },
  state: S,
  now = new Date(),
): void {
  model.state = state;
  model.stateTransitionTime = now;
}

/** Sets a job's or task's state, keeping the previous state as Batch reports it. */
export function moveState<S extends string>(
  model: {
    state?: S;
    stateTransitionTime?: Date;
    previousState?: S;
    previousStateTransitionTime?: Date;
  },
  state: S,
  now = new Date(),
): void {
  model.previousState = model.state;
  model.previousStateTransitionTime = model.stateTransitionTime;
  setState(model, state, now);
}
