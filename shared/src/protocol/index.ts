export * from './primitives';
export * from './objects';
export * from './events';
