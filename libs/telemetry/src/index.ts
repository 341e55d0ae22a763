export * from './attributes';
export * from './decision-attributes';
export * from './kafka-headers';
export * from './router-tracing';
export * from './scrub';
