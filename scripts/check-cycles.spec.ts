import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(__dirname, 'check-cycles.mjs');

/** A throwaway checkout: a tsconfig.json with the repo's path aliases and the given files. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-cycles-'));
  const tsconfig = {
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, paths: { '@switchyard/core': ['./libs/core/src/index.ts'] } },
    include: ['apps/**/*.ts', 'libs/**/*.ts', 'bench/**/*.ts'],
  };
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(files: Record<string, string>): { status: number | null; out: string } {
  const root = project(files);
  try {
    const run = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
    return { status: run.status, out: run.stdout + run.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('scripts/check-cycles.mjs', () => {
  it('passes a tree without cycles whose imports follow the room rules', () => {
    const { status, out } = check({
      'libs/core/src/index.ts': "export * from './clock';\n",
      'libs/core/src/clock.ts': 'export interface Clock { now(): number }\n',
      'apps/router/src/main.ts': "import type { Clock } from '@switchyard/core';\nexport const c: Clock | undefined = undefined;\n",
    });
    expect(out).toContain('0 cycle(s), 0 room rule(s) broken');
    expect(status).toBe(0);
  });

  it('fails on a cycle made of type-only imports, and names its files', () => {
    const { status, out } = check({
      'bench/x/run.ts': "import type { Report } from './report';\nexport interface Result { r?: Report }\n",
      'bench/x/report.ts': "import type { Result } from './run';\nexport interface Report { results: Result[] }\n",
    });
    expect(status).toBe(1);
    expect(out).toContain('import cycle among 2 file(s)');
    expect(out).toMatch(/bench\/x\/report\.ts\s+→ bench\/x\/run\.ts\s+→ bench\/x\/report\.ts/);
  });

  it('follows the @switchyard/* path aliases and fails when libs/core imports another room', () => {
    // The way back to core goes through the alias: the cycle is found only if the alias resolves.
    const upward = "import { port } from '../../../apps/router/src/port';\nexport const p = port;\n";
    const back = "import { p } from '@switchyard/core';\nexport const port = 1;\nexport const again = p;\n";
    const result = check({ 'libs/core/src/index.ts': upward, 'apps/router/src/port.ts': back });
    expect(result).toEqual({
      status: 1,
      out: expect.stringContaining('room rule broken: libs/core/src/index.ts → apps/router/src/port.ts (libs/core may not import apps/router)'),
    });
    expect(result.out).toContain('1 cycle(s), 1 room rule(s) broken');
  });
});
