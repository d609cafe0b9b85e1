export * from './commands';
export * from './story';
