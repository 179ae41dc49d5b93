/** Network view for coordinators: shortages, surplus and suggested moves across hubs. */
export * from './activity';
export * from './cover';
export * from './freshness';
export * from './severity';
export * from './suggest';
export * from './transit';
export * from './summaries';
export * from './view';
export * from './usage';
export * from './incremental';
