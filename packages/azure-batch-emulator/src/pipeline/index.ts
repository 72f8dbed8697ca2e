import type { Authenticator } from '../auth/types';
import type { FaultInjector } from '../faults';
import type { Stats } from '../stats';
import { authenticationMiddleware } from './authentication';
import { contextMiddleware } from './context';
import { dispatchMiddleware } from './dispatch';
import { durabilityMiddleware } from './durability';
import { errorsMiddleware } from './errors';
import { faultsMiddleware } from './faults';
import { handlerMiddleware } from './handler';
import { serializationMiddleware } from './serialization';
import { validationMiddleware } from './validation';
import { compose, type RequestContext, type Route } from './types';

export interface PipelineParts {
  routes: Route[];
  authenticators: Authenticator[];
  faults: FaultInjector;
  stats: Stats;
  log: (line: string) => void;
  /** Writes the state now (acknowledged changes must survive a crash). */
  persist: () => Promise<void>;
  /** How long a client may take to send its request before it is answered 408. */
  requestTimeoutMs: number;
}

/**
 * The request pipeline, one middleware per concern. Requests flow context → dispatch → faults →
 * authentication → validation → handler; answers flow back through durability (state written)
 * and serialization, and errors
 * (the outer layer) turn any failure into Batch's error body.
 */
export function buildPipeline(p: PipelineParts): (ctx: RequestContext) => Promise<void> {
  return compose([
    contextMiddleware,
    errorsMiddleware(p.stats, p.log, p.requestTimeoutMs),
    serializationMiddleware(p.stats),
    durabilityMiddleware(p.persist),
    dispatchMiddleware(p.routes),
    faultsMiddleware(p.faults, p.stats),
    authenticationMiddleware(p.authenticators),
    validationMiddleware,
    handlerMiddleware,
  ]);
}
