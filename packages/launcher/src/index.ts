export * from './services';
export * from './launch';
