import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { OrderedSelector, Router, RouterEventBus, type ProviderRegistry } from '@switchyard/core';
import { makeArm, ManualClock } from '@switchyard/core/testing';
import { ATTR } from './attributes';
import { RouterTracing } from './router-tracing';

async function chatSpanAttributes(droppedParams?: string[]) {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
  const bus = new RouterEventBus();
  bus.subscribe(new RouterTracing({ tracer }).listener);
  const providers: ProviderRegistry = {
    providerFor: (arm) => ({ call: () => Promise.resolve({ text: 'ok', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 }, model: arm.model, ...(droppedParams ? { droppedParams } : {}) }) }),
  };
  const router = new Router({ arms: [makeArm('claude')], providers, selector: new OrderedSelector(), clock: new ManualClock(1_700_000_000_000), events: bus });
  await router.route({ id: 'r1', tenant: 't', class: 'chat', messages: [{ role: 'user', content: 'hi' }], params: { temperature: 0.2, topP: 0.5 }, routing: { objective: 'balanced' } });
  const chat = exporter.getFinishedSpans().filter((s) => s.name.startsWith('chat '));
  expect(chat).toHaveLength(1);
  return chat[0].attributes;
}

describe('attempt span: parameters a provider dropped', () => {
  it('lists what the provider reported as dropped in switchyard.params.dropped', async () => {
    expect((await chatSpanAttributes(['top_p (Anthropic takes temperature or top_p, not both)']))[ATTR.paramsDropped]).toEqual(['top_p (Anthropic takes temperature or top_p, not both)']);
  });

  it('has no such attribute when every parameter went as asked', async () => {
    expect(await chatSpanAttributes()).not.toHaveProperty(ATTR.paramsDropped);
  });
});
