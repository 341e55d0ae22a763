export * from './cache-policy';
export * from './cache-key';
export * from './cache-ports';
export * from './response-cache';
export * from './semantic-guards';
export * from './cache-judge';
