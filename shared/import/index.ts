export * from './columns';
export * from './export';
export * from './limits';
export * from './plan';
export * from './problems';
export * from './table';
export * from './values';
