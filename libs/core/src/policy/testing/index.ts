export * from './simulation';
export * from './oracle-selector';
export * from './posterior-mean-choice';
