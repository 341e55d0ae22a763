import { AUTO_MODEL, type ModelCatalog } from './chat-request';

/**
 * GET /v1/models in OpenAI's list shape: the routing alias, every arm (by id) and every request
 * class (as `switchyard/<class>`); each is a valid `model` for a chat completion.
 */
export function modelList(catalog: ModelCatalog) {
  const entry = (id: string, kind: 'alias' | 'arm' | 'class', extra: Record<string, unknown> = {}) => ({ id, object: 'model' as const, created: 0, owned_by: 'switchyard', switchyard: { kind, ...extra } });
  return {
    object: 'list' as const,
    data: [
      entry(AUTO_MODEL, 'alias'),
      ...catalog.arms.map((a) => entry(a.id, 'arm', { model: a.model })),
      ...catalog.classes.map((c) => entry(`switchyard/${c}`, 'class')),
    ],
  };
}
