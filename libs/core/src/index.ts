export * from './errors/error-kind';
export * from './errors/provider-error';
export * from './ports/clock';
export * from './ports/random';
export * from './ports/provider';
export * from './routing/arm';
