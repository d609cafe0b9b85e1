import type { ModelOffer } from '@neurocards/contracts';
import { modelRow } from './models';

/**
 * Which models run where (docs/design.md §1 `config`): a model KIE refused with a configuration
 * error is unavailable on that account until an admin turns it back on; an admin may stop
 * offering a model. Pure; the model store keeps it in the `kie_models` KV bucket.
 */
export interface ModelState {
  /** An admin turned it off (`kie.models.set` with enabled false). */
  adminOff: boolean;
  /** Bumped when an admin turns the model on: a later refusal alerts again. */
  epoch: number;
  /** Accounts where KIE refused the model, with KIE's answer. */
  unavailableOn: Record<string, { code: number | null; message: string; at: number }>;
}

export type Availability = Record<string, ModelState>;

export const emptyModelState = (): ModelState => ({ adminOff: false, epoch: 0, unavailableOn: {} });
export const stateOf = (a: Availability, model: string): ModelState => ({
  ...emptyModelState(),
  ...a[model],
});

/** Accounts that can run the model. */
export function runnableOn(a: Availability, model: string, accounts: readonly string[]): string[] {
  const s = stateOf(a, model);
  return accounts.filter((acc) => !s.unavailableOn[acc]);
}

/** Offered to sellers: not turned off by an admin, and some account can run it. */
export function isOffered(a: Availability, model: string, accounts: readonly string[]): boolean {
  return !stateOf(a, model).adminOff && runnableOn(a, model, accounts).length > 0;
}

export function disabledBy(
  a: Availability,
  model: string,
  accounts: readonly string[],
): 'admin' | 'kie' | null {
  if (stateOf(a, model).adminOff) return 'admin';
  return runnableOn(a, model, accounts).length === 0 ? 'kie' : null;
}

/** Marks the model unavailable on an account; `newly` is false when it was already. */
export function markUnavailable(
  a: Availability,
  model: string,
  account: string,
  refusal: { code: number | null; message: string; at: number },
): { next: Availability; newly: boolean } {
  const s = stateOf(a, model);
  if (s.unavailableOn[account]) return { next: a, newly: false };
  return {
    next: {
      ...a,
      [model]: {
        ...s,
        unavailableOn: {
          ...s.unavailableOn,
          [account]: { ...refusal, message: refusal.message.slice(0, 500) },
        },
      },
    },
    newly: true,
  };
}

/**
 * An admin's `/model on|off`: on clears the admin's switch and every account's
 * unavailability (and starts a new epoch, so a new refusal alerts again); off stops offering.
 */
export function setEnabled(a: Availability, model: string, enabled: boolean): Availability {
  const s = stateOf(a, model);
  return {
    ...a,
    [model]: enabled ? { adminOff: false, epoch: s.epoch + 1, unavailableOn: {} } : { ...s, adminOff: true },
  };
}

/** The offer bot-gateway reads (contract `modelOffer`): offered models in KIE_MODELS order. */
export function buildOffer(
  models: readonly string[],
  prices: Readonly<Record<string, number>>,
  a: Availability,
  accounts: readonly string[],
  now: number,
): ModelOffer {
  return {
    models: models
      .filter((id) => isOffered(a, id, accounts))
      .map((id) => {
        const row = modelRow(id);
        return {
          id,
          label: row.label,
          family: row.family,
          creditsPerVideo: prices[id] ?? 1,
          durations: [...row.durations],
          defaultDuration: row.defaultDuration,
          aspectRatios: [...row.aspectRatios],
          sound: row.sound,
        };
      }),
    updatedAt: new Date(now).toISOString(),
  };
}
