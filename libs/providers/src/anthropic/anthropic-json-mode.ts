import type { ProviderCall } from '@switchyard/core';
import type { ContentBlock, Tool, ToolChoiceTool } from '@anthropic-ai/sdk/resources/messages';

/**
 * JSON answers on the Messages API the way Anthropic documents it: forced tool use. The request
 * offers one tool whose `input_schema` is the requested schema (`{ type: "object" }` for
 * json_object) and `tool_choice: { type: "tool", name }`; the tool's input is the answer, given to
 * the caller as JSON text. A schema whose root is not an object (tool inputs are objects) is
 * wrapped as `{ value: <schema> }` and unwrapped from the answer.
 */
export interface JsonMode {
  tool: Tool;
  choice: ToolChoiceTool;
  /** The root schema was wrapped: the answer is the input's `value`. */
  wrapped: boolean;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The forced tool for a call that asks for JSON; undefined when it asks for none. */
export function jsonModeFor(call: Pick<ProviderCall, 'responseFormat'>): JsonMode | undefined {
  const format = call.responseFormat;
  if (!format || format.type === 'text') return undefined;
  const name = format.type === 'json_schema' && format.name && TOOL_NAME.test(format.name) ? format.name : 'json_answer';
  const schema = format.type === 'json_schema' ? { ...format.schema } : { type: 'object' };
  const wrapped = schema.type !== 'object';
  const input_schema = wrapped ? { type: 'object' as const, properties: { value: schema }, required: ['value'] } : { ...schema, type: 'object' as const };
  return {
    tool: { name, description: 'Give your whole answer as the input of this tool, as JSON matching its schema.', input_schema },
    choice: { type: 'tool', name },
    wrapped,
  };
}

/** The answer as JSON text: the forced tool's input (undefined when the reply has no such block). */
export function jsonAnswer(content: readonly ContentBlock[], mode: JsonMode): string | undefined {
  const block = content.find((b) => b.type === 'tool_use' && b.name === mode.tool.name);
  if (!block || block.type !== 'tool_use') return undefined;
  const input = (block.input ?? {}) as Record<string, unknown>;
  return JSON.stringify(mode.wrapped ? input.value : input);
}

/** Unwraps streamed JSON text of a wrapped schema (`{"value": …}` → `…`); the text as is when it does not parse. */
export function unwrapStreamedJson(text: string, mode: JsonMode): string {
  if (!mode.wrapped) return text;
  try {
    return JSON.stringify((JSON.parse(text) as { value?: unknown }).value);
  } catch {
    return text;
  }
}
