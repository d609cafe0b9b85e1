export { migrations, SCHEMA } from './adapters/migrations';
export { auditLedger, createLedger, type Ledger } from './adapters/ledger';
export { createConsumers } from './handlers/consumers';
export { createRpcHandlers, serveBillingRpc } from './handlers/rpc';
