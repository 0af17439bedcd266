// Activation functions σ and their derivatives, for every kind the engine supports.
import { ParameterError } from '../errors.ts';
import type { Activation } from './types.ts';

/** σ(u) for one value. */
export function activate(act: Activation, u: number): number {
  switch (act.kind) {
    case 'relu':
      return u > 0 ? u : 0;
    case 'leaky':
      return u > 0 ? u : act.omega * u;
    case 'elu':
      return u > 0 ? u : Math.expm1(u);
  }
}

/** σ'(u) (the right derivative at 0 for ReLU-like kinds is taken as the left one). */
export function activateDerivative(act: Activation, u: number): number {
  switch (act.kind) {
    case 'relu':
      return u > 0 ? 1 : 0;
    case 'leaky':
      return u > 0 ? 1 : act.omega;
    case 'elu':
      return u > 0 ? 1 : Math.exp(u);
  }
}

/** Parses "relu", "leaky:0.1" or "elu"; throws a message naming the value otherwise. */
export function parseActivation(text: string): Activation {
  const t = text.trim().toLowerCase();
  if (t === 'relu') return { kind: 'relu' };
  if (t === 'elu') return { kind: 'elu' };
  const leaky = /^leaky(?:[:=](.+))?$/.exec(t);
  if (leaky) {
    const omega = leaky[1] === undefined ? 0.01 : Number(leaky[1]);
    if (!(omega > 0 && omega < 1)) {
      throw new ParameterError('activation leaky:ω', leaky[1], 'ω must be in (0, 1)');
    }
    return { kind: 'leaky', omega };
  }
  throw new ParameterError('activation', `"${text}"`, 'one of relu, leaky:ω (0<ω<1), elu');
}

/** The text form accepted by parseActivation. */
export function formatActivation(act: Activation): string {
  return act.kind === 'leaky' ? `leaky:${act.omega}` : act.kind;
}
