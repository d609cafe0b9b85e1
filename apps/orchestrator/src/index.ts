/** The orchestrator's pure parts, for other packages' tests and tooling (e.g. the sandbox). */
export { templates, PROMPT_MAX_LENGTH, type Template } from './domain/templates';
export { transition, JOB_STATES, type JobState } from './domain/job-state';
export { fallbackPrompt, buildChatMessages } from './domain/prompt';
export { migrations } from './adapters/migrations';
