import type { Attributes } from '@opentelemetry/api';
import type { InboundMessage } from '../kafka/inbound-message';

/** OpenTelemetry messaging conventions for the Kafka record a request span processes. */
export function messagingAttributes(message: InboundMessage): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': message.topic,
    'messaging.destination.partition.id': String(message.partition),
    'messaging.kafka.offset': Number(message.offset),
  };
  if (message.key) attributes['messaging.kafka.message.key'] = message.key.toString('utf8');
  return attributes;
}
