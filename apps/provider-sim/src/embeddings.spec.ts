import { embedText, embeddingWords } from './embeddings';

const cosine = (a: string, b: string) => {
  const x = embedText(a);
  const y = embedText(b);
  return x.reduce((s, v, i) => s + v * y[i], 0);
};

describe('provider-sim embeddings', () => {
  it('are deterministic unit vectors', () => {
    const v = embedText('How do I reset my password?');
    expect(embedText('How do I reset my password?')).toEqual(v);
    expect(Math.sqrt(v.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 5);
  });

  it('score a paraphrase that keeps the content words (case, filler, plurals) close to 1', () => {
    expect(cosine('What is the capital of France?', 'Can you please tell me the capital of France')).toBeGreaterThan(0.9);
    expect(cosine('How many calories are in bananas?', 'how many calories are in a banana')).toBeGreaterThan(0.97);
  });

  it('see word order: a swapped direction scores below the same question, though still high', () => {
    const same = cosine('How do I convert USD to EUR?', 'How do I convert USD to EUR?');
    const swapped = cosine('How do I convert USD to EUR?', 'How do I convert EUR to USD?');
    expect(swapped).toBeLessThan(same - 0.01);
    expect(swapped).toBeGreaterThan(0.8);
  });

  it('see function words at a lower weight: my vs your and who vs when lower the score a little, a changed entity a lot', () => {
    const person = cosine('What is your phone number?', 'What is my phone number?');
    const asks = cosine('Who founded Apple?', 'When was Apple founded?');
    const entity = cosine('What is the capital of France?', 'What is the capital of Spain?');
    expect(person).toBeLessThan(1 - 1e-6);
    expect(asks).toBeLessThan(1 - 1e-6);
    expect(entity).toBeLessThan(Math.min(person, asks) - 0.2);
    expect(embeddingWords('Who founded Apple?')).toEqual(['who', 'founded', 'apple']);
  });
});
