import type { Migration } from '@neurocards/platform';

export const SCHEMA = 'kie';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'tasks and uploads',
    up: `
-- One row per job: the current attempt and everything needed to resume it after a restart.
create table tasks (
  job_id text primary key,
  order_id text not null,
  submit_event_id text not null,
  prompt text not null,
  photo jsonb not null,
  aspect_ratio text not null,
  n_frames text not null,
  -- queued: waits for a key (not_before); submitting: a replica holds it (lease_until);
  -- running: KIE has it (task_id null = createTask was sent but its answer was lost);
  -- succeeded/failed: final.
  state text not null check (state in ('queued', 'submitting', 'running', 'succeeded', 'failed')),
  attempt int not null default 1 check (attempt >= 1),
  key_name text,
  task_id text,
  callback_token text unique,
  not_before timestamptz not null,
  lease_until timestamptz,
  create_sent_at timestamptz,
  submitted_at timestamptz,
  deadline_at timestamptz,
  next_poll_at timestamptz,
  -- Keys this job must not use again (a billing failover goes to another key).
  excluded_keys text[] not null default '{}',
  failovers int not null default 0,
  last_error_class text,
  last_error_code int,
  last_error text,
  outcome text,
  result_urls jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index tasks_queued on tasks (not_before) where state = 'queued';
create index tasks_leased on tasks (lease_until) where state = 'submitting';
create index tasks_poll on tasks (next_poll_at) where state = 'running';
create index tasks_deadline on tasks (deadline_at) where state = 'running';
create index tasks_key_busy on tasks (key_name) where state in ('submitting', 'running');

-- Every attempt ever made: a late callback of an old attempt is recognised (and ignored).
create table attempts (
  callback_token text primary key,
  job_id text not null references tasks (job_id),
  attempt int not null,
  key_name text not null,
  task_id text,
  created_at timestamptz not null default now(),
  unique (job_id, attempt)
);

-- The photo is uploaded to KIE once; KIE keeps uploads 3 days (docs), we reuse them for less.
create table uploads (
  object_key text primary key,
  download_url text not null,
  key_name text not null,
  uploaded_at timestamptz not null
);
`,
  },
  {
    version: 2,
    name: 'cancelled tasks',
    up: `
-- A job that failed for good elsewhere (jobs.video.failed.v1) cancels its task: the loops skip
-- it, and a late callback or poll result changes nothing.
alter table tasks drop constraint tasks_state_check;
alter table tasks add constraint tasks_state_check
  check (state in ('queued', 'submitting', 'running', 'succeeded', 'failed', 'cancelled'));
-- Jobs cancelled before (or after) their submit command arrived: the command is not queued.
create table cancelled_jobs (
  job_id text primary key,
  cancelled_at timestamptz not null
);
`,
  },
  {
    version: 3,
    name: 'model and length per task',
    up: `
-- The model catalogue (docs/design.md §4): each task carries its model and length in seconds,
-- resolved when the command is stored (defaults applied); the request is built from them at
-- submission. n_frames stays for rows from before, which run as the default model.
alter table tasks add column model text;
alter table tasks add column duration int;
alter table tasks alter column n_frames drop not null;
-- Tasks already sent to KIE before the catalogue were Sora 2 (Market) tasks: they are polled
-- and read as such. Rows not sent yet keep a null model and go out as the default model.
update tasks set model = 'sora-2-image-to-video', duration = n_frames::int where create_sent_at is not null;
-- Attempts moved off a capped key (433) for free: they do not count against the limit.
alter table tasks add column free_retries int not null default 0;
`,
  },
  {
    version: 4,
    name: 'fair share between sellers',
    up: `
-- The queue serves sellers in turn (domain/fair-queue.ts): each task knows its seller, its
-- number within the order and when it entered the queue. Rows from before count their order
-- as the seller and as a first video.
alter table tasks add column seller text;
alter table tasks add column job_index int not null default 1 check (job_index >= 1);
alter table tasks add column queued_at timestamptz;
update tasks set seller = order_id, queued_at = created_at;
alter table tasks alter column seller set not null;
alter table tasks alter column queued_at set not null;
create index tasks_waiting_seller on tasks (seller) where state in ('queued', 'submitting');
-- The last turn each seller took: within a round, the seller served longest ago goes first.
-- A claim takes one number of the sequence and numbers its rows base + 0, base + 1, ...
create sequence seller_turn_seq increment by 1000;
create table seller_turns (
  seller text primary key,
  last_turn bigint not null
);
`,
  },
  {
    version: 5,
    name: 'queue stall episodes and cancelled orders',
    up: `
-- The current "nothing can be submitted while videos wait" episode, shared by the replicas:
-- the replica that inserts the row alerts, the one that deletes it announces the recovery.
create table queue_stall (
  singleton boolean primary key default true check (singleton),
  since timestamptz not null
);
-- The last createTask sent (the stall watch reads the newest).
create index tasks_create_sent on tasks (create_sent_at) where create_sent_at is not null;
-- Orders whose seller cancelled the queued videos: a video whose submit command arrives later
-- (its prompt was still being written) is cancelled as it arrives.
create table cancelled_orders (
  order_id text not null,
  seller text not null,
  cancelled_at timestamptz not null,
  primary key (order_id, seller)
);
`,
  },
  {
    version: 6,
    name: 'the fair queue reads each seller\'s head',
    up: `
-- A claim ranks only each seller's first due rows of each tier (adapters/tasks-repo.ts,
-- rankedDue), read in the seller's own order through this index: its cost follows the number
-- of sellers waiting, not the depth of the queue.
create index tasks_fair_head on tasks (seller, (job_index > 1), queued_at, order_id collate "C", job_index, job_id collate "C")
  where state in ('queued', 'submitting');
`,
  },
];
