export * from './simulation';
export * from './oracle-selector';
