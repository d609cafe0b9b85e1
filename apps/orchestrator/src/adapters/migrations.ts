import type { Migration } from '@neurocards/platform';

/** The Postgres schema the orchestrator owns (docs/design.md §2). */
export const SCHEMA = 'orchestrator';

/**
 * Versioned migrations of the `orchestrator` schema. Append new versions; never edit an
 * applied one (replicas and old databases have run it already).
 */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'orders and jobs',
    up: `
      create table orders (
        order_id text primary key,
        user_id bigint not null,
        chat_id bigint not null,
        locale text not null,
        -- placed: known from orders.order.placed; active: credits held, jobs running;
        -- rejected: credits could not be held; completed: every job has an outcome.
        status text not null check (status in ('placed', 'active', 'rejected', 'completed')),
        template text,
        wishes text,
        count int,
        photo jsonb,
        placed_at timestamptz,
        reserved_at timestamptz,
        rejected_at timestamptz,
        reject_reason text,
        generation_started_at timestamptz,
        completed_at timestamptz,
        delivered int,
        failed int,
        updated_at timestamptz not null default now(),
        -- A rejection may arrive before the placement, without the order's details.
        check (status = 'rejected' or (template is not null and count is not null and photo is not null))
      );
      create index orders_reserved_at on orders (reserved_at) where reserved_at is not null;

      create table jobs (
        job_id text primary key,
        order_id text not null references orders (order_id),
        video_index int not null,
        state text not null
          check (state in ('prompting', 'submitted', 'generating', 'ready', 'delivered', 'failed')),
        prompt text,
        prompt_source text check (prompt_source in ('openai', 'template')),
        template_version int,
        attempt int not null default 0,
        task_id text,
        key_name text,
        video_url text,
        message_id bigint,
        failure_reason text,
        failure_detail text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        finished_at timestamptz,
        unique (order_id, video_index)
      );
      create index jobs_open on jobs (created_at) where state not in ('delivered', 'failed');
      create index jobs_failed_at on jobs (finished_at) where state = 'failed';
    `,
  },
  {
    version: 2,
    name: 'video spec and price per order',
    up: `
      -- The seller's model, orientation and length (the spec of orders.order.placed.v1), passed
      -- on with every video; null for orders placed before the catalogue (the dispatcher's
      -- default model and length, portrait). The price is kept to check the reservation.
      alter table orders
        add column model text,
        add column aspect_ratio text check (aspect_ratio in ('portrait', 'landscape')),
        add column duration int check (duration > 0),
        add column credits_per_video int check (credits_per_video > 0);
    `,
  },
  {
    version: 3,
    name: 'waiting is not failing; prompt turns per seller',
    up: `
      -- When KIE accepted the job's latest attempt: the overall deadline counts from here, so a
      -- video waiting in the dispatcher's queue (every key blocked or cooling) never expires.
      alter table jobs add column submitted_at timestamptz;
      update jobs set submitted_at = updated_at where state = 'generating';
      -- A replica writing the job's prompt with GPT holds it until then: a seller has at most
      -- PROMPT_PER_SELLER such jobs at once (a crashed replica's hold runs out).
      alter table jobs add column prompt_lease_until timestamptz;
    `,
  },
  {
    version: 4,
    name: 'file id of a delivered video',
    up: `
      -- Telegram's file_id of the delivered video (notify.video.sent.v1): it does not expire,
      -- unlike KIE's result URL, so /orders can send the video again.
      alter table jobs add column video_file_id text;
    `,
  },
];
