export * from './primitives';
export * from './objects';
export * from './events';
export * from './content';
export * from './vault';
export * from './sessionSnapshot';
