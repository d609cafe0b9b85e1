export * from './common';
export * from './envelope';
export * as events from './events';
export * from './catalog';
export * from './codec';
export * from './rpc';
export * from './topology';
export * from './constants';
