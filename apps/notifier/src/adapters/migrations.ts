import type { Migration } from '@neurocards/platform';

/** The Postgres schema the notifier owns (docs/design.md §2: the delivery log). */
export const SCHEMA = 'notifier';

/** Versioned, append-only: never edit an applied migration, add a new version. */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'delivery log',
    up: `
create table deliveries (
  -- What the user must see once, e.g. job:<jobId>:video (see domain/messages.ts).
  message_key text primary key,
  -- The event that (last) asked for it, for support.
  event_id text not null,
  purpose text not null,
  chat_id bigint not null,
  -- sending: claimed, Telegram may or may not have it; sent: Telegram answered with message_id;
  -- undeliverable: Telegram said it never will (bot blocked, chat gone).
  status text not null check (status in ('sending', 'sent', 'undeliverable')),
  -- A 'sending' row is owned by one worker until then; afterwards another may take it over.
  claimed_until timestamptz,
  attempts int not null default 1,
  telegram_message_id bigint,
  -- 'url' or 'upload' for videos.
  sent_via text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((status = 'sent') = (telegram_message_id is not null))
);
create index deliveries_by_chat on deliveries (chat_id, created_at);
`,
  },
  {
    version: 2,
    name: 'delivery heartbeat and assumed sends',
    up: `
-- The attempt that holds a 'sending' row: only it renews the lease (a heartbeat).
alter table deliveries add column claimed_by text;
-- A status message a crashed worker may have sent and that is over a minute old is
-- marked sent without re-sending it (docs/design.md §6): sent, with no message id, via 'assumed'.
alter table deliveries drop constraint deliveries_check;
alter table deliveries add constraint deliveries_sent_has_message
  check (case when status = 'sent' then telegram_message_id is not null or sent_via = 'assumed'
              else telegram_message_id is null end);
`,
  },
  {
    version: 3,
    name: 'messages of an order',
    up: `
-- The order a video or failure message belongs to: the order summary is sent only once
-- all of them are recorded, so it comes last in the chat.
alter table deliveries add column order_id text;
create index deliveries_by_order on deliveries (order_id) where order_id is not null;
`,
  },
  {
    version: 4,
    name: 'delivery send started',
    up: `
-- Set by an attempt just before it calls Telegram (after pacing), cleared by each new claim
-- and by a release: a crashed attempt's row without it never reached Telegram, so taking
-- it over sends the message with no risk of a duplicate (docs/design.md §6).
alter table deliveries add column send_started_at timestamptz;
`,
  },
  {
    version: 5,
    name: 'order status messages',
    up: `
-- One status message per order, sent on the reservation and edited in place as the order
-- moves (docs/design.md §6.1). Its Telegram message id is in deliveries (message_key).
create table status_messages (
  order_id text primary key,
  message_key text not null,
  chat_id bigint not null,
  seller bigint not null,
  locale text not null,
  -- From billing.credits.reserved; null while only jobs.generation.started has been seen.
  amount int,
  balance int,
  -- jobs.generation.started seen: the first video reached KIE.
  started boolean not null default false,
  -- The queue line the message shows now (domain/progress.ts Progress).
  shown jsonb,
  last_edit_at timestamptz,
  -- The progress loop looks at the order again from then on; null: no longer watched.
  next_check_at timestamptz,
  -- The replica editing the message holds it until then (a crash lets it lapse).
  edit_lease_until timestamptz,
  created_at timestamptz not null default now()
);
create index status_messages_due on status_messages (next_check_at) where next_check_at is not null;
`,
  },
  {
    version: 6,
    name: 'chat languages',
    up: `
-- The language each user chose with /language (users.language.set.v1): admin alerts go in
-- the admin's language. set_at orders the choices, so a late redelivery of an older one
-- never overrides a newer one.
create table chat_locales (
  chat_id bigint primary key,
  locale text not null,
  set_at timestamptz not null
);
`,
  },
];
