import { describe, expect, it } from 'vitest';
import type { KindDiscipline } from '../disciplines/discipline.js';
import { shapeProblems } from '../disciplines/shape.js';
import { Compat } from '../compat/verdict.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';
import { DisciplineSet } from '../disciplines/disciplineSet.js';
import { RegistrationSet } from '../dispatch/registrationSet.js';
import { ReloadDispatcher } from '../dispatch/reloadDispatcher.js';

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

/**
 * The whole of a new surface kind: one discipline. Nothing in the host or the dispatcher knows
 * tokenizers; registering this discipline is all it takes to open, reload, roll back and close them.
 */
const tokenizerDiscipline: KindDiscipline<Tokenizer, TokenizerSession, { readonly state?: Uint8Array }> = {
  kind: 'tokenizer',
  mode: 'persistOpen',
  description: 'save() the old session, open it on the new tokenizer; the vocabulary may only grow',
  pausesCallers: true,
  keyOf: (t) => t.name,
  validate: (t) => shapeProblems(t, { strings: ['name'], methods: ['session'] }),
  checkResource: (session) => {
    const problems = shapeProblems(session, { methods: ['tokenize', 'save'] });
    return problems.length > 0 ? `not a tokenizer session: ${problems.join('; ')}` : undefined;
  },
  async open(provider, request, context) {
    const resource = await context.call('session', () => provider.session(request.state ?? new Uint8Array()));
    return { resource };
  },
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
    const session = await host.openResource<'tokenizer', TokenizerSession>({
      name: 'session-1',
      kind: 'tokenizer',
      key: 'words',
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

  it("opens through the discipline: a provider that throws gets the host's code, a wrong resource is refused", async () => {
    const broken = (session: (state: Uint8Array) => unknown) =>
      definePlugin({
        name: 'nlp',
        version: '1.0.0',
        register: (r) => void r.add('tokenizer', { ...tokenizer('1.0.0', []), session } as Tokenizer),
      });
    {
      await using host = createPluginHost({ disciplines: [tokenizerDiscipline] });
      await host.load(
        broken(() => {
          throw new TypeError('no state');
        }),
      );
      await expect(host.openResource({ name: 's', kind: 'tokenizer', key: 'words' })).rejects.toMatchObject({
        code: 'PROVIDER_FAILED',
        step: 'session',
        kind: 'tokenizer',
        key: 's',
      });
    }
    {
      await using host = createPluginHost({ disciplines: [tokenizerDiscipline] });
      await host.load(broken(() => ({ tokenize: 'no' })));
      await expect(host.openResource({ name: 's', kind: 'tokenizer', key: 'words' })).rejects.toMatchObject({
        code: 'INVALID_PROVIDER',
        message: expect.stringContaining('not a tokenizer session'),
      });
      // Nothing was attached: the name is free again and the plugin unloads.
      await host.unload('nlp');
    }
  });

  it('the standalone dispatcher hands it over and rolls it back with the same discipline', async () => {
    const disciplines = DisciplineSet.builtin().with(tokenizerDiscipline);
    const v1 = tokenizer('1.0.0', ['a']);
    const old = v1.session(new Uint8Array());
    old.tokenize('a');
    const regs = (t: Tokenizer) => RegistrationSet.of([{ kind: 'tokenizer', key: t.name, provider: t }]);
    const handoff = (next: Tokenizer) => ({ kind: 'tokenizer', name: 's', old, oldProvider: v1, next });
    const v2 = tokenizer('2.0.0', ['a', 'b']);
    const result = await new ReloadDispatcher(regs(v1), regs(v2), { disciplines, handoffs: [handoff(v2)] }).dispatch();
    if (!result.ok) throw result.error;
    const moved = result.outcome.resources.get('tokenizer', 's') as TokenizerSession;
    expect([moved.version, moved.seen]).toEqual(['2.0.0', ['a']]);
    const rolledBack = await result.outcome.rollback();
    expect(rolledBack.restored.get('tokenizer', 's')).toBe(old);
    const failing = { ...v2, session: () => Promise.reject(new Error('disk full')) } as unknown as Tokenizer;
    const refused = await new ReloadDispatcher(regs(v1), regs(failing), {
      disciplines,
      handoffs: [handoff(failing)],
    }).dispatch();
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error).toMatchObject({ code: 'HANDOFF_FAILED', kind: 'tokenizer', key: 's', step: 'open' });
    expect(refused.rollback.restored.get('tokenizer', 's')).toBe(old);
    expect(refused.rollback.unrestored).toEqual([]);
  });

  it('refuses a kind without a discipline, and resources of a kind without handoff', async () => {
    await using host = createPluginHost();
    await expect(host.load(plugin('1.0.0', []))).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
    await expect(
      host.openResource({ name: 'x', kind: 'scalarFunction', key: 'f', make: () => ({}) }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
