/**
 * Fair share of the submission queue between sellers (issue 10).
 *
 * The rules, in priority order:
 *  1. Tier: every order's first video goes before anyone's second (a seller waiting for their
 *     first video has waited for nothing yet; a seller with one video back can wait a turn).
 *  2. Round: within a tier, sellers are served in turn. A seller's k-th waiting video in the tier
 *     (oldest first) belongs to round k, so a seller with 50 waiting videos takes one slot per
 *     round and pushes any other seller back by at most one turn.
 *  3. Seller order within a round: the seller served longest ago first (`served`, a value that
 *     grows with each turn taken; never served = first), then the seller whose oldest video has
 *     waited longest, then the seller id. In the second tier, a seller who also takes first-video
 *     turns in the same snapshot counts as served at their last such turn. Because each round
 *     orders sellers the same way, and a seller served in this round becomes the most recently
 *     served, recomputing the order after every claim (as the dispatcher does) yields the same
 *     sequence as this snapshot (a test checks it).
 *  4. Within a seller: oldest first (`queuedAt`, then order, index, id for determinism).
 *
 * The claim query in adapters/tasks-repo.ts ranks rows with the same keys in SQL; a test checks
 * both agree on random queues.
 */

export interface Waiting {
  id: string;
  seller: string;
  order: string;
  /** 1-based video number within its order. */
  index: number;
  /** Epoch ms when the video entered the queue. */
  queuedAt: number;
}

/** Last turn each seller took (any increasing number: epoch ms or a sequence). */
export type ServedTurns = ReadonlyMap<string, number>;

/** The sort key of one waiting video; exported so the SQL ranking can be compared with it. */
export interface FairKey {
  tier: number;
  round: number;
  /** 1 when the seller also has first videos ahead in this snapshot (tier 1 only): served last. */
  servedInTier0: number;
  served: number;
  /** Position of the seller's last first-video in the snapshot (tier 1, servedInTier0 = 1). */
  lastTier0: number;
  sellerHead: number;
  seller: string;
}

/** 0 for an order's first video, 1 for the rest. */
export function tierOf(w: Pick<Waiting, 'index'>): number {
  return w.index <= 1 ? 0 : 1;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpNum(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Oldest first within one seller: queuedAt, then order, index, id. */
function withinSeller(a: Waiting, b: Waiting): number {
  return a.queuedAt - b.queuedAt || cmpStr(a.order, b.order) || a.index - b.index || cmpStr(a.id, b.id);
}

function cmpKey(ka: FairKey, kb: FairKey): number {
  return (
    ka.tier - kb.tier ||
    ka.round - kb.round ||
    ka.servedInTier0 - kb.servedInTier0 ||
    cmpNum(ka.served, kb.served) ||
    ka.lastTier0 - kb.lastTier0 ||
    ka.sellerHead - kb.sellerHead ||
    cmpStr(ka.seller, kb.seller)
  );
}

/**
 * The order of one snapshot. A seller who takes first-video turns in this snapshot counts, for
 * the second tier, as served at the position of their last first video: that is what recomputing
 * after every claim sees, so the snapshot and the step-by-step sequence agree.
 */
export function fairOrder<T extends Waiting>(waiting: readonly T[], served: ServedTurns = new Map()): T[] {
  const head = new Map<string, number>();
  for (const w of waiting) {
    const h = head.get(w.seller);
    if (h === undefined || w.queuedAt < h) head.set(w.seller, w.queuedAt);
  }
  const keys = new Map<T, FairKey>();
  const sortTier = (tier: number, lastTier0: ReadonlyMap<string, number>): T[] => {
    const bySeller = new Map<string, T[]>();
    for (const w of waiting) {
      if (tierOf(w) !== tier) continue;
      const list = bySeller.get(w.seller);
      if (list) list.push(w);
      else bySeller.set(w.seller, [w]);
    }
    const out: T[] = [];
    for (const [seller, list] of bySeller) {
      list.sort(withinSeller);
      const last = lastTier0.get(seller);
      list.forEach((w, round) => {
        keys.set(w, {
          tier,
          round,
          servedInTier0: last === undefined ? 0 : 1,
          served: last === undefined ? (served.get(seller) ?? Number.NEGATIVE_INFINITY) : 0,
          lastTier0: last ?? 0,
          sellerHead: head.get(seller) ?? w.queuedAt,
          seller,
        });
        out.push(w);
      });
    }
    return out.sort((a, b) => cmpKey(keys.get(a) as FairKey, keys.get(b) as FairKey) || withinSeller(a, b));
  };
  const first = sortTier(0, new Map());
  const lastTier0 = new Map<string, number>();
  first.forEach((w, pos) => lastTier0.set(w.seller, pos));
  return [...first, ...sortTier(1, lastTier0)];
}
