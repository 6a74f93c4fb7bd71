import { describe, expect, it } from 'vitest';
import type { KindDiscipline } from '../disciplines/discipline.js';
import { shapeProblems } from '../disciplines/shape.js';
import { Compat } from '../compat/verdict.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';

/** A host's own surface kind: tokenizers with a vocabulary that must not shrink across versions. */
interface Tokenizer {
  readonly name: string;
  readonly vocabulary: readonly string[];
  session(state: Uint8Array): TokenizerSession;
}
interface TokenizerSession {
  readonly version: string;
  readonly seen: string[];
  tokenize(text: string): string[];
  save(): Uint8Array;
}

declare module '../surfaces/surfaceMap.js' {
  interface CustomSurfaces {
    tokenizer: Tokenizer;
  }
}

const tokenizerDiscipline: KindDiscipline<Tokenizer, TokenizerSession> = {
  kind: 'tokenizer',
  mode: 'persistOpen',
  description: 'save() the old session, open it on the new tokenizer; the vocabulary may only grow',
  pausesCallers: true,
  keyOf: (t) => t.name,
  validate: (t) => shapeProblems(t, { strings: ['name'], methods: ['session'] }),
  async checkCompat(old, next) {
    const lost = old.vocabulary.filter((w) => !next.vocabulary.includes(w));
    return lost.length > 0 ? Compat.incompatible(`vocabulary lost ${lost.join(', ')}`) : Compat.compatible();
  },
  async handoff({ old, next }, context) {
    const bytes = await context.call('save', () => old.save());
    const session = await context.call('open', () => next.session(bytes));
    return {
      next: session,
      detail: { bytes: bytes.byteLength },
      release: async () => undefined,
      undo: async () => old,
    };
  },
};

function tokenizer(version: string, vocabulary: string[]): Tokenizer {
  return {
    name: 'words',
    vocabulary,
    session(state) {
      const seen = state.length ? (JSON.parse(new TextDecoder().decode(state)) as string[]) : [];
      return {
        version,
        seen,
        tokenize(text) {
          const tokens = text.split(/\s+/).filter((w) => vocabulary.includes(w));
          seen.push(...tokens);
          return tokens;
        },
        save: () => new TextEncoder().encode(JSON.stringify(seen)),
      };
    },
  };
}

const plugin = (version: string, vocabulary: string[]) =>
  definePlugin({ name: 'nlp', version, register: (r) => void r.add('tokenizer', tokenizer(version, vocabulary)) });

describe('a host surface kind of its own', () => {
  it('registers, opens managed resources, hands them over on reload and checks compat', async () => {
    await using host = createPluginHost({ disciplines: [tokenizerDiscipline] });
    await host.load(plugin('1.0.0', ['a', 'b']));
    const session = await host.openResource({
      name: 'session-1',
      kind: 'tokenizer',
      key: 'words',
      make: (t) => t.session(new Uint8Array()),
    });
    expect(await session.use((s) => s.tokenize('a c b'))).toEqual(['a', 'b']);
    const result = await host.reload(plugin('2.0.0', ['a', 'b', 'c']));
    expect(result.handoffs).toMatchObject([{ kind: 'tokenizer', name: 'session-1' }]);
    expect(session.version).toBe('2.0.0');
    expect(await session.use((s) => [s.version, s.tokenize('c'), [...s.seen]])).toEqual([
      '2.0.0',
      ['c'],
      ['a', 'b', 'c'],
    ]);
    await expect(host.reload(plugin('3.0.0', ['c']))).rejects.toMatchObject({
      code: 'SCHEMA_INCOMPATIBLE',
      kind: 'tokenizer',
      message: expect.stringContaining('vocabulary lost a, b'),
    });
    expect(session.version).toBe('2.0.0');
  });

  it('refuses a kind without a discipline, and resources of a kind without handoff', async () => {
    await using host = createPluginHost();
    await expect(host.load(plugin('1.0.0', []))).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
    await expect(
      host.openResource({ name: 'x', kind: 'scalarFunction', key: 'f', make: () => ({}) }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
