export * from './topics';
export * from './limits';
export * from './request.schema';
export * from './response.schema';
export * from './dlq.schema';
export * from './decode-request';
export * from './routing-table.schema';
export * from './escalation.schema';
