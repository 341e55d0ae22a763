import { FallbackGuardSettings, guardJudgeMessages, judgedPass } from './fallback-guard';

describe('fallback guard settings and judge prompt', () => {
  it('only a clear PASS passes', () => {
    for (const yes of ['PASS', 'pass.', ' Pass! ']) expect(judgedPass(yes)).toBe(true);
    for (const no of ['FAIL', 'PASS, mostly', 'I would say pass', '']) expect(judgedPass(no)).toBe(false);
  });

  it('asks the class question with the question and the answer, for one word', () => {
    const [system, user] = guardJudgeMessages('Is it about trains?', 'when?', 'at noon');
    expect(system.content).toMatch(/^Is it about trains\?\nReply PASS .* FAIL .* one word only\.$/);
    expect(user.content).toBe('Question:\nwhen?\n\nAnswer:\nat noon');
  });

  it('has no guard for a class not configured, and a reload replaces them all', () => {
    const settings = new FallbackGuardSettings({ chat: { kind: 'judge', judge: 'j', prompt: 'ok?' } });
    expect(settings.forClass('other')).toBeUndefined();
    settings.update({ other: { kind: 'similarity', minSimilarity: 0.8, recent: 5 } });
    expect(settings.forClass('chat')).toBeUndefined();
    expect(settings.forClass('other')).toMatchObject({ kind: 'similarity' });
  });
});
