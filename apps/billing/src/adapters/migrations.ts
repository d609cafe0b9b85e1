import type { Migration } from '@neurocards/platform';

/** The Postgres schema billing owns (docs/design.md §2). */
export const SCHEMA = 'billing';

/**
 * Versioned, append-only list: never edit an applied migration, add a new version.
 *
 * Money model (docs/design.md §2): `balance = granted − captured − held`, kept as running totals on
 * `accounts` next to the append-only `ledger` that explains them. The account row is the
 * lock for everything a user owns, so every change to a user's credits is serialised.
 */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'accounts, ledger, holds, rejections',
    up: `
create table accounts (
  user_id bigint primary key,
  granted bigint not null default 0 check (granted >= 0),
  captured bigint not null default 0 check (captured >= 0),
  held bigint not null default 0 check (held >= 0),
  updated_at timestamptz not null default now(),
  -- The last line of defence: whatever the code does, a balance never goes negative.
  constraint balance_not_negative check (granted - captured - held >= 0)
);

create table ledger (
  seq bigserial primary key,
  -- grant:<grantId> | hold:<orderId> | capture:<jobId> | release:<jobId>
  idempotency_key text not null unique,
  user_id bigint not null references accounts (user_id),
  kind text not null check (kind in ('grant', 'hold', 'capture', 'release')),
  amount int not null check (amount > 0),
  order_id text,
  job_id text,
  grant_id text,
  reason text,
  granted_by text,
  balance_after bigint not null check (balance_after >= 0),
  held_after bigint not null check (held_after >= 0),
  created_at timestamptz not null default now(),
  check ((kind in ('hold', 'capture', 'release')) = (order_id is not null)),
  check ((kind in ('capture', 'release')) = (job_id is not null)),
  check ((kind = 'grant') = (grant_id is not null))
);
-- A video has one outcome: its credit is either captured or released, never both.
create unique index ledger_one_outcome_per_job on ledger (job_id) where job_id is not null;
create index ledger_by_user on ledger (user_id, seq);

-- Append-only: corrections are new rows, history is never rewritten.
create function ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'billing.ledger is append-only (% refused)', tg_op;
end $$;
create trigger ledger_append_only before update or delete or truncate on ledger
  for each statement execute function ledger_append_only();

-- One row per reserved order: how much of its hold is still open.
create table holds (
  order_id text primary key,
  user_id bigint not null references accounts (user_id),
  amount int not null check (amount > 0),
  captured int not null default 0 check (captured >= 0),
  released int not null default 0 check (released >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint settled_within_hold check (captured + released <= amount)
);

-- Orders that could not be paid: one decision per order, so a re-placed order never holds later.
create table rejections (
  order_id text primary key,
  user_id bigint not null,
  requested int not null,
  balance bigint not null,
  created_at timestamptz not null default now()
);
`,
  },
  {
    version: 2,
    name: 'price per video on holds',
    up: `
-- Models have prices: a hold is count × per_video, and each video settles per_video.
-- captured/released stay in credits, so settled_within_hold still holds. Holds from
-- before prices existed were 1 credit per video.
alter table holds add column per_video int not null default 1 check (per_video > 0);
alter table holds add constraint whole_videos check (amount % per_video = 0);
`,
  },
  {
    version: 3,
    name: 'Stars purchases and their refunds',
    up: `
-- Credits bought with Telegram Stars, and credits taken back by refunds of those purchases:
-- balance = granted + purchased - refunded - captured - held.
alter table accounts
  add column purchased bigint not null default 0 check (purchased >= 0),
  add column refunded bigint not null default 0 check (refunded >= 0),
  drop constraint balance_not_negative,
  add constraint balance_not_negative check (granted + purchased - refunded - captured - held >= 0);

-- One row per Stars payment. The charge id (telegram_payment_charge_id) is the key: a payment
-- delivered twice, redelivered after a crash, or sent again under another event id is granted once.
create table purchases (
  charge_id text primary key,
  purchase_id text not null,
  user_id bigint not null references accounts (user_id),
  credits int not null check (credits > 0),
  stars int not null check (stars > 0),
  provider_charge_id text not null,
  resume text,
  invoice_created_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index purchases_by_user on purchases (user_id);

-- One refund per charge: what it took back and what was already spent or held.
create table refunds (
  charge_id text primary key references purchases (charge_id),
  user_id bigint not null references accounts (user_id),
  credits int not null check (credits > 0),
  taken_back int not null check (taken_back >= 0),
  not_taken_back int not null check (not_taken_back >= 0),
  refunded_by text not null,
  created_at timestamptz not null default now(),
  constraint refund_covers_purchase check (taken_back + not_taken_back = credits)
);

-- purchase:<chargeId> | refund:<chargeId>
alter table ledger
  add column charge_id text,
  drop constraint ledger_kind_check,
  add constraint ledger_kind_check check (kind in ('grant', 'purchase', 'refund', 'hold', 'capture', 'release')),
  add constraint ledger_charge_rows check ((kind in ('purchase', 'refund')) = (charge_id is not null));
-- A charge has one purchase row and at most one refund row.
create unique index ledger_one_row_per_charge on ledger (charge_id, kind) where charge_id is not null;
`,
  },
];
