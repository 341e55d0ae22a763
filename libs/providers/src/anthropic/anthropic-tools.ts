import type { ChatMessage, ToolCall, ToolChoice, ToolSpec } from '@switchyard/core';
import type { ContentBlock, MessageParam, Tool, ToolChoice as AnthropicToolChoice } from '@anthropic-ai/sdk/resources/messages';

/**
 * The non-system turns in Messages' shape: an assistant's tool calls become `tool_use` blocks, a
 * `tool` turn a `tool_result` block in a user turn (consecutive results share one user turn, as
 * the API wants turns to alternate).
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const block = { type: 'tool_result' as const, tool_use_id: m.toolCallId ?? '', content: m.content };
      const last = out.at(-1);
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result')) last.content.push(block);
      else out.push({ role: 'user', content: [block] });
      continue;
    }
    if (m.role === 'assistant' && m.toolCalls?.length) {
      out.push({
        role: 'assistant',
        content: [...(m.content ? [{ type: 'text' as const, text: m.content }] : []), ...m.toolCalls.map((c) => ({ type: 'tool_use' as const, id: c.id, name: c.name, input: parseArguments(c.arguments) }))],
      });
      continue;
    }
    out.push({ role: m.role, content: m.content });
  }
  return out;
}

/** Arguments the model wrote are JSON text; a call whose text is not JSON is passed on as `{}`. */
function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function toAnthropicTools(tools: readonly ToolSpec[]): Tool[] {
  return tools.map((t) => ({
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    input_schema: { type: 'object' as const, ...(t.parameters ?? {}) },
  }));
}

export function toAnthropicToolChoice(choice: ToolChoice): AnthropicToolChoice {
  if (typeof choice !== 'string') return { type: 'tool', name: choice.name };
  return choice === 'required' ? { type: 'any' } : { type: choice };
}

/** `tool_use` blocks of a reply as calls (arguments as JSON text, as OpenAI gives them). */
export function fromAnthropicToolUse(content: readonly ContentBlock[]): ToolCall[] | undefined {
  const calls = content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) }] : []));
  return calls.length ? calls : undefined;
}
