export * from './services';
export * from './launch';
export * from './build';
